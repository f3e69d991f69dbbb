import { afterEach, describe, expect, it } from "vitest";
import { enrich } from "../../shared/pipeline/enrich";
import { observe } from "../../shared/pipeline/observe";
import { SilenceStore } from "../../shared/state/silences";
import { newTableCounters } from "../../shared/state/tableClient";
import { TEST_TENANT_ID } from "../../local/emulators/tokens";
import { startHarness, tenantRun, type Harness } from "../support/pipelineHarness";
import { useAzurite } from "../support/useAzurite";

const azurite = useAzurite();
let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const failed = (id: string) => ({ id, status: "failed" as const, name: `Mailbox ${id}`, error: { code: "ArtifactNotFound", message: "Not found." } });

describe("enrich: alerts from the changes that raise them", () => {
  it("fetches the failed artifacts of the alerting sessions only, reads silences only then, and hands every change on", async () => {
    h = await startHarness(azurite);
    const a = h.graph.createSession({ workload: "exchange", status: "active", artifacts: [] });
    const b = h.graph.createSession({ workload: "oneDrive", status: "active", artifacts: [] });
    await h.poll();
    h.graph.updateSession(a.id, { status: "failed", artifacts: [failed("m1"), failed("m2")] });
    h.graph.updateSession(b.id, { status: "completed" });
    const deps = h.deps();
    const run = tenantRun(h, deps);
    const observation = await observe(deps, run, undefined);
    const before = { graph: deps.graphCounters.requests, pages: deps.tableCounters.queryPages };
    const enrichment = await enrich(deps, run, observation);

    expect(enrichment.alerts.map((alert) => ({ id: alert.id, artifacts: alert.detail.available ? alert.detail.failedArtifacts.map((f) => f.id) : [] }))).toEqual([{ id: `${a.id}_failed`, artifacts: ["m1", "m2"] }]);
    // One artifact page (page size 2), and one getByIds for the mailboxes' owners (refused here: no directory permission).
    expect(deps.graphCounters.requests - before.graph).toBe(2);
    expect(deps.tableCounters.queryPages - before.pages).toBe(1); // the silences
    expect([...enrichment.toRecord].map((item) => [item.change.session.id, item.alerts.length])).toEqual([
      [a.id, 1],
      [b.id, 0],
    ]);
    expect(h.logs).toContainEqual(`alert: id=${a.id}_failed session=${a.id} workload=exchange kind=status status=failed 2 failed artifact(s)`);
  });

  it("an alert a silence matches says which, and is still an alert", async () => {
    h = await startHarness(azurite);
    const a = h.graph.createSession({ workload: "sharePoint", status: "active", artifacts: [] });
    await h.poll();
    const silence = await new SilenceStore(h.table(), TEST_TENANT_ID, newTableCounters()).add({ until: "2099-01-01T00:00:00.000Z", workload: "sharePoint", comment: "migration" });
    h.graph.updateSession(a.id, { status: "failed" });
    const deps = h.deps();
    const run = tenantRun(h, deps);
    const enrichment = await enrich(deps, run, await observe(deps, run, undefined));
    expect(enrichment.alerts.map((alert) => alert.silencedBy)).toEqual([`silence ${silence.id} until 2099-01-01T00:00:00.000Z (migration)`]);
  });

  it("no alerting change: no Graph call and no silences read", async () => {
    h = await startHarness(azurite);
    h.graph.createSession({ workload: "exchange", status: "completed", artifacts: [] });
    const deps = h.deps();
    const run = tenantRun(h, deps);
    const observation = await observe(deps, run, undefined);
    const before = { graph: deps.graphCounters.requests, pages: deps.tableCounters.queryPages };
    const enrichment = await enrich(deps, run, observation);
    expect(enrichment.alerts).toEqual([]);
    expect({ graph: deps.graphCounters.requests - before.graph, pages: deps.tableCounters.queryPages - before.pages }).toEqual({ graph: 0, pages: 0 });
  });
});

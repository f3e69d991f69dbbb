import { afterEach, describe, expect, it } from "vitest";
import { enrich } from "../../shared/pipeline/enrich";
import { observe } from "../../shared/pipeline/observe";
import { record } from "../../shared/pipeline/record";
import { SilenceStore } from "../../shared/state/silences";
import { newTableCounters } from "../../shared/state/tableClient";
import { TEST_TENANT_ID } from "../../local/emulators/tokens";
import { readRows, startHarness, tenantRun, type Harness } from "../support/pipelineHarness";
import { useAzurite } from "../support/useAzurite";

const azurite = useAzurite();
let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

describe("record: state and alerts together, then the run's success", () => {
  it("writes each session row with its alert rows in one transaction, pending on every channel, and marks the run a success", async () => {
    h = await startHarness(azurite);
    const a = h.graph.createSession({ workload: "exchange", status: "active", artifacts: [] });
    await h.poll();
    h.graph.updateSession(a.id, { status: "failed" });
    const deps = h.deps();
    const run = tenantRun(h, deps);
    const observation = await observe(deps, run, undefined);
    const before = deps.tableCounters.transactions;
    const { result, meta } = await record(deps, run, { observation, enrichment: await enrich(deps, run, observation) });

    expect(result.alertsRecorded.map((alert) => alert.id)).toEqual([`${a.id}_failed`]);
    expect(deps.tableCounters.transactions - before).toBe(1);
    expect(meta).toMatchObject({ consecutiveFailures: 0, lastSuccessAt: run.now.toISOString() });
    const rows = await readRows(h.table());
    expect(rows.find((row) => row["rowKey"] === `session_${a.id}`)).toMatchObject({ status: "failed" });
    expect(JSON.parse(String(rows.find((row) => row["rowKey"] === `alert_${a.id}_failed`)?.["deliveries"]))).toEqual({ recording: { state: "pending", attempts: 0 } });
  });

  it("a silenced alert is recorded silenced on every channel, never pending", async () => {
    h = await startHarness(azurite);
    const a = h.graph.createSession({ workload: "oneDrive", status: "active", artifacts: [] });
    await h.poll();
    await new SilenceStore(h.table(), TEST_TENANT_ID, newTableCounters()).add({ until: "2099-01-01T00:00:00.000Z", sessionId: a.id });
    h.graph.updateSession(a.id, { status: "completedWithError" });
    const deps = h.deps();
    const run = tenantRun(h, deps);
    const observation = await observe(deps, run, undefined);
    await record(deps, run, { observation, enrichment: await enrich(deps, run, observation) });
    const row = (await readRows(h.table())).find((r) => r["rowKey"] === `alert_${a.id}_completedWithError`);
    expect(row).toMatchObject({ pending: false });
    expect(JSON.parse(String(row?.["deliveries"]))).toEqual({ recording: { state: "silenced", attempts: 0 } });
  });
});

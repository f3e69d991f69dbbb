import { afterEach, describe, expect, it } from "vitest";
import { observe } from "../../shared/pipeline/observe";
import { readRows, startHarness, tenantRun, type Harness } from "../support/pipelineHarness";
import { useAzurite } from "../support/useAzurite";

const azurite = useAzurite();
let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

describe("observe: list and compare, write nothing", () => {
  it("on an empty state: a baseline, a change per session, nothing alerted without ALERT_BASELINE_SINCE", async () => {
    h = await startHarness(azurite);
    h.graph.createSession({ workload: "exchange", status: "failed", artifacts: [] });
    h.graph.createSession({ workload: "oneDrive", status: "active", artifacts: [] });
    const deps = h.deps();
    const observation = await observe(deps, tenantRun(h, deps), undefined);
    expect(observation).toMatchObject({ baseline: true, sessionsSeen: 2, skipped: 0, gone: [] });
    expect(observation.changes.map((c) => c.alerts)).toEqual([[], []]);
    // Read the state and listed the sessions; wrote no row (the table itself is created).
    expect(deps.tableCounters).toMatchObject({ transactions: 0 });
    expect(await readRows(h.table())).toEqual([]);
  });

  it("after a baseline: the session that failed raises its alert, unchanged ones raise nothing, dropped ones are gone", async () => {
    h = await startHarness(azurite);
    const failing = h.graph.createSession({ workload: "sharePoint", status: "active", artifacts: [] });
    const dropped = h.graph.createSession({ workload: "exchange", status: "completed", artifacts: [] });
    h.graph.createSession({ workload: "oneDrive", status: "completed", artifacts: [] });
    await h.poll();
    h.graph.updateSession(failing.id, { status: "failed" });
    h.graph.removeSession(dropped.id);
    const deps = h.deps();
    const observation = await observe(deps, tenantRun(h, deps), undefined);
    expect(observation.baseline).toBe(false);
    expect(observation.changes.map((c) => ({ id: c.session.id, alerts: c.alerts }))).toEqual([{ id: failing.id, alerts: [{ kind: "status", status: "failed" }] }]);
    expect(observation.gone.map((g) => g.record.id)).toEqual([dropped.id]);
  });

  it("skips an unreadable item with its reason, and then forgets nothing (it might have been one of them)", async () => {
    h = await startHarness(azurite);
    const kept = h.graph.createSession({ workload: "exchange", status: "completed", artifacts: [] });
    await h.poll();
    h.graph.removeSession(kept.id);
    h.graph.createSession({ workload: "exchange", status: "completed", artifacts: [], raw: { "@odata.type": "#microsoft.graph.exchangeRestoreSession", status: "failed" } });
    const deps = h.deps();
    const observation = await observe(deps, tenantRun(h, deps), undefined);
    expect(observation).toMatchObject({ skipped: 1, gone: [] });
    expect(h.logs).toContainEqual(expect.stringMatching(/^WARN skipped restore session \(no id\): malformed session/));
  });
});

import { afterEach, describe, expect, it } from "vitest";
import { runPoll } from "../../shared/pipeline/poll";
import { TEST_TENANT_ID } from "../../local/emulators/tokens";
import { useAzurite } from "../support/useAzurite";
import { tableRequests } from "../support/faultProxy";
import { failedArtifact, failSessions, seedSessions, startFaultRig, type FaultRig } from "./faultRig";
import { alertRecords, expectNoStateAheadOfAlerts, expectRecovered } from "./invariants";

const azurite = useAzurite();
let rig: FaultRig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

const FIVE_MINUTES = 5 * 60_000;

function sessionRows(rows: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  return rows.filter((row) => String(row["rowKey"]).startsWith("session_"));
}

/** A rig with a baseline of `inFlight` running sessions, all of which then fail in Graph. */
async function failingTenant(inFlight: number, pageSize = 50): Promise<{ r: FaultRig; expected: string[] }> {
  rig = await startFaultRig(azurite, { graph: { pageSize } });
  const sessions = seedSessions(rig, inFlight);
  expect((await rig.run()).baseline).toBe(true);
  const expected = failSessions(rig, sessions);
  rig.advance(FIVE_MINUTES);
  return { r: rig, expected };
}

describe("Table Storage faults: state and alert records stay together", () => {
  it("storage unreachable for a whole run: the run fails, nothing is written, the next run catches up", async () => {
    const { r, expected } = await failingTenant(3);
    const before = await r.rows();
    r.proxy.refuseConnections(true);
    await expect(r.run()).rejects.toThrow();
    // The listing happened (Graph is fine); the table was never reached.
    expect(r.harness.graph.requests.length).toBeGreaterThan(0);
    expect(await r.rows()).toEqual(before);
    expect(r.acs.messages.length + r.teams.posts.length).toBe(0);

    // Still down on the next run.
    r.advance(FIVE_MINUTES);
    await expect(r.run()).rejects.toThrow();
    expect(await r.rows()).toEqual(before);

    r.proxy.refuseConnections(false);
    r.advance(FIVE_MINUTES);
    expect((await r.run()).alertsRecorded).toBe(3);
    await expectRecovered(r, expected);
  });

  it("a blip (503 ServerBusy, a reset) is retried within the run", async () => {
    const { r, expected } = await failingTenant(3);
    r.proxy.rule(tableRequests.batch, { kind: "status", status: 503 }, { times: 1 });
    r.proxy.rule(tableRequests.deliveryMarks(), { kind: "reset" }, { times: 1 });
    const summary = await r.run();
    expect(summary.alertsRecorded).toBe(3);
    expect(r.proxy.requests.filter((q) => q.outcome === "fault 503" || q.outcome === "fault reset")).toHaveLength(2);
    await expectRecovered(r, expected);
  });

  it("a 412 on the conditional session write (an ack landed between read and write): that change waits for the next run", async () => {
    const { r, expected } = await failingTenant(3);
    const [acked] = expected;
    const ackedSession = acked?.replace(/_failed$/, "") ?? "";
    r.proxy.rule(tableRequests.batchWith("alert_"), { kind: "hold" }, { times: 1 });
    const run = r.run();
    await r.proxy.next(tableRequests.batchWith("alert_"), "held");
    // Another writer (restorewatch ack) changes one session row while the run's transaction is in flight.
    await r.harness.table().updateEntity({ partitionKey: TEST_TENANT_ID, rowKey: `session_${ackedSession}`, acknowledgedAt: r.now.toISOString() }, "Merge");
    r.proxy.releaseHeld();
    const summary = await run;
    expect(summary).toMatchObject({ alertsRecorded: 2, deferred: 1 });
    expect(r.proxy.requests.some((q) => tableRequests.batch(q) && q.outcome === "202 after a hold")).toBe(true);
    const mid = await r.rows();
    expectNoStateAheadOfAlerts(mid);
    expect(alertRecords(mid).has(acked ?? "")).toBe(false);

    r.advance(FIVE_MINUTES);
    expect((await r.run()).alertsRecorded).toBe(1);
    await expectRecovered(r, expected);
  });

  it("a spurious 412 on the transaction is resolved in the same run", async () => {
    const { r, expected } = await failingTenant(3);
    r.proxy.rule(tableRequests.batchWith("alert_"), { kind: "status", status: 412 }, { times: 1 });
    const summary = await r.run();
    expect(summary).toMatchObject({ alertsRecorded: 3, deferred: 0 });
    expect(r.proxy.requests.some((q) => q.outcome === "fault 412")).toBe(true);
    await expectRecovered(r, expected);
  });

  it("a failure in the middle of a multi-batch write: the committed batch stands, the rest is recorded next run", async () => {
    rig = await startFaultRig(azurite, { graph: { pageSize: 200 } });
    const r = rig;
    seedSessions(r, 1);
    await r.run();
    // 120 new sessions, every tenth already failed: 108 changes of 1 operation and 12 of 2 (state + alert),
    // so the run writes two transactions (100 and 32 operations), each with alerts in it.
    const expected: string[] = [];
    for (let i = 0; i < 120; i++) {
      const failed = i % 10 === 0;
      const session = r.harness.graph.createSession({ workload: "exchange", status: failed ? "failed" : "active", artifacts: failed ? [failedArtifact(`m${i}`)] : [] });
      if (failed) expected.push(`${session.id}_failed`);
    }
    r.advance(FIVE_MINUTES);
    r.proxy.rule(tableRequests.batch, { kind: "status", status: 500 }, { skip: 1 });
    const seen = r.proxy.requests.length;
    await expect(r.run()).rejects.toThrow(/500/);
    const mid = await r.rows();
    expectNoStateAheadOfAlerts(mid);
    const firstBatch = alertRecords(mid).size;
    expect(firstBatch).toBeGreaterThan(0);
    expect(firstBatch).toBeLessThan(expected.length);
    // The failed transaction left nothing: only the 3 baseline rows and the first transaction's sessions exist.
    const committed = r.proxy.requests.slice(seen).find((q) => tableRequests.batch(q) && q.outcome === "202");
    const sessionsInFirstBatch = committed?.body.split('"RowKey":"session_').length ?? 1;
    expect(sessionRows(mid)).toHaveLength(3 + sessionsInFirstBatch - 1);
    expect(r.acs.messages.length + r.teams.posts.length).toBe(0);

    r.proxy.clearRules();
    r.advance(FIVE_MINUTES);
    const summary = await r.run();
    expect(summary.alertsRecorded).toBe(expected.length - firstBatch);
    // The two runs' alerts go as two digests per channel.
    expect(summary.delivery).toMatchObject({ messagesDelivered: 4, alertsDelivered: expected.length });
    await expectRecovered(r, expected);
  });

  it("a transaction commits but its answer is lost: the retry conflicts with itself, and each alert is still recorded once", async () => {
    const { r, expected } = await failingTenant(3);
    r.proxy.rule(tableRequests.batchWith("alert_"), { kind: "dropResponse" }, { times: 1 });
    const summary = await r.run();
    expect(r.proxy.requests.some((q) => q.outcome === "202 committed, answer lost")).toBe(true);
    // The run believes another run recorded them; they are in the outbox and delivered all the same.
    expect(summary.alertsRecorded + summary.deferred).toBe(3);
    await expectRecovered(r, expected);
  });

  it("two runs at once on the same state record each alert once, and deliver each once", async () => {
    const { r, expected } = await failingTenant(3);
    // Both runs reach their transaction before either commits.
    r.proxy.rule(tableRequests.batchWith("alert_"), { kind: "hold" }, { times: 2 });
    const runs = Promise.all([runPoll(r.deps()), runPoll(r.deps())]);
    await r.proxy.whenHeld(2);
    r.proxy.releaseHeld();
    const [a, b] = await runs;
    expect(a.alertsRecorded + b.alertsRecorded).toBe(3);
    expect(a.deferred + b.deferred).toBe(3);
    // Then only one of them delivers: each run leases the alerts it sends (Outbox.lease).
    await expectRecovered(r, expected);
  });

  it("storage fails after the send, before the delivery is marked: email is not sent again, Teams may repeat", async () => {
    const { r, expected } = await failingTenant(3);
    r.proxy.rule(tableRequests.deliveryMarks(), { kind: "reset" });
    await expect(r.run()).rejects.toThrow();
    expect(r.acs.messages).toHaveLength(1);
    expect(r.teams.posts).toHaveLength(1);
    const mid = await r.rows();
    expectNoStateAheadOfAlerts(mid);
    expect([...alertRecords(mid).values()].every((record) => record.pending)).toBe(true);

    r.proxy.clearRules();
    r.advance(FIVE_MINUTES);
    await r.run();
    // ACS was asked for the earlier operation instead of being sent the message again.
    expect(r.acs.requests.filter((q) => q.method === "POST")).toHaveLength(1);
    await expectRecovered(r, expected, { teamsRepeatWindows: 1 });
  });
});


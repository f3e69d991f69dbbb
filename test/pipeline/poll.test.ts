import { afterEach, describe, expect, it } from "vitest";
import { runPoll } from "../../shared/pipeline/poll";
import { TEST_TENANT_ID } from "../../local/emulators/tokens";
import { useAzurite } from "../support/useAzurite";
import { readRows, startHarness, type Harness } from "../support/pipelineHarness";
import { protectionUnitOf } from "../../local/emulators/graph/protectionUnits";

const azurite = useAzurite();
let harness: Harness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

async function start(options: Parameters<typeof startHarness>[1] = {}): Promise<Harness> {
  harness = await startHarness(azurite, options);
  return harness;
}

const failedArtifact = (id: string, code = "ArtifactCannotBeRestored") => ({
  id,
  status: "failed" as const,
  name: `Site ${id}`,
  webUrl: `https://contoso.sharepoint.com/sites/${id}`,
  error: { code, message: `Restore of ${id} failed.` },
  restorePointDateTime: "2026-11-27T00:00:00.000Z",
  destinationType: "inPlace" as const,
});

describe("the poll pipeline against Azurite and the Graph emulator", () => {
  it("records a baseline on the first run, then alerts once per failure with its failed artifacts", async () => {
    const h = await start();
    /** The site the emulator's protection unit of an artifact names. */
    const siteOf = (sessionId: string, artifactId: string) => {
      const session = h.graph.session(sessionId);
      const artifact = session?.artifacts.find((a) => a.id === artifactId);
      const unit = session && artifact && protectionUnitOf(session, artifact);
      if (unit?.kind !== "site") throw new Error(`no site unit for ${artifactId}`);
      return { name: unit.siteName, siteId: unit.siteId, webUrl: unit.siteWebUrl };
    };
    h.graph.createSession({ workload: "exchange", status: "failed", artifacts: [failedArtifact("old")] });
    const running = h.graph.createSession({ workload: "sharePoint", status: "active", artifacts: [{ id: "a1", status: "inProgress" }, { id: "a2", status: "inProgress" }] });
    for (let i = 0; i < 5; i++) h.graph.createSession({ workload: "oneDrive", status: "completed", artifacts: [{ id: `d${i}`, status: "succeeded" }] });

    const baseline = await h.poll();
    expect(baseline).toMatchObject({ baseline: true, sessionsSeen: 7, alertsRecorded: 0, tenantId: TEST_TENANT_ID });
    expect(h.channel.sent).toEqual([]);

    h.graph.updateSession(running.id, { status: "failed", artifacts: [failedArtifact("a1"), failedArtifact("a2", "InvalidRestoreTime")] });
    const second = await h.poll();
    expect(second).toMatchObject({ baseline: false, alertsRecorded: 1, transitions: 1 });
    expect(h.channel.deliveredIds()).toEqual([`${running.id}_failed`]);
    const alert = h.channel.sent[0]?.alerts[0];
    expect(alert?.session).toMatchObject({ id: running.id, workload: "sharePoint", status: "failed", artifactCount: { total: 2, failed: 2 } });
    expect(alert?.detail).toEqual({
      available: true,
      omittedCount: 0,
      failedArtifacts: [
        // Named by the protection unit behind each restore point (the emulator derives one per artifact).
        { id: "a1", kind: "site", ...siteOf(running.id, "a1"), errorCode: "ArtifactCannotBeRestored", errorMessage: "Restore of a1 failed.", restorePointDateTime: "2026-11-27T00:00:00.000Z", destinationType: "inPlace" },
        { id: "a2", kind: "site", ...siteOf(running.id, "a2"), errorCode: "InvalidRestoreTime", errorMessage: "Restore of a2 failed.", restorePointDateTime: "2026-11-27T00:00:00.000Z", destinationType: "inPlace" },
      ],
    });

    // A repeated run: nothing new, no second alert, no writes.
    const third = await h.poll();
    expect(third).toMatchObject({ alertsRecorded: 0, transitions: 0, tableTransactions: 0 });
    expect(h.channel.sent).toHaveLength(1);
    // Every request asked for the evolvable enum members (without it `failed` reads as unknownFutureValue).
    expect(h.graph.requests.every((r) => r.prefer?.includes("include-unknown-enum-members"))).toBe(true);
    expect(h.graph.requests.every((r) => r.authorized)).toBe(true);
  });

  it("alerts completedWithError, and a session created and failed between two runs", async () => {
    const h = await start();
    h.graph.createSession({ workload: "oneDrive", status: "completed", artifacts: [] });
    await h.poll();
    const partial = h.graph.createSession({ workload: "exchange", status: "active", artifacts: [{ id: "m1", status: "inProgress" }, { id: "m2", status: "inProgress" }] });
    await h.poll();
    h.graph.updateSession(partial.id, { status: "completedWithError", artifacts: [{ id: "m1", status: "succeeded" }, { id: "m2", status: "failed", name: "Restored-megan", error: { code: "ArtifactNotFound", message: "The requested restore artifact wasn't found for restore." } }] });
    const sudden = h.graph.createSession({ workload: "sharePoint", status: "failed", artifacts: [failedArtifact("s1")] });
    const summary = await h.poll();
    expect(summary.alertsRecorded).toBe(2);
    expect(new Set(h.channel.deliveredIds())).toEqual(new Set([`${partial.id}_completedWithError`, `${sudden.id}_failed`]));
    // Alerts of one run are delivered together.
    expect(h.channel.sent).toHaveLength(1);
    const partialAlert = h.channel.sent[0]?.alerts.find((a) => a.session.id === partial.id);
    expect(partialAlert?.detail).toMatchObject({ available: true, failedArtifacts: [{ id: "m2", kind: "mailbox", errorCode: "ArtifactNotFound" }] });
  });

  it("follows absolute session nextLinks and relative artifact nextLinks across many pages", async () => {
    const h = await start({ graph: { pageSize: 2, artifactPageSize: 2 } });
    await h.poll();
    const artifacts = Array.from({ length: 7 }, (_, i) => failedArtifact(`p${i}`));
    for (let i = 0; i < 6; i++) h.graph.createSession({ workload: "oneDrive", status: "completed", artifacts: [] });
    const big = h.graph.createSession({ workload: "sharePoint", status: "failed", artifacts });
    const summary = await h.poll();
    expect(summary.sessionsSeen).toBe(7);
    const alert = h.channel.sent[0]?.alerts[0];
    expect(alert?.detail.available && alert.detail.failedArtifacts.map((a) => a.id)).toEqual(artifacts.map((a) => a.id));
    // 4 pages of sessions + 4 pages of artifacts: the floor, nothing per session.
    expect(summary.graphRequests).toBe(8);
    expect(h.graph.requests.filter((r) => r.path.includes(`/${big.id}/siteRestoreArtifacts`) && r.path.includes("skiptoken"))).toHaveLength(3);
  });

  it("two runs at once record the alert once", async () => {
    const h = await start();
    const session = h.graph.createSession({ workload: "exchange", status: "active", artifacts: [{ id: "m", status: "inProgress" }] });
    await h.poll();
    h.graph.updateSession(session.id, { status: "failed", artifacts: [{ id: "m", status: "failed", error: { code: "UnknownError", message: "x" } }] });
    const [a, b] = await Promise.all([h.poll({ skipDelivery: true }), h.poll({ skipDelivery: true })]);
    expect(a.alertsRecorded + b.alertsRecorded).toBe(1);
    // Deferred when the runs really overlapped; on a busy machine one may finish before the other reads
    // (test/faults/tableFaults.test.ts forces the overlap at the wire).
    expect(a.deferred + b.deferred).toBeLessThanOrEqual(1);
    const alertRows = (await readRows(h.table())).filter((r) => String(r["rowKey"]).startsWith("alert_"));
    expect(alertRows.map((r) => r["rowKey"])).toEqual([`alert_${session.id}_failed`]);
    await h.poll();
    expect(h.channel.deliveredIds()).toEqual([`${session.id}_failed`]);
  });

  it("many concurrent instances still record each alert exactly once", async () => {
    const h = await start({ graph: { pageSize: 50 } });
    const sessions = Array.from({ length: 30 }, (_, i) => h.graph.createSession({ workload: i % 2 ? "exchange" : "oneDrive", status: "active", artifacts: [{ id: `x${i}`, status: "inProgress" }] }));
    await h.poll();
    for (const s of sessions) h.graph.updateSession(s.id, { status: "failed", artifacts: [{ id: "x", status: "failed", error: { code: "UnknownError", message: "boom" } }] });
    const runs = await Promise.all(Array.from({ length: 4 }, () => h.poll({ skipDelivery: true })));
    expect(runs.reduce((sum, r) => sum + r.alertsRecorded, 0)).toBe(30);
    const alertRows = (await readRows(h.table())).filter((r) => String(r["rowKey"]).startsWith("alert_"));
    expect(alertRows).toHaveLength(30);
  });

  it("skips items without a known status without touching their state, and alerts one with an unreadable field", async () => {
    const h = await start();
    const good = h.graph.createSession({ workload: "exchange", status: "active", artifacts: [] });
    const flaky = h.graph.createSession({ workload: "sharePoint", status: "active", artifacts: [] });
    await h.poll();
    h.graph.updateSession(flaky.id, { raw: { "@odata.type": "#microsoft.graph.sharePointRestoreSession", id: flaky.id, status: "exploded" } });
    h.graph.createSession({ workload: "exchange", status: "failed", artifacts: [], raw: { "@odata.type": "#microsoft.graph.exchangeRestoreSession", id: "bad-created", status: "failed", createdDateTime: "yesterday" } });
    h.graph.updateSession(good.id, { status: "failed", artifacts: [] });
    const before = (await readRows(h.table())).find((r) => r["rowKey"] === `session_${flaky.id}`);
    const summary = await h.poll();
    expect(summary).toMatchObject({ skipped: 1, alertsRecorded: 2 });
    expect(h.logs.some((l) => l.startsWith(`WARN skipped restore session ${flaky.id}: unknown status 'exploded'`))).toBe(true);
    expect(h.logs).toContain("WARN restore session bad-created: createdDateTime (not an ISO time) could not be read; shown as unknown");
    const after = (await readRows(h.table())).find((r) => r["rowKey"] === `session_${flaky.id}`);
    expect(after?.["etag"]).toBe(before?.["etag"]);
    expect(summary.alerts.find((a) => a.session.id === "bad-created")?.session.createdDateTime).toBeUndefined();
  });

  it("retries a 429 mid-listing after Retry-After and loses nothing", async () => {
    const h = await start({ graph: { pageSize: 2 } });
    await h.poll();
    const ids = Array.from({ length: 5 }, () => h.graph.createSession({ workload: "oneDrive", status: "failed", artifacts: [] }).id);
    h.graph.injectFault(/skiptoken/, { status: 429, retryAfterSeconds: 1 }, 1);
    const started = Date.now();
    const summary = await h.poll();
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(summary.alertsRecorded).toBe(5);
    expect(new Set(h.channel.deliveredIds())).toEqual(new Set(ids.map((id) => `${id}_failed`)));
    expect(h.graph.requests.some((r) => r.status === 429)).toBe(true);
  });

  it("writes no state when the listing fails part-way", async () => {
    const h = await start({ graph: { pageSize: 2 } });
    await h.poll();
    const rowsBefore = await readRows(h.table());
    for (let i = 0; i < 5; i++) h.graph.createSession({ workload: "exchange", status: "failed", artifacts: [] });
    h.graph.injectFault(/skiptoken/, { status: 500 }, 10);
    await expect(h.poll()).rejects.toThrow(/Graph answered 500/);
    const sessionRows = (await readRows(h.table())).filter((r) => String(r["rowKey"]).startsWith("session_") || String(r["rowKey"]).startsWith("alert_"));
    expect(sessionRows).toEqual(rowsBefore.filter((r) => String(r["rowKey"]).startsWith("session_")));
    const meta = (await readRows(h.table())).find((r) => r["rowKey"] === "meta_run");
    expect(meta?.["consecutiveFailures"]).toBe(1);
    h.graph.clearFaults();
    expect((await h.poll()).alertsRecorded).toBe(5);
  });

  it("names the permission to grant when Graph answers 403", async () => {
    const h = await start({ roles: ["User.Read.All"] });
    await expect(h.poll()).rejects.toThrow(/403 Authorization_RequestDenied.*BackupRestore-Restore.Read.All/);
  });

  it("forgets sessions Graph no longer lists", async () => {
    const h = await start();
    const gone = h.graph.createSession({ workload: "exchange", status: "completed", artifacts: [] });
    h.graph.createSession({ workload: "exchange", status: "completed", artifacts: [] });
    await h.poll();
    h.graph.removeSession(gone.id);
    const summary = await h.poll();
    expect(summary.forgotten).toBe(1);
    expect((await readRows(h.table())).some((r) => r["rowKey"] === `session_${gone.id}`)).toBe(false);
  });

  it("alerts with the detail marked unavailable when the artifacts can't be fetched", async () => {
    const h = await start();
    await h.poll();
    const s = h.graph.createSession({ workload: "sharePoint", status: "failed", artifacts: [failedArtifact("z")] });
    h.graph.injectFault(/siteRestoreArtifacts/, { status: 500 }, 10);
    await h.poll();
    const alert = h.channel.sent[0]?.alerts[0];
    expect(alert?.session.id).toBe(s.id);
    expect(alert?.detail).toMatchObject({ available: false, reason: expect.stringContaining("Graph answered 500") });
  });

  it("dry run changes no state and sends nothing, and reports what it would alert", async () => {
    const h = await start();
    await h.poll();
    const s = h.graph.createSession({ workload: "exchange", status: "failed", artifacts: [] });
    const rowsBefore = await readRows(h.table());
    const dry = await h.poll({ dryRun: true });
    expect(dry.alerts.map((a) => a.id)).toEqual([`${s.id}_failed`]);
    expect(dry.alertsRecorded).toBe(0);
    expect(h.channel.sent).toEqual([]);
    expect(await readRows(h.table())).toEqual(rowsBefore);
  });

  it("retries a channel that is down on later runs, and delivers once when it is back", async () => {
    const h = await start();
    await h.poll();
    const s = h.graph.createSession({ workload: "exchange", status: "failed", artifacts: [] });
    h.channel.answerNext({ kind: "retry", error: "HTTP 503" });
    const t0 = new Date();
    const first = await h.poll({ now: t0 });
    expect(first.delivery).toMatchObject({ alertsRetrying: 1, alertsDelivered: 0 });
    // Not due yet: the backoff holds it.
    await h.poll({ now: new Date(t0.getTime() + 10_000) });
    expect(h.channel.sent).toEqual([]);
    const later = await h.poll({ now: new Date(t0.getTime() + 120_000) });
    expect(later.delivery).toMatchObject({ alertsDelivered: 1 });
    expect(h.channel.deliveredIds()).toEqual([`${s.id}_failed`]);
    await h.poll({ now: new Date(t0.getTime() + 600_000) });
    expect(h.channel.sent).toHaveLength(1);
  });

  it("a fresh function instance (new clients) continues from the stored state", async () => {
    const h = await start();
    const s = h.graph.createSession({ workload: "exchange", status: "active", artifacts: [] });
    await runPoll(h.deps());
    h.graph.updateSession(s.id, { status: "failed", artifacts: [] });
    const summary = await runPoll(h.deps());
    expect(summary.alertsRecorded).toBe(1);
  });
});

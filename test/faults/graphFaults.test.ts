import type { TokenCredential } from "@azure/core-auth";
import { afterEach, describe, expect, it } from "vitest";
import type { PollSummary } from "../../shared/pipeline/poll";
import { useAzurite } from "../support/useAzurite";
import { READ_ROLE } from "../support/pipelineHarness";
import { failSessions, seedSessions, startFaultRig, type FaultRig, type FaultRigOptions } from "./faultRig";
import { alertRecords, expectNoStateAheadOfAlerts, expectRecovered } from "./invariants";

const azurite = useAzurite();
let rig: FaultRig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

/** Paths of the listing: the first page, the pages after it, and the artifact lists. */
const FIRST_PAGE = /\/restoreSessions$/;
const LATER_PAGE = /\/restoreSessions\?\$skiptoken=/;
const ARTIFACTS = /RestoreArtifacts/;

interface GraphFault {
  readonly name: string;
  readonly rig?: FaultRigOptions;
  /** Injected once the sessions have failed, before the run under test. */
  readonly inject?: (rig: FaultRig) => void;
  /** The credential of the run under test (a token Graph refuses). */
  readonly credential?: (rig: FaultRig) => TokenCredential;
  /** The run retries through the fault, or fails having written no session state. */
  readonly expect: { readonly run: "survives" } | { readonly run: "fails"; readonly error: RegExp };
  /** Proof that the fault really happened on the wire. */
  readonly seen: (rig: FaultRig) => void;
}

const statusSeen =
  (status: number, path: RegExp = /./) =>
  (r: FaultRig): void =>
    expect(r.harness.graph.requests.some((request) => request.status === status && path.test(request.path))).toBe(true);
/** The faulted path was asked again after the fault (a retry). */
const retried = (path: RegExp) => (r: FaultRig) => expect(r.harness.graph.requests.filter((request) => path.test(request.path) && request.status === 200).length).toBeGreaterThanOrEqual(1);

const GRAPH_FAULTS: readonly GraphFault[] = [
  {
    name: "429 with Retry-After on a later page",
    inject: (r) => r.harness.graph.injectFault(LATER_PAGE, { status: 429, retryAfterSeconds: 1 }),
    expect: { run: "survives" },
    seen: statusSeen(429, LATER_PAGE),
  },
  {
    name: "429 without Retry-After, twice in a row",
    inject: (r) => r.harness.graph.injectFault(LATER_PAGE, { status: 429 }, 2),
    expect: { run: "survives" },
    seen: (r) => expect(r.harness.graph.requests.filter((request) => request.status === 429)).toHaveLength(2),
  },
  {
    name: "503 on the first page",
    inject: (r) => r.harness.graph.injectFault(FIRST_PAGE, { status: 503 }),
    expect: { run: "survives" },
    seen: statusSeen(503, FIRST_PAGE),
  },
  {
    name: "504 on an artifact list",
    inject: (r) => r.harness.graph.injectFault(ARTIFACTS, { status: 504 }),
    expect: { run: "survives" },
    seen: statusSeen(504, ARTIFACTS),
  },
  {
    name: "connection reset in the middle of a page",
    inject: (r) => r.harness.graph.injectFault(LATER_PAGE, { status: 200, destroySocket: true }),
    expect: { run: "survives" },
    seen: (r) => {
      const paths = r.harness.graph.requests.filter((request) => LATER_PAGE.test(request.path)).map((request) => request.path);
      expect(paths.length).toBeGreaterThan(new Set(paths).size); // one page was asked twice
    },
  },
  {
    name: "a page that takes longer than GRAPH_TIMEOUT_SECONDS",
    rig: { env: { GRAPH_TIMEOUT_SECONDS: "1" } },
    inject: (r) => r.harness.graph.injectFault(LATER_PAGE, { status: 200, delayMs: 2_500 }),
    expect: { run: "survives" },
    seen: (r) => expect(r.harness.graph.requests.some((request) => LATER_PAGE.test(request.path) && request.status === 0)).toBe(true),
  },
  {
    name: "malformed JSON in a 200 answer, once",
    inject: (r) => r.harness.graph.injectFault(LATER_PAGE, { status: 200, body: '{"value": [{"id": "trunc' }),
    expect: { run: "survives" },
    seen: retried(LATER_PAGE),
  },
  {
    name: "Graph down: 503 on every attempt",
    inject: (r) => r.harness.graph.injectFault(LATER_PAGE, { status: 503 }, 100),
    expect: { run: "fails", error: /Graph answered 503/ },
    seen: statusSeen(503, LATER_PAGE),
  },
  {
    name: "malformed JSON on every attempt",
    inject: (r) => r.harness.graph.injectFault(LATER_PAGE, { status: 200, body: "<html>proxy error</html" }, 100),
    expect: { run: "fails", error: /malformed JSON body/ },
    seen: statusSeen(200, LATER_PAGE),
  },
  {
    name: "a page of the wrong type (value is not an array)",
    inject: (r) => r.harness.graph.injectFault(LATER_PAGE, { status: 200, body: JSON.stringify({ value: { id: "x" } }) }),
    expect: { run: "fails", error: /malformed page/ },
    seen: statusSeen(200, LATER_PAGE),
  },
  {
    name: "401: the token has expired",
    credential: (r) => r.harness.issuer.credential({ roles: [READ_ROLE], lifetimeInSeconds: -60 }),
    expect: { run: "fails", error: /Graph answered 401 InvalidAuthenticationToken.*token was refused/ },
    seen: statusSeen(401, FIRST_PAGE),
  },
  {
    name: "401 in the middle of the listing",
    inject: (r) => r.harness.graph.injectFault(LATER_PAGE, { status: 401 }),
    expect: { run: "fails", error: /Graph answered 401/ },
    seen: statusSeen(401, LATER_PAGE),
  },
  {
    name: "403: the app role is missing",
    credential: (r) => r.harness.issuer.credential({ roles: ["User.Read.All"] }),
    expect: { run: "fails", error: /403 Authorization_RequestDenied.*refused restorewatch's managed identity.*application permission BackupRestore-Restore\.Read\.All: restorewatch grant-graph-permission --principal-id [0-9a-f-]{36}\b.*Backup Storage controller/ },
    seen: statusSeen(403, FIRST_PAGE),
  },
];

describe("Graph faults: every failed session is alerted once, whatever Graph does", () => {
  for (const fault of GRAPH_FAULTS) {
    it(fault.name, async () => {
      rig = await startFaultRig(azurite, { graph: { pageSize: 2, artifactPageSize: 2 }, ...fault.rig });
      const r = rig;
      const sessions = seedSessions(r, 6);
      expect((await r.run()).baseline).toBe(true);
      // Failures spread over the first, second and third page.
      const expected = failSessions(r, [sessions[0], sessions[3], sessions[5]].filter((s) => s !== undefined));
      const before = await r.rows();
      fault.inject?.(r);
      r.advance(5 * 60_000);
      const faulted = r.run(fault.credential ? { credential: fault.credential(r) } : {});

      if (fault.expect.run === "survives") {
        const summary = await faulted;
        expect(summary.alertsRecorded).toBe(expected.length);
        fault.seen(r);
        await expectRecovered(r, expected);
      } else {
        await expect(faulted).rejects.toThrow(fault.expect.error);
        fault.seen(r);
        const after = await r.rows();
        // Nothing about any session was written: not the failures, not the sessions before the fault.
        const sessionRows = (rows: typeof before) => rows.filter((row) => String(row["rowKey"]).startsWith("session_"));
        expect(sessionRows(after)).toEqual(sessionRows(before));
        expect(alertRecords(after).size).toBe(0);
        expectNoStateAheadOfAlerts(after);
        expect(after.find((row) => row["rowKey"] === "meta_run")?.["consecutiveFailures"]).toBe(1);
        expect(r.acs.messages.length + r.teams.posts.length).toBe(0);

        // The cause goes away (fault spent or cleared, the role granted, a fresh token): the next run catches up.
        r.harness.graph.clearFaults();
        r.advance(5 * 60_000);
        expect((await r.run()).alertsRecorded).toBe(expected.length);
        await expectRecovered(r, expected);
      }
      // And a later run announces nothing again.
      r.advance(5 * 60_000);
      const quiet: PollSummary = await r.run();
      expect(quiet).toMatchObject({ alertsRecorded: 0, transitions: 0 });
      await expectRecovered(r, expected);
    });
  }

  it("reads fields of the wrong type as unknown and alerts; skips items without a status or not objects without touching their state, and alerts them once they read well", async () => {
    rig = await startFaultRig(azurite, { graph: { pageSize: 2 } });
    const r = rig;
    const sessions = seedSessions(r, 4);
    await r.run();
    const [wrongTypes, missingStatus, fine] = sessions;
    if (!wrongTypes || !missingStatus || !fine) throw new Error("seed");
    const expected = failSessions(r, [wrongTypes, missingStatus, fine]);
    // Graph serves two of them with fields of the wrong type, plus an item that is not even an object.
    r.harness.graph.updateSession(wrongTypes.id, { raw: { "@odata.type": "#microsoft.graph.exchangeRestoreSession", id: wrongTypes.id, status: "failed", createdDateTime: 20260101, restoreSessionArtifactCount: "3" } });
    r.harness.graph.updateSession(missingStatus.id, { raw: { "@odata.type": "#microsoft.graph.sharePointRestoreSession", id: missingStatus.id, status: null } });
    r.harness.graph.createSession({ workload: "oneDrive", status: "failed", raw: ["not", "a", "session"] });
    const before = await r.rows();
    r.advance(5 * 60_000);

    const summary = await r.run();
    expect(summary).toMatchObject({ skipped: 2, alertsRecorded: 2, forgotten: 0 });
    const after = await r.rows();
    for (const id of [missingStatus.id]) {
      const row = (rows: typeof before) => rows.find((entity) => entity["rowKey"] === `session_${id}`);
      expect(row(after)?.["etag"], `state of skipped ${id}`).toBe(row(before)?.["etag"]);
    }
    expectNoStateAheadOfAlerts(after);
    expect([...alertRecords(after).keys()].sort()).toEqual([`${fine.id}_failed`, `${wrongTypes.id}_failed`].sort());

    // Graph serves them properly again.
    for (const session of [wrongTypes, missingStatus]) {
      const live = r.harness.graph.session(session.id);
      if (live) delete live.raw;
    }
    r.advance(5 * 60_000);
    expect((await r.run()).alertsRecorded).toBe(1);
    await expectRecovered(r, expected);
  });

  it("huge values from Graph (a 40,000-character error message) are alerted, not a record Table Storage refuses on every run", async () => {
    rig = await startFaultRig(azurite);
    const r = rig;
    const sessions = seedSessions(r, 2);
    await r.run();
    const expected = failSessions(r, sessions);
    const [huge, other] = sessions;
    if (!huge || !other) throw new Error("seed");
    r.harness.graph.updateSession(huge.id, { error: { code: "E".repeat(5_000), message: "Ü\u0001".repeat(20_000) }, createdBy: { user: { id: "u", displayName: "🚀".repeat(20_000) } } });
    // The artifact list of the other session fails with a huge error body.
    r.harness.graph.injectFault(new RegExp(`/${other.id}/`), { status: 500, body: JSON.stringify({ error: { code: "InternalServerError", message: "x".repeat(50_000) } }) }, 100);
    r.advance(5 * 60_000);
    expect((await r.run()).alertsRecorded).toBe(2);
    await expectRecovered(r, expected);
  });

  it("alerts with the detail marked unavailable when an artifact list keeps failing, once", async () => {
    rig = await startFaultRig(azurite);
    const r = rig;
    const sessions = seedSessions(r, 2);
    await r.run();
    const expected = failSessions(r, sessions);
    r.harness.graph.injectFault(ARTIFACTS, { status: 500 }, 100);
    r.advance(5 * 60_000);
    expect((await r.run()).alertsRecorded).toBe(2);
    await expectRecovered(r, expected);
    expect(r.acs.messages[0]?.plainText).toContain("The failed items could not be listed: Graph answered 500");
    r.harness.graph.clearFaults();
    r.advance(5 * 60_000);
    expect((await r.run()).alertsRecorded).toBe(0);
    await expectRecovered(r, expected);
  });
});

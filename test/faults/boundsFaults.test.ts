import { readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { GraphRequestError, RunDeadlineError } from "../../shared/domain/errors";
import { createGraphApi, type GraphApi } from "../../shared/graph/graphClient";
import { MAX_GRAPH_RESPONSE_BYTES, MAX_GRAPH_RETRY_AFTER_IN_MS } from "../../shared/graph/retryMiddleware";
import { MAX_SESSION_PAGES, listRestoreSessions } from "../../shared/graph/restoreSource";
import { RUN_DEADLINE_IN_MS, runPoll } from "../../shared/pipeline/poll";
import { RETRY_AFTER_CEILING_IN_MS, RETRY_AFTER_FLOOR_IN_MS } from "../../shared/domain/retryAfter";
import { RunMetaStore } from "../../shared/state/runMeta";
import { newTableCounters } from "../../shared/state/tableClient";
import type { GraphRoute } from "../../local/emulators/graph/graphRoutes";
import { TEST_TENANT_ID } from "../../local/emulators/tokens";
import { useAzurite } from "../support/useAzurite";
import { READ_ROLE } from "../support/pipelineHarness";
import { failSessions, seedSessions, startFaultRig, type FaultRig, type FaultRigOptions } from "./faultRig";
import { alertRecords, expectNoStateAheadOfAlerts, expectRecovered } from "./invariants";

/**
 * Every wait and every input from the far side is bounded (docs/reliability.md, "Bounds"): Retry-After
 * values, the run's own duration, and the size and number of Graph pages. Each test drives the real
 * pipeline or the real Graph client against the emulators with one hostile answer.
 */
const azurite = useAzurite();
let rig: FaultRig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

async function start(options: FaultRigOptions = {}): Promise<FaultRig> {
  rig = await startFaultRig(azurite, options);
  return rig;
}

/** The rig's state row for the run: consecutive failures and the last error. */
async function runMeta(r: FaultRig) {
  return (await new RunMetaStore(r.harness.table(), TEST_TENANT_ID, newTableCounters()).read()).meta;
}

/** The Graph client as the app builds it, with its waits recorded instead of slept. */
function graphClient(r: FaultRig, waits: number[]): GraphApi {
  return createGraphApi({
    endpoint: r.harness.graph.url,
    emulatorOrigins: [r.harness.graph.url],
    credential: r.harness.issuer.credential({ roles: [READ_ROLE] }),
    maxRetries: 3,
    timeoutInMs: 5_000,
    counters: { requests: 0, bytesRead: 0, throttled: 0 },
    sleep: async (ms) => {
      waits.push(ms);
    },
  });
}

async function drain(pages: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of pages) void _;
}

describe("Retry-After from a channel is bounded", () => {
  it.each([
    ["a number of seconds no Date can hold", "99999999999999"],
    ["ten years", String(10 * 365 * 24 * 3600)],
    ["an HTTP date ten years ahead", new Date(Date.now() + 10 * 365 * 24 * 3600_000).toUTCString()],
  ])("Teams 429 with Retry-After of %s: the run completes, the email goes, the next Teams attempt is at most 6 h away", async (_name, retryAfter) => {
    const r = await start();
    const sessions = seedSessions(r, 2);
    await r.run(); // the baseline
    const ids = failSessions(r, sessions);
    r.teams.respondWith(1, { status: 429, retryAfterSeconds: retryAfter, body: "slow down" });
    await r.run();
    const records = alertRecords(await r.rows());
    expect([...records.keys()].sort()).toEqual([...ids].sort());
    for (const record of records.values()) {
      expect(record.deliveries["email"]?.state).toBe("delivered");
      const teams = record.deliveries["teams"];
      expect(teams?.state).toBe("retrying");
      const next = Date.parse(teams?.nextAttemptAt ?? "");
      expect(new Date(next).toISOString()).toBe(teams?.nextAttemptAt); // a valid time
      expect(next - r.now.getTime()).toBeLessThanOrEqual(RETRY_AFTER_CEILING_IN_MS);
      expect(next - r.now.getTime()).toBeGreaterThanOrEqual(60_000); // never sooner than the backoff
    }
  });

  it("an alert that Teams keeps throttling for years still dead-letters after DELIVERY_MAX_ATTEMPTS", async () => {
    const r = await start({ env: { DELIVERY_MAX_ATTEMPTS: "4" } });
    const sessions = seedSessions(r, 1);
    await r.run();
    const ids = failSessions(r, sessions);
    r.teams.respondWith(10, { status: 429, retryAfterSeconds: String(10 * 365 * 24 * 3600), body: "slow down" });
    await r.run();
    for (let run = 1; run < 4; run++) {
      r.advance(RETRY_AFTER_CEILING_IN_MS);
      await r.run();
    }
    const record = alertRecords(await r.rows()).get(ids[0] ?? "");
    expect(record?.deliveries["teams"]).toMatchObject({ state: "deadLettered", attempts: 4 });
    expect(record?.deliveries["email"]).toMatchObject({ state: "delivered", attempts: 1 });
  });
});

describe("Retry-After from Graph is bounded", () => {
  it.each([
    ["negative", "-5"],
    ["zero", "0"],
    ["an HTTP date in the past", new Date(Date.now() - 3600_000).toUTCString()],
  ])("a %s Retry-After waits the floor (1 s), not zero", async (_name, retryAfter) => {
    const r = await start();
    seedSessions(r, 1);
    r.harness.graph.injectFault(/restoreSessions$/, { status: 429, retryAfterSeconds: retryAfter }, 2);
    const waits: number[] = [];
    await drain(listRestoreSessions(graphClient(r, waits)));
    expect(waits).toEqual([RETRY_AFTER_FLOOR_IN_MS, RETRY_AFTER_FLOOR_IN_MS]);
  });

  it("a Retry-After over a minute is not waited for inside a run: the run fails at once, and the next run catches up", async () => {
    const r = await start();
    const sessions = seedSessions(r, 2);
    await r.run();
    const ids = failSessions(r, sessions);
    r.harness.graph.injectFault(/restoreSessions$/, { status: 429, retryAfterSeconds: 3600 }, 1);
    const waits: number[] = [];
    const error = await drain(listRestoreSessions(graphClient(r, waits))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphRequestError);
    expect(error).toMatchObject({ status: 429 });
    expect(waits.filter((ms) => ms > MAX_GRAPH_RETRY_AFTER_IN_MS)).toEqual([]);
    r.advance(5 * 60_000);
    await r.run();
    await expectRecovered(r, ids);
  });
});

describe("a run has a deadline", () => {
  it(`is ${RUN_DEADLINE_IN_MS / 60_000} minutes, at least 2 under host.json's functionTimeout`, () => {
    const host = JSON.parse(readFileSync(path.resolve(__dirname, "../../host.json"), "utf8")) as { functionTimeout: string };
    const [h, m, s] = host.functionTimeout.split(":").map(Number) as [number, number, number];
    expect(((h * 60 + m) * 60 + s) * 1000 - RUN_DEADLINE_IN_MS).toBeGreaterThanOrEqual(2 * 60_000);
  });

  it("Graph hangs mid-listing past the deadline: the run stops, is recorded as failed, writes no state; the next run records everything", async () => {
    const r = await start();
    const sessions = seedSessions(r, 3);
    await r.run();
    const ids = failSessions(r, sessions);
    r.harness.graph.injectFault(/restoreSessions/, { status: 200, delayMs: 60_000 }, 1);
    const started = Date.now();
    const error = await runPoll(r.deps(), { deadlineInMs: 1_500 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(error).toMatchObject({ name: "GraphRequestError", code: "RunDeadline" });
    expect(await runMeta(r)).toMatchObject({ consecutiveFailures: 1, lastError: expect.stringContaining("RunDeadline") });
    const rows = await r.rows();
    expect(alertRecords(rows).size).toBe(0);
    expectNoStateAheadOfAlerts(rows);
    r.advance(5 * 60_000);
    await r.run();
    await expectRecovered(r, ids);
    expect((await runMeta(r)).consecutiveFailures).toBe(0);
  });

  it("Teams hangs past the deadline: the email's outcome is written, the run counts as failed, and the next run sends Teams", async () => {
    const r = await start({ teamsTimeoutInMs: 30_000 });
    const sessions = seedSessions(r, 2);
    await r.run();
    const ids = failSessions(r, sessions);
    r.teams.respondWith(1, { hang: true });
    const error = await runPoll(r.deps(), { deadlineInMs: 3_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunDeadlineError);
    const records = [...alertRecords(await r.rows()).values()];
    expect(records.map((a) => a.deliveries["email"]?.state)).toEqual(["delivered", "delivered"]);
    expect(records.map((a) => a.deliveries["teams"]?.state)).toEqual(["retrying", "retrying"]);
    expect(await runMeta(r)).toMatchObject({ consecutiveFailures: 1 });
    r.advance(20 * 60_000);
    await r.run();
    // Teams may see the cut-short post and the retry (its webhook has no idempotency key); email once.
    await expectRecovered(r, ids, { teamsRepeatWindows: 1 });
  });
});

describe("Graph's answers are bounded in size and number", () => {
  /** A listing whose every page links to a new one. */
  const endlessPages: GraphRoute = (request) => {
    if (!request.path.startsWith("/solutions/backupRestore/restoreSessions")) return undefined;
    const page = Number(request.query.get("page") ?? "0");
    return { status: 200, body: { value: [], "@odata.nextLink": `/v1.0/solutions/backupRestore/restoreSessions?page=${page + 1}` } };
  };

  it(`a listing of endless distinct nextLinks stops at the page cap (${MAX_SESSION_PAGES.toLocaleString("en")}; here 50) with PageLimitExceeded`, async () => {
    const r = await start({ graph: { routes: [endlessPages] } });
    const error = await drain(listRestoreSessions(graphClient(r, []), { maxPages: 50 })).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "PageLimitExceeded", message: expect.stringContaining("more than 50 pages") });
    expect(r.harness.graph.requests.filter((q) => q.path.includes("restoreSessions"))).toHaveLength(50);
  });

  it(`a response over ${MAX_GRAPH_RESPONSE_BYTES / 1048576} MiB is not read: ResponseTooLarge, and the run is recorded as failed`, async () => {
    const huge = "x".repeat(MAX_GRAPH_RESPONSE_BYTES + 1);
    const r = await start({ graph: { routes: [(request) => (request.path === "/solutions/backupRestore/restoreSessions" ? { status: 200, body: { value: [], padding: huge } } : undefined)] } });
    const error = await r.run().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "ResponseTooLarge" });
    expect(await runMeta(r)).toMatchObject({ consecutiveFailures: 1, lastError: expect.stringContaining("ResponseTooLarge") });
  });
});

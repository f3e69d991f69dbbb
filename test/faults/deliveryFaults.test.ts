import { afterEach, describe, expect, it } from "vitest";
import type { DeliveryState } from "../../shared/domain/delivery";
import { useAzurite } from "../support/useAzurite";
import { failSessions, seedSessions, startFaultRig, type FaultRig, type FaultRigOptions } from "./faultRig";
import { alertRecords, expectNoStateAheadOfAlerts, expectRecovered, type InvariantOptions } from "./invariants";

const azurite = useAzurite();
let rig: FaultRig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

/** Longer than any backoff a test reaches (60 s · 2^n up to 8 min) and any Retry-After used here. */
const NEXT_RUN = 20 * 60_000;

interface DeliveryFault {
  readonly name: string;
  readonly rig?: FaultRigOptions;
  readonly inject: (rig: FaultRig) => void;
  /** Where each channel stands after the faulted run. */
  readonly afterFirstRun: { readonly email: DeliveryState; readonly teams: DeliveryState };
  /** Runs (each NEXT_RUN later) until every channel delivered or gave up. */
  readonly laterRuns: number;
  readonly invariants?: (alertIds: readonly string[]) => InvariantOptions;
  /** Wire evidence and channel-specific checks, after recovery. */
  readonly check?: (rig: FaultRig) => void;
}

const posts = (r: FaultRig, method: string) => r.acs.requests.filter((q) => q.method === method);

const DELIVERY_FAULTS: readonly DeliveryFault[] = [
  {
    name: "ACS 429 with Retry-After",
    inject: (r) => r.acs.failNext(1, { status: 429, retryAfterSeconds: 600 }),
    afterFirstRun: { email: "retrying", teams: "delivered" },
    laterRuns: 1,
    check: (r) => expect(r.acs.requests.some((q) => q.status === 429)).toBe(true),
  },
  {
    name: "ACS 500 on the send",
    inject: (r) => r.acs.failNext(1, { status: 500 }),
    afterFirstRun: { email: "retrying", teams: "delivered" },
    laterRuns: 1,
  },
  {
    name: "ACS 503 on the operation look-up",
    inject: (r) => r.acs.failNext(1, { status: 503 }, "operation"),
    afterFirstRun: { email: "retrying", teams: "delivered" },
    laterRuns: 1,
  },
  {
    name: "ACS timeout: the send is accepted but its answer never comes in time",
    rig: { emailRequestTimeoutInMs: 1_500 },
    inject: (r) => r.acs.failNext(1, { hangMs: 30_000 }),
    afterFirstRun: { email: "retrying", teams: "delivered" },
    laterRuns: 1,
    // The retry looked the operation up and found it done: one POST in all.
    check: (r) => expect(posts(r, "POST")).toHaveLength(1),
  },
  {
    name: "ACS accepts, then the operation ends Failed (transient): sent again under the next operation id",
    inject: (r) => r.acs.failOperations(1, { code: "ServiceUnavailable", message: "Try again later." }),
    afterFirstRun: { email: "delivered", teams: "delivered" },
    laterRuns: 0,
    check: (r) => expect(r.acs.messages.map((m) => r.acs.operations.get(m.operationId)?.status)).toEqual(["Failed", "Succeeded"]),
  },
  {
    name: "ACS accepts, then the operation ends Failed (permanent): dead-lettered on email only",
    inject: (r) => r.acs.failOperations(1, { code: "DomainNotLinked", message: "The specified sender domain has not been linked." }),
    afterFirstRun: { email: "deadLettered", teams: "delivered" },
    laterRuns: 1,
    invariants: (ids) => ({ deadLettered: Object.fromEntries(ids.map((id) => [id, ["email"]])) }),
    check: (r) => {
      expect(r.harness.logs.filter((line) => line.startsWith("ERROR alert ") && line.includes("dead-lettered on channel email"))).toHaveLength(2);
      expect(posts(r, "POST")).toHaveLength(1); // not tried again
    },
  },
  {
    name: "Teams 429 with Retry-After",
    inject: (r) => r.teams.respondWith(1, { status: 429, retryAfterSeconds: 600, body: "Too many requests" }),
    afterFirstRun: { email: "delivered", teams: "retrying" },
    laterRuns: 1,
  },
  {
    name: "Teams 502",
    inject: (r) => r.teams.respondWith(1, { status: 502, body: "Bad gateway" }),
    afterFirstRun: { email: "delivered", teams: "retrying" },
    laterRuns: 1,
  },
  {
    name: "Teams 400: the card is refused, dead-lettered on Teams only",
    inject: (r) => r.teams.respondWith(1, { status: 400, body: '{"error":{"code":"InvalidRequestContent"}}' }),
    afterFirstRun: { email: "delivered", teams: "deadLettered" },
    laterRuns: 1,
    invariants: (ids) => ({ deadLettered: Object.fromEntries(ids.map((id) => [id, ["teams"]])) }),
    check: (r) => expect(r.teams.posts).toHaveLength(1),
  },
  {
    name: "Teams timeout: the post reached Teams but the answer never came",
    rig: { teamsTimeoutInMs: 1_000 },
    inject: (r) => r.teams.respondWith(1, { hang: true }),
    afterFirstRun: { email: "delivered", teams: "retrying" },
    laterRuns: 1,
    // The webhook has no idempotency key: the retry posts again. The documented exception.
    invariants: () => ({ teamsRepeatWindows: 1 }),
    check: (r) => expect(r.teams.posts.map((p) => p.answeredWith)).toEqual(["hang", 202]),
  },
  {
    name: "Teams down for four runs, then back",
    inject: (r) => r.teams.respondWith(4, { status: 503, body: "Service unavailable" }),
    afterFirstRun: { email: "delivered", teams: "retrying" },
    laterRuns: 4,
    check: (r) => expect(r.acs.messages).toHaveLength(1), // email was not sent again meanwhile
  },
  {
    name: "ACS down for three runs, then back",
    inject: (r) => r.acs.failNext(3, { status: 503 }),
    afterFirstRun: { email: "retrying", teams: "delivered" },
    laterRuns: 3,
    check: (r) => expect(r.teams.posts).toHaveLength(1),
  },
  {
    name: "both channels down for three runs, then back",
    inject: (r) => {
      r.acs.failNext(3, { status: 500 });
      r.teams.respondWith(3, { status: 500, body: "Internal error" });
    },
    afterFirstRun: { email: "retrying", teams: "retrying" },
    laterRuns: 3,
  },
];

describe("delivery faults: every alert reaches every channel that can take it, once", () => {
  for (const fault of DELIVERY_FAULTS) {
    it(fault.name, async () => {
      rig = await startFaultRig(azurite, fault.rig);
      const r = rig;
      const sessions = seedSessions(r, 2);
      await r.run();
      const expected = failSessions(r, sessions);
      fault.inject(r);
      r.advance(5 * 60_000);

      const first = await r.run();
      expect(first.alertsRecorded).toBe(expected.length);
      const rows = await r.rows();
      expectNoStateAheadOfAlerts(rows);
      for (const [id, record] of alertRecords(rows)) {
        expect({ id, email: record.deliveries["email"]?.state, teams: record.deliveries["teams"]?.state }).toEqual({ id, ...fault.afterFirstRun });
      }
      for (let run = 0; run < fault.laterRuns; run++) {
        r.advance(NEXT_RUN);
        expect((await r.run()).alertsRecorded).toBe(0);
      }
      await expectRecovered(r, expected, fault.invariants?.(expected) ?? {});
      fault.check?.(r);
    });
  }

  it("honours a channel's Retry-After beyond the backoff: not sent again before it", async () => {
    rig = await startFaultRig(azurite);
    const r = rig;
    const sessions = seedSessions(r, 1);
    await r.run();
    const expected = failSessions(r, sessions);
    r.acs.failNext(1, { status: 429, retryAfterSeconds: 600 });
    r.teams.respondWith(1, { status: 429, retryAfterSeconds: 300 });
    const t0 = r.advance(5 * 60_000);
    await r.run();
    const [record] = alertRecords(await r.rows()).values();
    expect(Date.parse(record?.deliveries["email"]?.nextAttemptAt ?? "")).toBe(t0.getTime() + 600_000);
    expect(Date.parse(record?.deliveries["teams"]?.nextAttemptAt ?? "")).toBe(t0.getTime() + 300_000);
    // After the backoff (60 s) but before either Retry-After: nothing is sent.
    const sendsBefore = { email: posts(r, "POST").length, teams: r.teams.posts.length };
    r.advance(120_000);
    await r.run();
    expect({ email: posts(r, "POST").length, teams: r.teams.posts.length }).toEqual(sendsBefore);
    r.advance(600_000);
    await r.run();
    await expectRecovered(r, expected);
  });
});

import { afterEach, describe, it } from "vitest";
import { runPoll } from "../../shared/pipeline/poll";
import { useAzurite } from "../support/useAzurite";
import { tableRequests } from "../support/faultProxy";
import { failSessions, seedSessions, startFaultRig, type FaultRig } from "./faultRig";
import { expectRecovered } from "./invariants";

const azurite = useAzurite();
let rig: FaultRig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

/** Delivery races and oversized channel errors: both once posted twice to Teams. */
describe("delivery claims", () => {
  // Each run leases the alerts it delivers (ETag-conditional, Outbox.lease), so two runs that overlap
  // cannot both find an alert pending and both post it (Teams has no idempotency key).
  it("two runs at once post each alert to Teams once", async () => {
    rig = await startFaultRig(azurite);
    const r = rig;
    const sessions = seedSessions(r, 3);
    await r.run();
    const expected = failSessions(r, sessions);
    r.advance(300_000);
    r.proxy.rule(tableRequests.batchWith("alert_"), { kind: "hold" }, { times: 2 });
    const runs = Promise.all([runPoll(r.deps()), runPoll(r.deps())]);
    await r.proxy.whenHeld(2);
    r.proxy.releaseHeld();
    await runs;
    await expectRecovered(r, expected);
  });

  // A channel's error text is bounded before it goes into the alert row's `deliveries` property: past
  // 32K characters Table Storage would refuse the delivery-state write after the send, on every run.
  it("an ACS error with a 50,000-character message is retried, not a delivery state Table Storage refuses", async () => {
    rig = await startFaultRig(azurite);
    const r = rig;
    const sessions = seedSessions(r, 1);
    await r.run();
    const expected = failSessions(r, sessions);
    r.acs.failNext(1, { status: 500, code: "InternalServerError", message: "x".repeat(50_000) });
    r.advance(300_000);
    await r.run();
    r.advance(1_200_000);
    await r.run();
    await expectRecovered(r, expected);
  });
});

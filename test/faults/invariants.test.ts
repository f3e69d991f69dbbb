import { describe, expect, it } from "vitest";
import { renderEmail } from "../../shared/alerts/renderEmail";
import { renderTeamsMessage } from "../../shared/alerts/renderTeamsCard";
import { makeAlert } from "../alerts/alertFixtures";
import type { AcsEmailEmulator } from "../../local/emulators/acsEmailEmulator";
import type { TeamsReceiver } from "../../local/emulators/teamsReceiver";
import { emailTally, expectNoStateAheadOfAlerts, teamsTally } from "./invariants";

// The checks the fault suite relies on must be able to fail: each is shown catching what it guards.
describe("fault-suite invariant checks", () => {
  it("catch a session row at a failed status without its alert record", () => {
    const rows = [
      { rowKey: "session_s1", status: "failed" },
      { rowKey: "alert_s1_failed" },
      { rowKey: "session_s2", status: "completedWithError" },
      { rowKey: "session_s3", status: "active" },
    ];
    expect(() => expectNoStateAheadOfAlerts(rows)).toThrow(/s2_completedWithError/);
    expect(() => expectNoStateAheadOfAlerts([...rows, { rowKey: "alert_s2_completedWithError" }])).not.toThrow();
  });

  it("count an email per session only when its operation succeeded", () => {
    const email = renderEmail([makeAlert({ sessionId: "s-1" }), makeAlert({ sessionId: "s-2" })]);
    const acs = {
      messages: [
        { operationId: "op-failed", plainText: email.plainText },
        { operationId: "op-ok", plainText: email.plainText },
      ],
      operations: new Map([
        ["op-failed", { finalStatus: "Failed" }],
        ["op-ok", { finalStatus: "Succeeded" }],
      ]),
    } as unknown as AcsEmailEmulator;
    const tally = emailTally(acs);
    expect(Object.fromEntries(tally.confirmed)).toEqual({ "s-1": 1, "s-2": 1 });
    expect(Object.fromEntries(tally.reached)).toEqual({ "s-1": 2, "s-2": 2 });
  });

  it("read the sessions of a Teams card, counting hanging posts as possibly shown and refused ones as not", () => {
    const { body } = renderTeamsMessage([makeAlert({ sessionId: "s-1" }), makeAlert({ sessionId: "s-2" })]);
    const receiver = {
      posts: [
        { body, answeredWith: 202 },
        { body, answeredWith: "hang" },
        { body, answeredWith: 503 },
      ],
    } as unknown as TeamsReceiver;
    const tally = teamsTally(receiver);
    expect(Object.fromEntries(tally.confirmed)).toEqual({ "s-1": 1, "s-2": 1 });
    expect(Object.fromEntries(tally.reached)).toEqual({ "s-1": 2, "s-2": 2 });
  });
});

// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { alertHeadline, digestBreakdown, failedOfTotal, formatDuration, formatUtc, messageSeverity, messageSubject, moreItemsText, singleLine, truncate } from "../../shared/alerts/summary";
import { failedArtifact, makeAlert, makeDigest } from "./alertFixtures";
import { renderBoth } from "./renderedItems";

describe("summary", () => {
  it("formats Graph times in UTC to the minute, seven fractional digits included", () => {
    expect(formatUtc("2026-07-14T11:02:33.1234567Z")).toBe("2026-07-14 11:02 UTC");
    expect(formatUtc("2026-07-14T13:02:00+02:00")).toBe("2026-07-14 11:02 UTC");
    expect(formatUtc("not a time")).toBe("not a time");
  });

  it("formats coarse durations", () => {
    expect(formatDuration(45 * 60_000)).toBe("45m");
    expect(formatDuration(26 * 3_600_000)).toBe("26h");
    expect(formatDuration(5 * 86_400_000)).toBe("5d");
  });

  it("says failed of total with the workload's noun", () => {
    expect(failedOfTotal(makeAlert())).toBe("3 of 5 sites");
    expect(failedOfTotal(makeAlert({ workload: "exchange", failed: [failedArtifact(1)], session: { artifactCount: { total: 1, completed: 0, inProgress: 0, failed: 1 } } }))).toBe(
      "1 of 1 mailbox",
    );
    expect(failedOfTotal(makeAlert({ workload: "oneDrive", omittedCount: 1_200, session: { artifactCount: undefined } }))).toBe("1,203 drives");
    expect(failedOfTotal(makeAlert({ detail: { available: false, reason: "x" }, session: { artifactCount: undefined } }))).toBeUndefined();
  });

  it("words headlines for each kind of alert", () => {
    expect(alertHeadline(makeAlert())).toBe("SharePoint restore failed: 3 of 5 sites");
    expect(alertHeadline(makeAlert({ status: "completedWithError", workload: "oneDrive" }))).toBe("OneDrive restore completed with errors: 3 of 5 drives failed");
    expect(
      alertHeadline(
        makeAlert({
          kind: "stuck",
          status: "active",
          workload: "exchange",
          session: { createdDateTime: "2026-07-13T09:00:00Z", artifactCount: undefined },
          detail: { available: true, failedArtifacts: [], omittedCount: 0 },
          recordedAt: "2026-07-14T11:00:00Z",
        }),
      ),
    ).toBe("Exchange restore stuck for 26h: still active");
    expect(alertHeadline(makeAlert({ kind: "reminder", recordedAt: "2026-07-17T11:05:00Z" }))).toBe("Reminder: SharePoint restore failed 3d ago: 3 of 5 sites");
    expect(messageSubject([makeAlert()])).toBe("[restorewatch] SharePoint restore failed: 3 of 5 sites");
  });

  it("summarises a digest by status and kind", () => {
    expect(messageSubject(makeDigest(200))).toBe("[restorewatch] 200 restore sessions need attention (180 failed, 20 completed with errors)");
    const mixed = [makeAlert({ kind: "reminder" }), makeAlert({ kind: "stuck", status: "active" }), makeAlert({ status: "completedWithError" }), makeAlert({ kind: "reminder" })];
    expect(digestBreakdown(mixed)).toBe("1 completed with errors, 1 stuck, 2 reminders");
    expect(messageSeverity(mixed)).toBe("attention"); // a reminder of a failure
    expect(messageSeverity([makeAlert({ status: "completedWithError" })])).toBe("warning");
  });

  it("counts what a list leaves out", () => {
    expect(moreItemsText(0, 0, "sharePoint")).toBeUndefined();
    expect(moreItemsText(1, 0, "exchange")).toBe("and 1 more failed mailbox not listed here; see the admin center for all of them");
  });

  it("cuts by code point and flattens lines", () => {
    expect(truncate("🚀🚀🚀", 2)).toBe("🚀…");
    expect(truncate("abc", 3)).toBe("abc");
    expect(singleLine(" a\r\n\tb  c\u2028d ")).toBe("a b c d");
  });
});

describe("counters Graph left out and session types it added later", () => {
  /** Everything a reader sees of an alert: subject, HTML text, plain text and every card text. */
  function everything(view: ReturnType<typeof renderBoth>): string {
    return [view.email.subject, view.document.body.textContent ?? "", view.email.plainText, ...view.cardTexts].join("\n");
  }

  it("shows `unknown` where a counter is missing, never undefined or NaN; the headline falls back to the listed failures", () => {
    const failedUnknown = makeAlert({ session: { artifactCount: { total: 5, completed: 2, inProgress: 0 } } });
    const view = renderBoth([failedUnknown]);
    expect(view.email.subject).toBe("[restorewatch] SharePoint restore failed: 3 sites");
    expect(view.emailFacts["Artifacts failed"]).toBe("unknown of 5 (3 listed)");
    expect(view.cardFacts["Artifacts failed"]).toBe("unknown of 5 (3 listed)");
    expect(everything(view)).not.toMatch(/undefined|NaN/);

    const none = renderBoth([makeAlert({ session: { artifactCount: {} } })]);
    expect(none.emailFacts["Artifacts failed"]).toBe("unknown of unknown (3 listed)");
    expect(everything(none)).not.toMatch(/undefined|NaN/);

    const totalUnknown = makeAlert({ status: "completedWithError", session: { artifactCount: { failed: 2 } } });
    expect(alertHeadline(totalUnknown)).toBe("SharePoint restore completed with errors: 2 sites failed");
    expect(renderBoth([totalUnknown]).emailFacts["Artifacts failed"]).toBe("2 of unknown");
  });

  it("words a stuck session's progress with the counters it has", () => {
    const stuck = (artifactCount: object) =>
      alertHeadline(makeAlert({ kind: "stuck", status: "active", workload: "exchange", failed: [], session: { createdDateTime: "2026-07-13T09:00:00Z", artifactCount }, recordedAt: "2026-07-14T11:00:00Z" }));
    expect(stuck({ total: 4 })).toBe("Exchange restore stuck for 26h: unknown of 4 mailboxes in progress");
    expect(stuck({ inProgress: 3 })).toBe("Exchange restore stuck for 26h: 3 mailboxes in progress");
    expect(stuck({})).toBe("Exchange restore stuck for 26h: still active");
  });

  it("labels a session of a type Graph added later `Microsoft 365` and names its type", () => {
    const alert = makeAlert({ workload: "unknown", failed: [failedArtifact(1, { name: undefined, webUrl: undefined })], session: { odataType: "#microsoft.graph.teamsRestoreSession", artifactCount: undefined } });
    const view = renderBoth([alert]);
    expect(view.email.subject).toBe("[restorewatch] Microsoft 365 restore failed: 1 item");
    expect(view.emailFacts["Workload"]).toBe("unknown session type (#microsoft.graph.teamsRestoreSession)");
    expect(view.cardFacts["Workload"]).toBe("unknown session type (#microsoft.graph.teamsRestoreSession)");
    // Its items are what Graph said, by id when nothing else is known.
    expect(view.emailRows("Failed item").map((row) => row.lines)).toEqual([["artifact-1"]]);
    expect(renderBoth([makeAlert({ workload: "unknown", session: { odataType: undefined } })]).emailFacts["Workload"]).toBe("unknown session type");
  });
});

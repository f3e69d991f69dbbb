// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import type { BulkRequestIssue } from "../../shared/domain/alert";
import { TEAMS_MAX_ROWS_PER_SESSION } from "../../shared/alerts/renderTeamsCard";
import { alertReason, alertSeverity, digestBreakdown } from "../../shared/alerts/summary";
import { failedArtifact, makeAlert } from "./alertFixtures";
import { plainTextEntries, renderBoth } from "./renderedItems";

const ISSUE: BulkRequestIssue = {
  id: "2a9c1e7b-0000-4000-8000-000000000001",
  displayName: "EXO-BulkRestoreArtifacts",
  status: "completedWithErrors",
  errorCode: "BulkRestoreInvalidCreateRequestUserEmail",
  errorMessage: "One or more mailboxes could not be resolved: nobody@contoso.com",
  requestedCount: 3,
};

/** An Exchange bulk restore that completed, with only its bulk requests ending with errors. */
function completedBulk(issues: readonly BulkRequestIssue[] = [ISSUE]) {
  return makeAlert({
    workload: "exchange",
    status: "completed",
    session: { restoreJobType: "bulk", artifactCount: { total: 5, completed: 5, inProgress: 0, failed: 0 } },
    detail: { available: true, failedArtifacts: [], omittedCount: 0, bulkIssues: issues },
  });
}

describe("bulk requests with errors", () => {
  it("a completed bulk restore with unresolved items says so in the headline and reason, as a warning", () => {
    const alert = completedBulk();
    const view = renderBoth([alert]);
    const headline = "Exchange bulk restore completed with unresolved items: 1 request with errors";
    expect(view.email.subject).toBe(`[restorewatch] ${headline}`);
    expect(view.document.querySelector("h1")?.textContent).toBe(headline);
    expect(view.document.querySelector("h1")?.getAttribute("style")).toContain("color:#8a5a00");
    expect(alertSeverity(alert)).toBe("warning");
    expect((view.card["body"] as Record<string, unknown>[])[0]).toMatchObject({ text: `restorewatch: ${headline}`, color: "Warning" });
    const reason = "the session ended completed, but 1 bulk request ended with errors: what it named could not be restored";
    expect(view.emailFacts["Alert reason"]).toBe(reason);
    expect(view.cardFacts["Alert reason"]).toBe(reason);
    expect(view.emailFacts["Bulk requests with errors"]).toBe("1");
    expect(view.email.plainText).toContain("No restore item of this session failed.");
    expect(digestBreakdown([alert, makeAlert()])).toBe("1 failed, 1 completed with unresolved items");
    expect(alertReason({ ...alert, kind: "reminder" })).toBe(`reminder: ${reason}; it is still unacknowledged`);
  });

  it("every renderer lists each request: display name, status, resources named, error code and message", () => {
    const view = renderBoth([completedBulk()]);
    const lines = ["EXO-BulkRestoreArtifacts", "status completedWithErrors · named 3 mailboxes", `request id ${ISSUE.id}`];
    expect(view.emailRows("Bulk request")).toEqual([{ lines, cells: [ISSUE.errorCode, ISSUE.errorMessage] }]);
    expect(view.cardRows("Bulk request")).toEqual([{ lines, cells: [ISSUE.errorCode, ISSUE.errorMessage] }]);
    expect(plainTextEntries(view.email.plainText, "Bulk requests with errors:")).toEqual([[...lines, `error: ${ISSUE.errorCode}: ${ISSUE.errorMessage}`]]);
    expect(view.email.plainText).toContain("Some mailboxes these requests named could not be resolved, so they were never restored.");
  });

  it("shows them beside the failed artifacts of a failed bulk restore, and counts them in the headline", () => {
    const alert = makeAlert({ workload: "sharePoint", failed: [failedArtifact(1)], detail: { available: true, failedArtifacts: [failedArtifact(1)], omittedCount: 0, bulkIssues: [ISSUE, { id: "r2" }] } });
    const view = renderBoth([alert]);
    expect(view.email.subject).toBe("[restorewatch] SharePoint restore failed: 1 of 5 sites, 2 bulk requests with errors");
    expect(view.emailRows("Failed item")).toHaveLength(1);
    // A request with nothing but an id is named by it.
    expect(view.emailRows("Bulk request").map((row) => row.lines)).toEqual([["EXO-BulkRestoreArtifacts", "status completedWithErrors · named 3 sites", `request id ${ISSUE.id}`], ["Bulk request r2"]]);
    expect(view.cardRows("Bulk request").map((row) => row.lines[0])).toEqual(["EXO-BulkRestoreArtifacts", "Bulk request r2"]);
    // The failed items come first, the bulk requests after them.
    expect(view.email.plainText.indexOf("Failed items:")).toBeLessThan(view.email.plainText.indexOf("Bulk requests with errors:\n"));
  });

  it("the card cuts a long list of requests and counts the rest; the email lists them all", () => {
    const issues = Array.from({ length: TEAMS_MAX_ROWS_PER_SESSION + 5 }, (_, index) => ({ ...ISSUE, id: `request-${index}`, displayName: `Request ${index}` }));
    const view = renderBoth([completedBulk(issues)]);
    expect(view.emailRows("Bulk request")).toHaveLength(issues.length);
    const cardRows = view.cardRows("Bulk request").length;
    expect(cardRows).toBeLessThan(issues.length);
    expect(view.cardTexts).toContain(`and ${issues.length - cardRows} more bulk requests with errors not listed here; see the admin center for all of them.`);
  });

  it("escapes hostile request text in both renderers", () => {
    const hostile = "<script>alert(1)</script> [x](javascript:alert(1)) https://evil.example {{DATE(2017-02-14T06:08:39Z, SHORT)}}";
    const view = renderBoth([completedBulk([{ id: hostile, displayName: hostile, status: hostile, errorCode: hostile, errorMessage: hostile }])]);
    expect(view.email.html).not.toMatch(/<script|https:\/\/evil/);
    expect(view.document.querySelectorAll("script, a:not([href='https://admin.microsoft.com/'])")).toHaveLength(0);
    const inert = hostile.replace("https://", "https[:]//");
    expect(view.emailRows("Bulk request")[0]?.lines[0]).toBe(inert);
    expect(view.cardRows("Bulk request")[0]?.lines[0]).toBe(inert);
    expect(JSON.stringify(view.card)).not.toMatch(/\{\{|https:\/\/evil/);
  });
});

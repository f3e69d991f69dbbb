import type { BulkRequestIssue } from "../domain/alert";
import type { Workload } from "../domain/restoreSession";
import { shownText } from "./artifactLines";
import { artifactNoun, countOf, formatCount } from "./summary";

/** Longest text a renderer shows per part of a bulk request, in characters. */
export interface BulkIssueTextLimits {
  readonly name: number;
  readonly id: number;
  readonly code: number;
  readonly message: number;
}

/**
 * A bulk addition request that ended with errors, as lines every renderer shows: its display name
 * (else its id), then its status and how many mailboxes, sites or drives it named, then its id; the
 * error code and message beside them, as for a failed item.
 */
export interface BulkIssueLines {
  readonly title: string;
  readonly details: readonly string[];
  readonly errorCode: string;
  readonly errorMessage: string;
}

export function bulkIssueLines(issue: BulkRequestIssue, workload: Workload, limits: BulkIssueTextLimits): BulkIssueLines {
  const id = shownText(issue.id, limits.id) ?? "(no id)";
  const name = shownText(issue.displayName, limits.name);
  const status = shownText(issue.status, limits.code);
  const state = [status && `status ${status}`, issue.requestedCount !== undefined && `named ${countOf(issue.requestedCount, workload)}`].filter((part): part is string => typeof part === "string");
  const details = [state.length > 0 ? state.join(" · ") : undefined, name !== undefined ? `request id ${id}` : undefined];
  return {
    title: name ?? `Bulk request ${id}`,
    details: details.filter((line): line is string => line !== undefined),
    errorCode: shownText(issue.errorCode, limits.code) ?? "",
    errorMessage: shownText(issue.errorMessage, limits.message) ?? "",
  };
}

/** `and 3 more bulk requests with errors not listed here; see the admin center for all of them`. */
export function moreBulkIssuesText(notShown: number): string | undefined {
  if (notShown <= 0) return undefined;
  return `and ${formatCount(notShown)} more bulk request${notShown === 1 ? "" : "s"} with errors not listed here; see the admin center for all of them`;
}

export const BULK_ISSUES_HEADING = "Bulk requests with errors";

/** Under the heading: what a bulk request with errors means for the admin. */
export function bulkIssuesNote(workload: Workload): string {
  return `Some ${artifactNoun(2, workload)} these requests named could not be resolved, so they were never restored.`;
}

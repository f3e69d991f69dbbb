import type { BulkRequestIssue } from "../domain/alert";
import { WORKLOADS, type RestoreSession } from "../domain/restoreSession";
import { MAX_ARTIFACT_TEXT_CHARS, MAX_BULK_ISSUES, boundText } from "../domain/textBounds";
import type { GraphApi } from "./graphClient";
import { isObject } from "./jsonFields";
import { LenientReader } from "./lenientFields";
import { listPages, type ListOptions } from "./pages";
import { errorOf } from "./restoreSession";

/** The bulk addition requests of a bulk restore that ended with errors, and how many there were. */
export interface BulkIssues {
  /** At most MAX_BULK_ISSUES, in Graph's order. */
  readonly issues: readonly BulkRequestIssue[];
  /** Every request with errors, kept or not. */
  readonly requestsWithErrors: number;
}

/** Graph allows one bulk addition job per session; a page cap guards against a listing that never ends. */
const MAX_BULK_PAGES = 100;

/**
 * Reads a bulk restore's addition requests (mailbox, site or drive twins): the mailboxes, sites or
 * drives they named that could not be resolved never became artifacts, so their errors live only
 * here. These lists take no OData query options. Throws what the listing throws (the caller decides
 * what a failure means for its alert); memory stays bounded however many ids a request names.
 */
export async function listBulkIssues(api: GraphApi, session: RestoreSession, options: ListOptions = {}): Promise<BulkIssues> {
  const collections = WORKLOADS[session.workload].collections;
  if (!collections) return { issues: [], requestsWithErrors: 0 };
  const path = `/solutions/backupRestore/${collections.sessionsCollection}/${encodeURIComponent(session.id)}/${collections.bulkRequestsCollection}`;
  const issues: BulkRequestIssue[] = [];
  let requestsWithErrors = 0;
  for await (const items of listPages(api, path, options.maxPages ?? MAX_BULK_PAGES, options)) {
    for (const item of items) {
      const issue = readIssue(item);
      if (!issue) continue;
      requestsWithErrors++;
      if (issues.length < MAX_BULK_ISSUES) issues.push(issue);
    }
  }
  return { issues, requestsWithErrors };
}

/** A request that ended `completedWithErrors`, or has an error set, as an issue; undefined otherwise. */
function readIssue(item: unknown): BulkRequestIssue | undefined {
  if (!isObject(item)) return undefined;
  const read = new LenientReader();
  const status = read.text(item, "status");
  const error = errorOf(read, read.object(item, "error"), "error");
  if (status !== "completedWithErrors" && !error) return undefined;
  const id = read.text(item, "id");
  const displayName = read.text(item, "displayName");
  // What it named: ids for mailboxes and drives, ids or URLs for sites (the list omits `mailboxes`).
  const named = ["directoryObjectIds", "siteIds", "siteWebUrls", "drives", "mailboxes"].map((key) => read.list(item, key)?.length ?? 0);
  const requestedCount = Math.max(...named);
  return {
    id: id ? boundText(id, MAX_ARTIFACT_TEXT_CHARS.id) : "(no id)",
    ...(displayName && { displayName: boundText(displayName, MAX_ARTIFACT_TEXT_CHARS.name) }),
    ...(status && { status: boundText(status, MAX_ARTIFACT_TEXT_CHARS.code) }),
    ...(error?.code && { errorCode: boundText(error.code, MAX_ARTIFACT_TEXT_CHARS.code) }),
    ...(error?.message && { errorMessage: boundText(error.message, MAX_ARTIFACT_TEXT_CHARS.message) }),
    ...(requestedCount > 0 && { requestedCount }),
  };
}

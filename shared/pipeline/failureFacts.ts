import type { FailureDetail } from "../domain/alert";
import { GraphRequestError, errorMessage } from "../domain/errors";
import type { SessionChange } from "../domain/sessionChange";
import { listBulkIssues, type BulkIssues } from "../graph/bulkRequests";
import { lookUpDirectoryNames, withDirectoryName, type DirectoryName } from "../graph/directoryNames";
import { listFailedArtifacts, packFailureDetail, type ArtifactExpansion, type ListedFailures } from "../graph/failureDetail";
import type { PollDeps, TenantRun } from "./pollDeps";

/**
 * What Graph says of one alerting change: its failed artifacts and bulk issues, or that the change
 * waits for the next run (a bulk check that could not be made: no alert is lost, none is guessed).
 */
export type ChangeFacts =
  | { readonly deferred: false; readonly change: SessionChange; readonly listed?: ListedFailures; readonly bulk?: BulkIssues }
  | { readonly deferred: true; readonly change: SessionChange; readonly reason: string };

/**
 * Reads what one change needs from Graph. A bulk restore's addition requests are read first: they
 * decide whether a completed bulk restore alerts at all (its `whenBulkErrors` intent), and they go
 * into every alert of a bulk restore. Without any alert left, nothing else is read.
 */
export async function factsOf(deps: PollDeps, run: TenantRun, change: SessionChange, expansion: ArtifactExpansion): Promise<ChangeFacts> {
  const { session } = change;
  const options = { abortSignal: run.deadline };
  let bulk: BulkIssues | undefined;
  if (session.restoreJobType === "bulk") {
    try {
      bulk = await listBulkIssues(deps.graph, session, options);
    } catch (error) {
      if (error instanceof GraphRequestError && error.code === "RunDeadline") throw error;
      if (change.alerts.some((intent) => intent.whenBulkErrors)) return { deferred: true, change, reason: errorMessage(error) };
      run.log.warn(`session ${session.id}: its bulk addition requests could not be read (${errorMessage(error)}); the alert goes out without them`);
    }
  }
  const decided = decideBulkIntents(change, bulk, run.now);
  if (decided.alerts.length === 0) return { deferred: false, change: decided };
  const listed = await listFailedArtifacts(deps.graph, session, { ...options, expansion });
  return { deferred: false, change: decided, listed, ...(bulk && { bulk }) };
}

/** Keeps a `whenBulkErrors` intent only when a request ended with errors; the record then notes the alert. */
function decideBulkIntents(change: SessionChange, bulk: BulkIssues | undefined, now: Date): SessionChange {
  if (!change.alerts.some((intent) => intent.whenBulkErrors)) return change;
  const hasErrors = (bulk?.requestsWithErrors ?? 0) > 0;
  const alerts = change.alerts.filter((intent) => !intent.whenBulkErrors || hasErrors);
  return { ...change, alerts, next: hasErrors ? { ...change.next, lastAlertedAt: now.toISOString() } : change.next };
}

/**
 * Names the mailbox and OneDrive owners of every alert of the run at once (getByIds, a request per
 * 1,000 ids). Without a directory read permission alerts show object ids, and the log says once how
 * to grant it; any other failure leaves the ids too.
 */
export async function directoryNamesFor(deps: PollDeps, run: TenantRun, facts: readonly ChangeFacts[]): Promise<ReadonlyMap<string, DirectoryName>> {
  const ids = new Set<string>();
  for (const fact of facts) {
    if (fact.deferred || !fact.listed?.available) continue;
    for (const artifact of fact.listed.artifacts) if (artifact.objectId !== undefined && artifact.name === undefined) ids.add(artifact.objectId);
  }
  if (ids.size === 0) return new Map();
  const lookup = await lookUpDirectoryNames(deps.graph, ids, { abortSignal: run.deadline });
  if (lookup.ok) return lookup.names;
  // One line a run: the 403's message says what to grant, and to whom.
  const why = lookup.reason === "forbidden" ? "the identity may not read names from the directory" : "the directory look-up failed";
  run.log.warn(`failed mailboxes and OneDrives are shown by object id: ${why} (${lookup.message})`);
  return new Map();
}

/** The detail an alert stores: the listed failures with the directory's names, and the bulk issues. */
export function detailOf(facts: Extract<ChangeFacts, { deferred: false }>, names: ReadonlyMap<string, DirectoryName>): FailureDetail {
  const listed = facts.listed ?? { available: false, reason: "not fetched" };
  const named: ListedFailures = listed.available ? { ...listed, artifacts: listed.artifacts.map((artifact) => withDirectoryName(artifact, names)) } : listed;
  return packFailureDetail(named, facts.bulk ? { bulkIssues: facts.bulk.issues } : {});
}

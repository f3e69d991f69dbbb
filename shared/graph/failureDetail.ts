import type { FailedArtifact, FailureDetail } from "../domain/alert";
import { GraphRequestError, errorMessage } from "../domain/errors";
import { WORKLOADS, type KnownWorkload, type RestoreSession } from "../domain/restoreSession";
import { MAX_DETAIL_JSON_CHARS, MAX_SESSION_TEXT_CHARS, boundText } from "../domain/textBounds";
import { listBulkIssues } from "./bulkRequests";
import type { GraphApi } from "./graphClient";
import { listPages, type ListOptions } from "./pages";
import { parseRestoreArtifact } from "./restoreArtifact";

/** Most pages of one session's artifacts (a bulk restore holds up to 10,000 items). */
export const MAX_ARTIFACT_PAGES = 1_000;
/**
 * Most failed artifacts of one session held in memory: far more than one alert row stores
 * (MAX_DETAIL_JSON_CHARS), so the rest are only counted.
 */
export const MAX_KEPT_FAILURES = 5_000;

/**
 * How the artifact lists are asked for the protection unit (who or what failed): the docs show
 * `restorePoint` inline, the service may need `$expand`, and may refuse the nested one.
 */
export type ExpandForm = "nested" | "restorePoint" | "none";
const EXPAND_QUERY: Readonly<Record<ExpandForm, string>> = {
  nested: "?$expand=restorePoint($expand=protectionUnit)",
  restorePoint: "?$expand=restorePoint",
  none: "",
};

const FORMS: readonly ExpandForm[] = ["nested", "restorePoint", "none"];

/**
 * What the service accepted of `$expand`, for one run: the richest form first. When a plainer form
 * works where the richer ones got a 400, the run uses it from then on. A 400 that no form gets past
 * (a bad session id, say) changes nothing. Until one listing has worked, listings go one at a time
 * (the sessions are fetched concurrently), so each refused form costs one 400 a run, not one a fetch.
 */
export class ArtifactExpansion {
  private current: ExpandForm = "nested";
  private known = false;
  private probe: Promise<unknown> | undefined;
  /** Forms Graph refused this run, in order (the run logs them once). */
  readonly refused: ExpandForm[] = [];

  get form(): ExpandForm {
    return this.current;
  }

  /** The forms to try, in order: the one in use, then each plainer one. */
  candidates(): readonly ExpandForm[] {
    return FORMS.slice(FORMS.indexOf(this.current));
  }

  /** `form` worked (after the richer ones it was tried after got a 400): keep to it, never stepping back up. */
  settle(form: ExpandForm): void {
    this.known = true;
    const to = FORMS.indexOf(form);
    for (let rank = FORMS.indexOf(this.current); rank < to; rank++) this.refused.push(FORMS[rank] as ExpandForm);
    if (to > FORMS.indexOf(this.current)) this.current = form;
  }

  /** Runs a listing: at once when a form is known to work, else after the listings before it. */
  async turn<T>(listing: () => Promise<T>): Promise<T> {
    while (!this.known && this.probe) await this.probe.catch(() => undefined);
    if (this.known) return listing();
    const probe = listing();
    this.probe = probe;
    try {
      return await probe;
    } finally {
      if (this.probe === probe) this.probe = undefined;
    }
  }
}

export interface FailureListOptions extends ListOptions {
  /** The run's expansion memory; a fresh one (richest form first) when absent. */
  readonly expansion?: ArtifactExpansion;
}

/** A session's failed artifacts as listed: the first MAX_KEPT_FAILURES, and how many failed in all. */
export type ListedFailures = { readonly available: true; readonly artifacts: readonly FailedArtifact[]; readonly failedCount: number } | { readonly available: false; readonly reason: string };

/**
 * The failed artifacts of a session from its collection: the granular one for a granular restore
 * (instead of the standard one), else the standard one (bulk restores too). Never throws but for the
 * run's deadline: a session whose artifacts can't be fetched is alerted with the detail unavailable.
 */
export async function listFailedArtifacts(api: GraphApi, session: RestoreSession, options: FailureListOptions = {}): Promise<ListedFailures> {
  const collections = WORKLOADS[session.workload].collections;
  if (session.workload === "unknown" || !collections) {
    return { available: false, reason: `restorewatch does not know this type of restore session (${session.odataType ?? "no @odata.type"}), so it cannot list its artifacts` };
  }
  const workload: KnownWorkload = session.workload;
  const granular = session.restoreJobType === "granular";
  const path = `/solutions/backupRestore/${collections.sessionsCollection}/${encodeURIComponent(session.id)}/${granular ? collections.granularArtifactsCollection : collections.artifactsCollection}`;
  // Granular drive and site artifacts have their own base type, without a restore point to expand.
  const expandable = !granular || session.workload === "exchange";
  const expansion = options.expansion ?? new ArtifactExpansion();
  const list = async (): Promise<ListedFailures> => {
    const forms = expandable ? expansion.candidates() : (["none"] as const);
    let refusal: unknown;
    for (const form of forms) {
      try {
        const listed = await collectFailures(api, path + EXPAND_QUERY[form], { workload, granular }, options);
        if (expandable) expansion.settle(form);
        return listed;
      } catch (error) {
        if (!isBadRequest(error)) throw error;
        refusal ??= error;
      }
    }
    throw refusal;
  };
  try {
    return await (expandable ? expansion.turn(list) : list());
  } catch (error) {
    // The run's deadline is the run's failure, not this session's: nothing is recorded, the next run starts over.
    if (error instanceof GraphRequestError && error.code === "RunDeadline") throw error;
    // Graph's error text is unbounded, and the reason is stored as one string property.
    return { available: false, reason: boundText(errorMessage(error), MAX_SESSION_TEXT_CHARS.message) };
  }
}

async function collectFailures(api: GraphApi, path: string, list: { workload: KnownWorkload; granular: boolean }, options: ListOptions): Promise<ListedFailures> {
  const artifacts: FailedArtifact[] = [];
  let failedCount = 0;
  for await (const items of listPages(api, path, options.maxPages ?? MAX_ARTIFACT_PAGES, options)) {
    for (const item of items) {
      const listed = parseRestoreArtifact(item, list);
      if (listed.status !== "failed") continue;
      failedCount++;
      if (artifacts.length < MAX_KEPT_FAILURES) artifacts.push(listed.artifact);
    }
  }
  return { available: true, artifacts, failedCount };
}

function isBadRequest(error: unknown): boolean {
  return error instanceof GraphRequestError && error.status === 400;
}

/**
 * What an alert row keeps: the failed artifacts in listing order while they fit the row
 * (MAX_DETAIL_JSON_CHARS of JSON), the rest counted as omitted.
 */
export function packFailureDetail(listed: ListedFailures, extra: Pick<Extract<FailureDetail, { available: true }>, "bulkIssues"> = {}): FailureDetail {
  if (!listed.available) return listed;
  const failedArtifacts: FailedArtifact[] = [];
  let jsonChars = 2;
  for (const artifact of listed.artifacts) {
    const size = JSON.stringify(artifact).length + 1;
    if (jsonChars + size > MAX_DETAIL_JSON_CHARS) break;
    jsonChars += size;
    failedArtifacts.push(artifact);
  }
  return { available: true, failedArtifacts, omittedCount: listed.failedCount - failedArtifacts.length, ...(extra.bulkIssues && extra.bulkIssues.length > 0 && { bulkIssues: extra.bulkIssues }) };
}

/**
 * The failure detail of one session on its own (no directory names): its failed artifacts, and for
 * a bulk restore the addition requests that ended with errors (left out if they can't be read).
 */
export async function fetchFailureDetail(api: GraphApi, session: RestoreSession, options: FailureListOptions = {}): Promise<FailureDetail> {
  const listed = await listFailedArtifacts(api, session, options);
  if (session.restoreJobType !== "bulk") return packFailureDetail(listed);
  const bulk = await listBulkIssues(api, session, options).catch((error: unknown) => {
    if (error instanceof GraphRequestError && error.code === "RunDeadline") throw error;
    return undefined;
  });
  return packFailureDetail(listed, bulk ? { bulkIssues: bulk.issues } : {});
}

import type { FailedArtifact, FailureDetail } from "../domain/alert";
import { GraphRequestError, errorMessage } from "../domain/errors";
import { MAX_DETAIL_JSON_CHARS } from "../domain/textBounds";
import type { GraphApi } from "./graphClient";
import { FieldError, isObject, optionalObject, optionalString } from "./jsonFields";
import { MAX_SESSION_TEXT_CHARS, boundText } from "../domain/textBounds";
import { WORKLOADS, type RestoreSession } from "../domain/restoreSession";
import { parseRestoreSession } from "./restoreSession";

export const RESTORE_SESSIONS_PATH = "/solutions/backupRestore/restoreSessions";

/** One page of the restore session listing: valid sessions, and items skipped with the reason. */
export interface SessionPage {
  readonly sessions: readonly RestoreSession[];
  readonly skipped: readonly { readonly id: string | undefined; readonly reason: string }[];
}

/** `{"value": [...], "@odata.nextLink"?: "..."}`, or undefined when the body is not a collection page. */
function readCollectionPage(body: unknown): { readonly value: readonly unknown[]; readonly nextLink?: string } | undefined {
  if (!isObject(body) || !Array.isArray(body["value"])) return undefined;
  const nextLink = body["@odata.nextLink"];
  if (nextLink === undefined || nextLink === null) return { value: body["value"] };
  return typeof nextLink === "string" && nextLink !== "" ? { value: body["value"], nextLink } : undefined;
}

/**
 * Most pages read of one listing. Far above any real tenant (100,000 sessions are 1,000 pages of 100),
 * and a bound on a listing whose nextLinks never end: the run stops with PageLimitExceeded instead.
 */
export const MAX_SESSION_PAGES = 10_000;
/** Most pages of one session's artifacts (a bulk restore holds up to 10,000 items). */
export const MAX_ARTIFACT_PAGES = 1_000;

export interface ListOptions {
  /** The run's deadline. */
  readonly abortSignal?: AbortSignal;
  /** Page cap of this listing (default MAX_SESSION_PAGES or MAX_ARTIFACT_PAGES). */
  readonly maxPages?: number;
}

/** Every page of a Graph collection, following @odata.nextLink as given. A malformed page fails the listing. */
export async function* listPages(api: GraphApi, path: string, maxPages: number, options: ListOptions = {}): AsyncGenerator<readonly unknown[]> {
  let next: string | undefined = path;
  const seen = new Set<string>();
  while (next !== undefined) {
    if (seen.has(next)) throw new GraphRequestError(`Graph returned the same nextLink twice for ${path}; stopping to avoid a loop`, undefined, "PagingLoop", next);
    if (seen.size >= maxPages) throw new GraphRequestError(`Graph returned more than ${maxPages} pages for ${path}; stopped there (PageLimitExceeded)`, undefined, "PageLimitExceeded", next);
    seen.add(next);
    const body = await api.get(next, options);
    const page = readCollectionPage(body);
    if (!page) {
      throw new GraphRequestError(`Graph returned a malformed page for ${path} (expected {"value": [...]})`, undefined, "MalformedPage", next);
    }
    yield page.value;
    next = page.nextLink;
  }
}

/** Lists restore sessions page by page, validating each item; a bad item is skipped, never fatal. */
export async function* listRestoreSessions(api: GraphApi, options: ListOptions = {}): AsyncGenerator<SessionPage> {
  for await (const items of listPages(api, RESTORE_SESSIONS_PATH, options.maxPages ?? MAX_SESSION_PAGES, options)) {
    const sessions: RestoreSession[] = [];
    const skipped: { id: string | undefined; reason: string }[] = [];
    for (const item of items) {
      const parsed = parseRestoreSession(item);
      if (parsed.ok) sessions.push(parsed.session);
      else skipped.push({ id: parsed.id, reason: parsed.reason });
    }
    yield { sessions, skipped };
  }
}

/** The fields of a restore artifact restorewatch reads; throws FieldError on a field of the wrong type. */
function readArtifact(raw: unknown) {
  if (!isObject(raw)) throw new FieldError("(item)", "expected an object");
  const id = optionalString(raw, "id");
  if (id === undefined || id === "") throw new FieldError("id", "is missing");
  const error = optionalObject(raw, "error");
  const restorePoint = optionalObject(raw, "restorePoint");
  return {
    id,
    status: optionalString(raw, "status"),
    destinationType: optionalString(raw, "destinationType"),
    error: error && { code: optionalString(error, "code", "error"), message: optionalString(error, "message", "error") },
    restorePoint: restorePoint && { protectionDateTime: optionalString(restorePoint, "protectionDateTime", "restorePoint") },
    restoredFolderName: optionalString(raw, "restoredFolderName"),
    restoredSiteName: optionalString(raw, "restoredSiteName"),
    restoredSiteWebUrl: optionalString(raw, "restoredSiteWebUrl"),
  };
}

type RawArtifact = ReturnType<typeof readArtifact>;

function tryReadArtifact(raw: unknown): RawArtifact | undefined {
  try {
    return readArtifact(raw);
  } catch (error) {
    if (error instanceof FieldError) return undefined;
    throw error;
  }
}

/** Longest web URL kept (browsers and mail clients stop at about this). */
const MAX_URL_CHARS = 2048;
/** Longest error message kept per artifact; Graph's are a sentence, anything longer is noise. */
const MAX_MESSAGE_CHARS = 2000;

/**
 * The failed artifacts of a session from its type-specific collection (all pages). Never throws:
 * a session whose artifacts can't be fetched is alerted with the detail marked unavailable.
 */
export async function fetchFailureDetail(api: GraphApi, session: RestoreSession, options: ListOptions = {}): Promise<FailureDetail> {
  const workload = WORKLOADS[session.workload];
  const path = `/solutions/backupRestore/${workload.sessionsCollection}/${encodeURIComponent(session.id)}/${workload.artifactsCollection}`;
  const failedArtifacts: FailedArtifact[] = [];
  let omittedCount = 0;
  let jsonChars = 2;
  try {
    for await (const items of listPages(api, path, options.maxPages ?? MAX_ARTIFACT_PAGES, options)) {
      for (const item of items) {
        const parsed = tryReadArtifact(item);
        if (!parsed || parsed.status !== "failed") continue;
        const artifact = toFailedArtifact(parsed);
        const size = JSON.stringify(artifact).length + 1;
        if (jsonChars + size > MAX_DETAIL_JSON_CHARS) {
          omittedCount++;
          continue;
        }
        jsonChars += size;
        failedArtifacts.push(artifact);
      }
    }
  } catch (error) {
    // The run's deadline is the run's failure, not this session's: nothing is recorded, the next run starts over.
    if (error instanceof GraphRequestError && error.code === "RunDeadline") throw error;
    // Graph's error text is unbounded, and the reason is stored as one string property.
    return { available: false, reason: boundText(errorMessage(error), MAX_SESSION_TEXT_CHARS.message) };
  }
  return { available: true, failedArtifacts, omittedCount };
}

/**
 * What an alert keeps of a failed artifact: every text bounded (the record and the renderers need a
 * limit; re-validation of a stored alert checks the same bounds), a web URL only when it is an https
 * URL (anything else would be a link to nowhere, or to somewhere worse), a time only when it is one.
 */
function toFailedArtifact(raw: RawArtifact): FailedArtifact {
  const name = raw.restoredFolderName ?? raw.restoredSiteName ?? undefined;
  const message = raw.error?.message ?? undefined;
  const webUrl = raw.restoredSiteWebUrl && /^https:\/\/[^\s]+$/i.test(raw.restoredSiteWebUrl) && raw.restoredSiteWebUrl.length <= MAX_URL_CHARS ? raw.restoredSiteWebUrl : undefined;
  const restorePointDateTime = raw.restorePoint?.protectionDateTime && !Number.isNaN(Date.parse(raw.restorePoint.protectionDateTime)) ? raw.restorePoint.protectionDateTime : undefined;
  return {
    id: boundText(raw.id, MAX_SESSION_TEXT_CHARS.code),
    ...(name && { name: boundText(name, MAX_SESSION_TEXT_CHARS.name) }),
    ...(webUrl && { webUrl }),
    ...(raw.error?.code && { errorCode: boundText(raw.error.code, MAX_SESSION_TEXT_CHARS.code) }),
    ...(message && { errorMessage: boundText(message, MAX_MESSAGE_CHARS + 1) }),
    ...(restorePointDateTime && { restorePointDateTime }),
    ...(raw.destinationType && { destinationType: boundText(raw.destinationType, MAX_SESSION_TEXT_CHARS.code) }),
  };
}

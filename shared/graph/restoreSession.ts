import { RESTORE_SESSION_STATUSES, type ArtifactCount, type GraphErrorSummary, type RestoreSession, type RestoreSessionStatus, type Workload } from "../domain/restoreSession";
import { MAX_SESSION_TEXT_CHARS, boundText } from "../domain/textBounds";
import { isObject, type JsonObject } from "./jsonFields";
import { LenientReader } from "./lenientFields";

const ODATA_TYPE_TO_WORKLOAD: ReadonlyMap<string, Workload> = new Map([
  ["#microsoft.graph.exchangerestoresession", "exchange"],
  ["#microsoft.graph.sharepointrestoresession", "sharePoint"],
  ["#microsoft.graph.onedriveforbusinessrestoresession", "oneDrive"],
]);

export type ParsedSession =
  | {
      readonly ok: true;
      readonly session: RestoreSession;
      /** Fields present but unreadable, read as unknown (`createdDateTime (number)`). */
      readonly unreadable: readonly string[];
    }
  | { readonly ok: false; readonly id: string | undefined; readonly reason: string };

/**
 * Ids become Table Storage row keys, which may not hold '/', '\\', '#', '?' or control characters;
 * real ids are GUIDs, so anything else is treated as malformed.
 */
const SESSION_ID = /^[A-Za-z0-9._:-]{1,200}$/;

/**
 * Validates one item of GET /solutions/backupRestore/restoreSessions. Never throws. Only a missing
 * or malformed id, or a status restorewatch does not know, skips the session: everything else
 * (counters, times, the creator, the error, an @odata.type added after this version) is read as
 * unknown where it cannot be read, and the session is still watched.
 */
export function parseRestoreSession(item: unknown): ParsedSession {
  if (!isObject(item)) return { ok: false, id: undefined, reason: `malformed session (expected an object, got ${item === null ? "null" : Array.isArray(item) ? "array" : typeof item})` };
  const id = item["id"];
  if (typeof id !== "string" || id === "") return { ok: false, id: undefined, reason: "malformed session (no id)" };
  // Still named, so the listing counts it as seen (its stored state is kept, not forgotten).
  if (!SESSION_ID.test(id)) return { ok: false, id, reason: "malformed session (id is not a restore session id)" };
  const status = item["status"];
  if (typeof status !== "string" || !(RESTORE_SESSION_STATUSES as readonly string[]).includes(status)) {
    return { ok: false, id, reason: `unknown status '${typeof status === "string" ? boundText(status, 100) : "(missing)"}'` };
  }
  const read = new LenientReader();
  const odataType = read.text(item, "@odata.type");
  const workload: Workload = (odataType === undefined ? undefined : ODATA_TYPE_TO_WORKLOAD.get(odataType.toLowerCase())) ?? "unknown";
  const createdBy = creatorOf(read, item);
  const restoreJobType = read.text(item, "restoreJobType");
  const artifactCount = countsOf(read, read.object(item, "restoreSessionArtifactCount"));
  const error = errorOf(read, read.object(item, "error"), "error");
  const times = { createdDateTime: read.time(item, "createdDateTime"), completedDateTime: read.time(item, "completedDateTime"), lastModifiedDateTime: read.time(item, "lastModifiedDateTime") };
  return {
    ok: true,
    session: {
      id,
      workload,
      status: status as RestoreSessionStatus,
      ...(workload === "unknown" && { odataType: boundText(odataType ?? "(missing @odata.type)", MAX_SESSION_TEXT_CHARS.code) }),
      ...(restoreJobType && { restoreJobType: boundText(restoreJobType, MAX_SESSION_TEXT_CHARS.code) }),
      ...(createdBy && { createdBy: boundText(createdBy, MAX_SESSION_TEXT_CHARS.name) }),
      ...(times.createdDateTime && { createdDateTime: times.createdDateTime }),
      ...(times.completedDateTime && { completedDateTime: times.completedDateTime }),
      ...(times.lastModifiedDateTime && { lastModifiedDateTime: times.lastModifiedDateTime }),
      ...(artifactCount && { artifactCount }),
      ...(error && { error }),
    },
    unreadable: read.unreadable,
  };
}

/** createdBy: the user's name, else the application's, else the user's id (an empty one is none). */
function creatorOf(read: LenientReader, item: JsonObject): string | undefined {
  const createdBy = read.object(item, "createdBy");
  const user = read.object(createdBy, "user", "createdBy");
  const application = read.object(createdBy, "application", "createdBy");
  return read.text(user, "displayName", "createdBy.user") || read.text(application, "displayName", "createdBy.application") || read.text(user, "id", "createdBy.user");
}

/** restoreSessionArtifactCount: each counter on its own; one Graph left null or out is unknown. */
function countsOf(read: LenientReader, counts: JsonObject | undefined): ArtifactCount | undefined {
  if (!counts) return undefined;
  const path = "restoreSessionArtifactCount";
  const [total, completed, inProgress, failed] = [read.count(counts, "total", path), read.count(counts, "completed", path), read.count(counts, "inProgress", path), read.count(counts, "failed", path)];
  return {
    ...(total !== undefined && { total }),
    ...(completed !== undefined && { completed }),
    ...(inProgress !== undefined && { inProgress }),
    ...(failed !== undefined && { failed }),
  };
}

/** A publicError's code and message, bounded; undefined when it has neither. */
export function errorOf(read: LenientReader, error: JsonObject | undefined, path: string): GraphErrorSummary | undefined {
  const code = read.text(error, "code", path);
  const message = read.text(error, "message", path);
  if (!code && !message) return undefined;
  return { ...(code && { code: boundText(code, MAX_SESSION_TEXT_CHARS.code) }), ...(message && { message: boundText(message, MAX_SESSION_TEXT_CHARS.message) }) };
}

import { RESTORE_SESSION_STATUSES, type RestoreSession, type RestoreSessionStatus, type Workload } from "../domain/restoreSession";
import { MAX_SESSION_TEXT_CHARS, boundText } from "../domain/textBounds";
import { FieldError, isObject, optionalCount, optionalObject, optionalString, optionalTime, type JsonObject } from "./jsonFields";

const ODATA_TYPE_TO_WORKLOAD: ReadonlyMap<string, Workload> = new Map([
  ["#microsoft.graph.exchangerestoresession", "exchange"],
  ["#microsoft.graph.sharepointrestoresession", "sharePoint"],
  ["#microsoft.graph.onedriveforbusinessrestoresession", "oneDrive"],
]);

export type ParsedSession =
  | { readonly ok: true; readonly session: RestoreSession }
  | { readonly ok: false; readonly id: string | undefined; readonly reason: string };

/**
 * Ids become Table Storage row keys, which may not hold '/', '\\', '#', '?' or control characters;
 * real ids are GUIDs, so anything else is treated as malformed.
 */
const SESSION_ID = /^[A-Za-z0-9._:-]{1,200}$/;

/** The fields of a restore session restorewatch reads, type-checked (a field of the wrong type throws FieldError). */
function readSessionFields(raw: JsonObject) {
  const id = raw["id"];
  if (typeof id !== "string") throw new FieldError("id", `expected a string, got ${id === null ? "null" : typeof id}`);
  if (!SESSION_ID.test(id)) throw new FieldError("id", "id is not a restore session id");
  const createdBy = optionalObject(raw, "createdBy");
  const identity = (key: string) => {
    const value = createdBy && optionalObject(createdBy, key, "createdBy");
    return value && { displayName: optionalString(value, "displayName", `createdBy.${key}`), id: optionalString(value, "id", `createdBy.${key}`) };
  };
  const counts = optionalObject(raw, "restoreSessionArtifactCount");
  const count = (key: string): number => {
    const value = counts && optionalCount(counts, key, "restoreSessionArtifactCount");
    if (value === undefined) throw new FieldError(`restoreSessionArtifactCount.${key}`, "is missing");
    return value;
  };
  const error = optionalObject(raw, "error");
  return {
    id,
    odataType: optionalString(raw, "@odata.type"),
    status: optionalString(raw, "status"),
    restoreJobType: optionalString(raw, "restoreJobType"),
    user: identity("user"),
    application: identity("application"),
    createdDateTime: optionalTime(raw, "createdDateTime"),
    completedDateTime: optionalTime(raw, "completedDateTime"),
    lastModifiedDateTime: optionalTime(raw, "lastModifiedDateTime"),
    counts: counts && { total: count("total"), completed: count("completed"), inProgress: count("inProgress"), failed: count("failed") },
    error: error && { code: optionalString(error, "code", "error"), message: optionalString(error, "message", "error") },
  };
}

/** Validates one item of GET /solutions/backupRestore/restoreSessions. Never throws. */
export function parseRestoreSession(item: unknown): ParsedSession {
  const rawId = isObject(item) && typeof item["id"] === "string" ? item["id"] : undefined;
  if (!isObject(item)) return { ok: false, id: undefined, reason: `malformed session (expected an object, got ${item === null ? "null" : Array.isArray(item) ? "array" : typeof item})` };
  let raw: ReturnType<typeof readSessionFields>;
  try {
    raw = readSessionFields(item);
  } catch (error) {
    if (!(error instanceof FieldError)) throw error;
    return { ok: false, id: rawId, reason: `malformed session (${error.message})` };
  }
  const odataType = raw.odataType;
  const workload = odataType ? ODATA_TYPE_TO_WORKLOAD.get(odataType.toLowerCase()) : undefined;
  if (workload === undefined) {
    return { ok: false, id: raw.id, reason: `unknown @odata.type '${odataType ?? "(missing)"}'` };
  }
  const status = raw.status;
  if (!status || !(RESTORE_SESSION_STATUSES as readonly string[]).includes(status)) {
    return { ok: false, id: raw.id, reason: `unknown status '${status ?? "(missing)"}'` };
  }
  const creator = raw.user?.displayName ?? raw.application?.displayName ?? raw.user?.id;
  const createdBy = creator && boundText(creator, MAX_SESSION_TEXT_CHARS.name);
  const restoreJobType = raw.restoreJobType && boundText(raw.restoreJobType, MAX_SESSION_TEXT_CHARS.code);
  const counts = raw.counts;
  const code = raw.error?.code && boundText(raw.error.code, MAX_SESSION_TEXT_CHARS.code);
  const message = raw.error?.message && boundText(raw.error.message, MAX_SESSION_TEXT_CHARS.message);
  const error = code || message ? { ...(code && { code }), ...(message && { message }) } : undefined;
  return {
    ok: true,
    session: {
      id: raw.id,
      workload,
      status: status as RestoreSessionStatus,
      ...(restoreJobType && { restoreJobType }),
      ...(createdBy && { createdBy }),
      ...(raw.createdDateTime && { createdDateTime: raw.createdDateTime }),
      ...(raw.completedDateTime && { completedDateTime: raw.completedDateTime }),
      ...(raw.lastModifiedDateTime && { lastModifiedDateTime: raw.lastModifiedDateTime }),
      ...(counts && { artifactCount: { total: counts.total, completed: counts.completed, inProgress: counts.inProgress, failed: counts.failed } }),
      ...(error && { error }),
    },
  };
}

import { FieldError, isObject, optionalCount, optionalObject, optionalString, optionalTime, type JsonObject } from "./jsonFields";

/** restoreSessionStatus members we understand (v1.0 CSDL); `unknownFutureValue` is deliberately absent. */
export const RESTORE_SESSION_STATUSES = ["draft", "activating", "active", "completedWithError", "completed", "failed"] as const;
export type RestoreSessionStatus = (typeof RESTORE_SESSION_STATUSES)[number];

export const TERMINAL_STATUSES: ReadonlySet<RestoreSessionStatus> = new Set(["completed", "completedWithError", "failed"]);
export const IN_FLIGHT_STATUSES: ReadonlySet<RestoreSessionStatus> = new Set(["activating", "active"]);

/** The three restore session types, keyed by the artifact collection that holds their failures. */
export type Workload = "exchange" | "sharePoint" | "oneDrive";

export interface WorkloadInfo {
  readonly label: string;
  /** Collection of restore sessions of this type under /solutions/backupRestore. */
  readonly sessionsCollection: string;
  readonly artifactsCollection: string;
  /** Noun for the artifacts, singular and plural ("mailbox", "mailboxes"). */
  readonly artifactNoun: readonly [string, string];
}

export const WORKLOADS: Readonly<Record<Workload, WorkloadInfo>> = {
  exchange: { label: "Exchange", sessionsCollection: "exchangeRestoreSessions", artifactsCollection: "mailboxRestoreArtifacts", artifactNoun: ["mailbox", "mailboxes"] },
  sharePoint: { label: "SharePoint", sessionsCollection: "sharePointRestoreSessions", artifactsCollection: "siteRestoreArtifacts", artifactNoun: ["site", "sites"] },
  oneDrive: { label: "OneDrive", sessionsCollection: "oneDriveForBusinessRestoreSessions", artifactsCollection: "driveRestoreArtifacts", artifactNoun: ["drive", "drives"] },
};

const ODATA_TYPE_TO_WORKLOAD: ReadonlyMap<string, Workload> = new Map([
  ["#microsoft.graph.exchangerestoresession", "exchange"],
  ["#microsoft.graph.sharepointrestoresession", "sharePoint"],
  ["#microsoft.graph.onedriveforbusinessrestoresession", "oneDrive"],
]);

export interface ArtifactCount {
  readonly total: number;
  readonly completed: number;
  readonly inProgress: number;
  readonly failed: number;
}

export interface GraphErrorSummary {
  readonly code?: string;
  readonly message?: string;
}

/** A restore session as restorewatch keeps it: validated, only the fields an alert needs. */
export interface RestoreSession {
  readonly id: string;
  readonly workload: Workload;
  readonly status: RestoreSessionStatus;
  readonly restoreJobType?: string;
  readonly createdBy?: string;
  readonly createdDateTime?: string;
  readonly completedDateTime?: string;
  readonly lastModifiedDateTime?: string;
  readonly artifactCount?: ArtifactCount;
  readonly error?: GraphErrorSummary;
}

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

/**
 * Longest free text kept from a session. Graph does not bound these; an alert record stores the
 * session as one string property, which Table Storage caps at 32K UTF-16 characters (and refuses the
 * whole transaction otherwise, on every run). The renderers show far less.
 */
export const MAX_SESSION_TEXT_CHARS = { name: 500, code: 200, message: 2000 } as const;

/** Cuts text to at most max UTF-16 units, marking the cut with an ellipsis and never splitting a surrogate pair. */
export function boundText(value: string, max: number): string {
  if (value.length <= max) return value;
  let cut = value.slice(0, max - 1);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
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

import { z } from "zod";

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
 * Ids become Table Storage row keys, which may not hold '/', '\', '#', '?' or control characters;
 * real ids are GUIDs, so anything else is treated as malformed.
 */
const sessionId = z.string().regex(/^[A-Za-z0-9._:-]{1,200}$/, "id is not a restore session id");
const isoTime = z.string().refine((value) => !Number.isNaN(Date.parse(value)), "is not an ISO time");
const count = z.number().int().nonnegative();

const identity = z.object({ displayName: z.string().nullish(), id: z.string().nullish() }).passthrough().nullish();
const identitySet = z.object({ user: identity, application: identity }).passthrough().nullish();
const publicError = z.object({ code: z.string().nullish(), message: z.string().nullish() }).passthrough().nullish();

const sessionSchema = z
  .object({
    "@odata.type": z.string().nullish(),
    id: sessionId,
    status: z.string().nullish(),
    restoreJobType: z.string().nullish(),
    createdBy: identitySet,
    createdDateTime: isoTime.nullish(),
    completedDateTime: isoTime.nullish(),
    lastModifiedDateTime: isoTime.nullish(),
    restoreSessionArtifactCount: z.object({ total: count, completed: count, inProgress: count, failed: count }).passthrough().nullish(),
    error: publicError,
  })
  .passthrough();

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
  const rawId = typeof item === "object" && item !== null && typeof (item as { id?: unknown }).id === "string" ? (item as { id: string }).id : undefined;
  const result = sessionSchema.safeParse(item);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
    return { ok: false, id: rawId, reason: `malformed session (${where}${issue?.message ?? "invalid"})` };
  }
  const raw = result.data;
  const odataType = raw["@odata.type"];
  const workload = odataType ? ODATA_TYPE_TO_WORKLOAD.get(odataType.toLowerCase()) : undefined;
  if (workload === undefined) {
    return { ok: false, id: raw.id, reason: `unknown @odata.type '${odataType ?? "(missing)"}'` };
  }
  const status = raw.status;
  if (!status || !(RESTORE_SESSION_STATUSES as readonly string[]).includes(status)) {
    return { ok: false, id: raw.id, reason: `unknown status '${status ?? "(missing)"}'` };
  }
  const creator = raw.createdBy?.user?.displayName ?? raw.createdBy?.application?.displayName ?? raw.createdBy?.user?.id ?? undefined;
  const createdBy = creator && boundText(creator, MAX_SESSION_TEXT_CHARS.name);
  const restoreJobType = raw.restoreJobType && boundText(raw.restoreJobType, MAX_SESSION_TEXT_CHARS.code);
  const counts = raw.restoreSessionArtifactCount;
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

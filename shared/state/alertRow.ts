import { alertId, type Alert, type AlertKind, type ArtifactKind, type BulkRequestIssue, type FailedArtifact, type FailureDetail } from "../domain/alert";
import type { ChannelDelivery, DeliveryState } from "../domain/delivery";
import { FieldError, isObject, optionalCount, optionalObject, optionalString, optionalTime, type JsonObject } from "../graph/jsonFields";
import { DETAIL_CHUNK_CHARS, MAX_ARTIFACT_TEXT_CHARS, MAX_BULK_ISSUES, MAX_SESSION_TEXT_CHARS } from "../domain/textBounds";
import { RESTORE_SESSION_STATUSES, WORKLOADS, type ArtifactCount, type RestoreSession, type RestoreSessionStatus, type Workload } from "../domain/restoreSession";

/**
 * Reads an alert row back with the same discipline as data from Graph. The state table is not a
 * trusted source: anyone with write access to it could put a row there, or a row could be damaged,
 * and what the outbox holds is sent from the real sender to the real recipients. So every field is
 * type-checked and bounded, enumerations must be known members, and the row must agree with itself
 * (its key is the alert id its session, kind and status give). A row that fails is never sent.
 */
export type AlertRowRead<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly rowKey: string; readonly etag: string; readonly reason: string };

const ALERT_KINDS: readonly AlertKind[] = ["status", "stuck", "reminder"];
const ARTIFACT_KINDS = Object.keys({ mailbox: true, drive: true, site: true, unknown: true } satisfies Record<ArtifactKind, true>) as ArtifactKind[];
const DELIVERY_STATES: readonly DeliveryState[] = ["pending", "retrying", "delivered", "deadLettered", "silenced"];
const SESSION_ID = /^[A-Za-z0-9._:-]{1,200}$/;
const RUN_ID = /^[A-Za-z0-9._:-]{1,100}$/;
/** A channel ("email"), or a route's receiver ("teams:route-exchange-team": route names are 1-40 characters). */
const CHANNEL_NAME = /^[a-z][a-zA-Z0-9-]{0,39}(:route-[a-z0-9-]{1,40})?$/;
/** Bounds of what restorewatch writes (the renderers show less); anything longer was not written by it. */
const MAX = {
  ...MAX_SESSION_TEXT_CHARS,
  id: MAX_ARTIFACT_TEXT_CHARS.id,
  odataType: MAX_ARTIFACT_TEXT_CHARS.type,
  silencedBy: 1500,
  deliveryError: 1000,
  messageId: 1000,
  reason: MAX_SESSION_TEXT_CHARS.message,
} as const;

/**
 * The bulkIssues property of an alert row: JSON within one string property (Table Storage takes at
 * most 32K UTF-16 characters per string); entities.ts cuts the issues' text to stay within it.
 */
export const MAX_BULK_ISSUES_JSON_CHARS = DETAIL_CHUNK_CHARS;

/** Each text field of a stored failed artifact and its bound: ingestion cuts to these, anything longer is refused. */
const ARTIFACT_TEXT_BOUNDS: readonly (readonly [key: string, max: number])[] = [
  ["name", MAX_ARTIFACT_TEXT_CHARS.name],
  ["address", MAX_ARTIFACT_TEXT_CHARS.address],
  ["objectId", MAX_ARTIFACT_TEXT_CHARS.id],
  ["siteId", MAX_ARTIFACT_TEXT_CHARS.id],
  ["itemPath", MAX_ARTIFACT_TEXT_CHARS.path],
  ["restoredTo", MAX_ARTIFACT_TEXT_CHARS.name],
  ["unknownType", MAX_ARTIFACT_TEXT_CHARS.type],
  ["errorCode", MAX_ARTIFACT_TEXT_CHARS.code],
  ["errorMessage", MAX_ARTIFACT_TEXT_CHARS.message],
  ["destinationType", MAX_ARTIFACT_TEXT_CHARS.code],
];
/** Links of a stored failed artifact: https only (the renderers show them as inert text, never as links). */
const ARTIFACT_URLS: readonly string[] = ["webUrl", "restoredToUrl"];

/** Each text field of a stored bulk request and its bound. */
const BULK_ISSUE_TEXT_BOUNDS: readonly (readonly [key: string, max: number])[] = [
  ["displayName", MAX_ARTIFACT_TEXT_CHARS.name],
  ["status", MAX_ARTIFACT_TEXT_CHARS.code],
  ["errorCode", MAX_ARTIFACT_TEXT_CHARS.code],
  ["errorMessage", MAX_ARTIFACT_TEXT_CHARS.message],
];

function bounded(value: string | undefined, max: number, field: string): string | undefined {
  if (value !== undefined && value.length > max) throw new FieldError(field, `is longer than ${max} characters`);
  return value;
}

function required<T>(value: T | undefined, field: string): T {
  if (value === undefined) throw new FieldError(field, "is missing");
  return value;
}

function member<T extends string>(value: string | undefined, members: readonly T[], field: string): T {
  const present = required(value, field);
  if (!(members as readonly string[]).includes(present)) throw new FieldError(field, "is not a known value");
  return present as T;
}

function parseJson(text: string | undefined, field: string): unknown {
  try {
    return JSON.parse(required(text, field));
  } catch (error) {
    if (error instanceof FieldError) throw error;
    throw new FieldError(field, "is not JSON");
  }
}

function readSession(raw: unknown): RestoreSession {
  if (!isObject(raw)) throw new FieldError("session", "is not an object");
  const id = required(optionalString(raw, "id", "session"), "session.id");
  if (!SESSION_ID.test(id)) throw new FieldError("session.id", "is not a restore session id");
  const counts = optionalObject(raw, "artifactCount", "session");
  const error = optionalObject(raw, "error", "session");
  const code = error && bounded(optionalString(error, "code", "session.error"), MAX.code, "session.error.code");
  const message = error && bounded(optionalString(error, "message", "session.error"), MAX.message, "session.error.message");
  const text = (key: string, max: number): Record<string, string> => {
    const value = bounded(optionalString(raw, key, "session"), max, `session.${key}`);
    return value === undefined ? {} : { [key]: value };
  };
  const time = (key: string): Record<string, string> => {
    const value = optionalTime(raw, key, "session");
    return value === undefined ? {} : { [key]: value };
  };
  return {
    id,
    workload: member<Workload>(optionalString(raw, "workload", "session"), Object.keys(WORKLOADS) as Workload[], "session.workload"),
    status: member<RestoreSessionStatus>(optionalString(raw, "status", "session"), RESTORE_SESSION_STATUSES, "session.status"),
    ...text("restoreJobType", MAX.code),
    ...text("odataType", MAX.odataType),
    ...text("createdBy", MAX.name),
    ...time("createdDateTime"),
    ...time("completedDateTime"),
    ...time("lastModifiedDateTime"),
    ...(counts && { artifactCount: readArtifactCount(counts) }),
    ...((code !== undefined || message !== undefined) && { error: { ...(code !== undefined && { code }), ...(message !== undefined && { message }) } }),
  };
}

/** Graph's counters as stored: each may be missing (unknown), none may be anything but a count. */
function readArtifactCount(counts: JsonObject): ArtifactCount {
  const read: Record<string, number> = {};
  for (const key of ["total", "completed", "inProgress", "failed"] as const) {
    const value = optionalCount(counts, key, "session.artifactCount");
    if (value !== undefined) read[key] = value;
  }
  return read;
}

/** The text fields named in bounds, each a string within its bound when present. */
function readTexts(raw: JsonObject, at: string, bounds: readonly (readonly [string, number])[]): Record<string, string> {
  const read: Record<string, string> = {};
  for (const [key, max] of bounds) {
    const value = bounded(optionalString(raw, key, at), max, `${at}.${key}`);
    if (value !== undefined) read[key] = value;
  }
  return read;
}

function readArtifact(raw: unknown, index: number): FailedArtifact {
  const at = `detail[${index}]`;
  if (!isObject(raw)) throw new FieldError(at, "is not an object");
  const urls: Record<string, string> = {};
  for (const key of ARTIFACT_URLS) {
    const url = bounded(optionalString(raw, key, at), MAX_ARTIFACT_TEXT_CHARS.url, `${at}.${key}`);
    if (url !== undefined && !/^https:\/\//i.test(url)) throw new FieldError(`${at}.${key}`, "is not an https URL");
    if (url !== undefined) urls[key] = url;
  }
  const kind = optionalString(raw, "kind", at);
  const restorePointDateTime = optionalTime(raw, "restorePointDateTime", at);
  return {
    id: required(bounded(optionalString(raw, "id", at), MAX.id, `${at}.id`), `${at}.id`),
    ...(kind !== undefined && { kind: member<ArtifactKind>(kind, ARTIFACT_KINDS, `${at}.kind`) }),
    ...readTexts(raw, at, ARTIFACT_TEXT_BOUNDS),
    ...urls,
    ...(restorePointDateTime !== undefined && { restorePointDateTime }),
  };
}

/** The bulk requests with errors of a row (its bulkIssues property), absent when the row has none. */
function readBulkIssues(entity: JsonObject): BulkRequestIssue[] | undefined {
  const text = bounded(optionalString(entity, "bulkIssues"), MAX_BULK_ISSUES_JSON_CHARS, "bulkIssues");
  if (text === undefined) return undefined;
  const issues = parseJson(text, "bulkIssues");
  if (!Array.isArray(issues)) throw new FieldError("bulkIssues", "is not a list");
  if (issues.length > MAX_BULK_ISSUES) throw new FieldError("bulkIssues", `lists more than ${MAX_BULK_ISSUES} requests`);
  return issues.map((raw: unknown, index) => {
    const at = `bulkIssues[${index}]`;
    if (!isObject(raw)) throw new FieldError(at, "is not an object");
    const requestedCount = optionalCount(raw, "requestedCount", at);
    return {
      id: required(bounded(optionalString(raw, "id", at), MAX.id, `${at}.id`), `${at}.id`),
      ...readTexts(raw, at, BULK_ISSUE_TEXT_BOUNDS),
      ...(requestedCount !== undefined && { requestedCount }),
    };
  });
}

function readDetail(entity: JsonObject, chunks: string): FailureDetail {
  const available = entity["detailAvailable"];
  if (available === false) {
    // restorewatch keeps bulk requests only with the failed artifacts they go with.
    if (entity["bulkIssues"] != null) throw new FieldError("bulkIssues", "is set on an alert without failure detail");
    return { available: false, reason: required(bounded(optionalString(entity, "detailReason"), MAX.reason, "detailReason"), "detailReason") };
  }
  if (available !== true) throw new FieldError("detailAvailable", "is not a boolean");
  const artifacts = chunks === "" ? [] : parseJson(chunks, "detail");
  if (!Array.isArray(artifacts)) throw new FieldError("detail", "is not a list");
  const bulkIssues = readBulkIssues(entity);
  return { available: true, failedArtifacts: artifacts.map(readArtifact), omittedCount: optionalCount(entity, "omittedCount") ?? 0, ...(bulkIssues !== undefined && { bulkIssues }) };
}

export function readDeliveries(text: string | undefined): Record<string, ChannelDelivery> {
  const raw = parseJson(text ?? "{}", "deliveries");
  if (!isObject(raw)) throw new FieldError("deliveries", "is not an object");
  const deliveries: Record<string, ChannelDelivery> = {};
  for (const [name, value] of Object.entries(raw)) {
    const at = `deliveries.${name.slice(0, 40)}`;
    if (!CHANNEL_NAME.test(name)) throw new FieldError("deliveries", "names an unknown channel");
    if (!isObject(value)) throw new FieldError(at, "is not an object");
    const nextAttemptAt = optionalTime(value, "nextAttemptAt", at);
    const deliveredAt = optionalTime(value, "deliveredAt", at);
    const messageId = bounded(optionalString(value, "messageId", at), MAX.messageId, `${at}.messageId`);
    const lastError = bounded(optionalString(value, "lastError", at), MAX.deliveryError, `${at}.lastError`);
    deliveries[name] = {
      state: member<DeliveryState>(optionalString(value, "state", at), DELIVERY_STATES, `${at}.state`),
      attempts: required(optionalCount(value, "attempts", at), `${at}.attempts`),
      ...(nextAttemptAt !== undefined && { nextAttemptAt }),
      ...(deliveredAt !== undefined && { deliveredAt }),
      ...(messageId !== undefined && { messageId }),
      ...(lastError !== undefined && { lastError }),
    };
  }
  return deliveries;
}

/** The alert of a row whose key is `alert_<id>` in partition `tenantId`, checked throughout; never throws. */
export function readAlert(entity: JsonObject, id: string): AlertRowRead<Alert> {
  const rowKey = String(entity["rowKey"]);
  const etag = String(entity["etag"] ?? "*");
  try {
    const session = readSession(parseJson(optionalString(entity, "session"), "session"));
    const kind = member<AlertKind>(optionalString(entity, "kind"), ALERT_KINDS, "kind");
    const status = member<RestoreSessionStatus>(optionalString(entity, "status"), RESTORE_SESSION_STATUSES, "status");
    // The key is what the session, kind and status make it (a reminder adds its sequence).
    const reminder = kind === "reminder" ? /_reminder(\d{1,4})$/.exec(id) : null;
    if (id !== alertId(session.id, kind, status, reminder ? Number(reminder[1]) : undefined)) throw new FieldError("rowKey", "does not match the alert's session, kind and status");
    if (optionalString(entity, "sessionId") !== session.id) throw new FieldError("sessionId", "does not match the session");
    let chunks = "";
    for (let i = 0; typeof entity[`detail${i}`] === "string"; i++) chunks += entity[`detail${i}`] as string;
    const runId = required(optionalString(entity, "runId"), "runId");
    if (!RUN_ID.test(runId)) throw new FieldError("runId", "is not a run id");
    const silencedBy = bounded(optionalString(entity, "silencedBy"), MAX.silencedBy, "silencedBy");
    const alert: Alert = {
      id,
      tenantId: String(entity["partitionKey"]),
      kind,
      status,
      session,
      detail: readDetail(entity, chunks),
      recordedAt: required(optionalTime(entity, "recordedAt"), "recordedAt"),
      runId,
      ...(silencedBy !== undefined && { silencedBy }),
    };
    return { ok: true, value: alert };
  } catch (error) {
    if (!(error instanceof FieldError)) throw error;
    return { ok: false, rowKey, etag, reason: error.message };
  }
}

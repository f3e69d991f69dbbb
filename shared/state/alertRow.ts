import { alertId, type Alert, type AlertKind, type FailedArtifact, type FailureDetail } from "../domain/alert";
import type { ChannelDelivery, DeliveryState } from "../domain/delivery";
import { FieldError, isObject, optionalCount, optionalObject, optionalString, optionalTime, type JsonObject } from "../graph/jsonFields";
import { MAX_SESSION_TEXT_CHARS } from "../domain/textBounds";
import { RESTORE_SESSION_STATUSES, WORKLOADS, type RestoreSession, type RestoreSessionStatus, type Workload } from "../domain/restoreSession";

/**
 * Reads an alert row back with the same discipline as data from Graph. The state table is not a
 * trusted source: anyone with write access to it could put a row there, or a row could be damaged,
 * and what the outbox holds is sent from the real sender to the real recipients. So every field is
 * type-checked and bounded, enumerations must be known members, and the row must agree with itself
 * (its key is the alert id its session, kind and status give). A row that fails is never sent.
 */
export type AlertRowRead<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly rowKey: string; readonly etag: string; readonly reason: string };

const ALERT_KINDS: readonly AlertKind[] = ["status", "stuck", "reminder"];
const DELIVERY_STATES: readonly DeliveryState[] = ["pending", "retrying", "delivered", "deadLettered", "silenced"];
const SESSION_ID = /^[A-Za-z0-9._:-]{1,200}$/;
const RUN_ID = /^[A-Za-z0-9._:-]{1,100}$/;
const CHANNEL_NAME = /^[a-z][a-zA-Z0-9-]{0,39}$/;
/** Bounds of what restorewatch writes (the renderers show less); anything longer was not written by it. */
const MAX = {
  ...MAX_SESSION_TEXT_CHARS,
  id: 200,
  url: 2048,
  artifactMessage: 2001,
  silencedBy: 1500,
  deliveryError: 1000,
  messageId: 1000,
  reason: MAX_SESSION_TEXT_CHARS.message,
} as const;

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
  const count = (key: string): number => required(counts && optionalCount(counts, key, "session.artifactCount"), `session.artifactCount.${key}`);
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
    ...text("createdBy", MAX.name),
    ...time("createdDateTime"),
    ...time("completedDateTime"),
    ...time("lastModifiedDateTime"),
    ...(counts && { artifactCount: { total: count("total"), completed: count("completed"), inProgress: count("inProgress"), failed: count("failed") } }),
    ...((code !== undefined || message !== undefined) && { error: { ...(code !== undefined && { code }), ...(message !== undefined && { message }) } }),
  };
}

function readArtifact(raw: unknown, index: number): FailedArtifact {
  const at = `detail[${index}]`;
  if (!isObject(raw)) throw new FieldError(at, "is not an object");
  const text = (key: string, max: number): Record<string, string> => {
    const value = bounded(optionalString(raw, key, at), max, `${at}.${key}`);
    return value === undefined ? {} : { [key]: value };
  };
  const webUrl = bounded(optionalString(raw, "webUrl", at), MAX.url, `${at}.webUrl`);
  if (webUrl !== undefined && !/^https:\/\//i.test(webUrl)) throw new FieldError(`${at}.webUrl`, "is not an https URL");
  const restorePointDateTime = optionalTime(raw, "restorePointDateTime", at);
  return {
    id: required(bounded(optionalString(raw, "id", at), MAX.id, `${at}.id`), `${at}.id`),
    ...text("name", MAX.name),
    ...(webUrl !== undefined && { webUrl }),
    ...text("errorCode", MAX.code),
    ...text("errorMessage", MAX.artifactMessage),
    ...(restorePointDateTime !== undefined && { restorePointDateTime }),
    ...text("destinationType", MAX.code),
  };
}

function readDetail(entity: JsonObject, chunks: string): FailureDetail {
  const available = entity["detailAvailable"];
  if (available === false) return { available: false, reason: required(bounded(optionalString(entity, "detailReason"), MAX.reason, "detailReason"), "detailReason") };
  if (available !== true) throw new FieldError("detailAvailable", "is not a boolean");
  const artifacts = chunks === "" ? [] : parseJson(chunks, "detail");
  if (!Array.isArray(artifacts)) throw new FieldError("detail", "is not a list");
  return { available: true, failedArtifacts: artifacts.map(readArtifact), omittedCount: optionalCount(entity, "omittedCount") ?? 0 };
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

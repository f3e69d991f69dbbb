import { DETAIL_CHUNK_CHARS } from "../domain/textBounds";
import type { TableEntity } from "@azure/data-tables";
import type { Alert } from "../domain/alert";
import { FieldError } from "../graph/jsonFields";
import { readAlert, readDeliveries, type AlertRowRead } from "./alertRow";
import type { ChannelDelivery } from "../domain/delivery";
import type { SessionRecord } from "../domain/sessionRecord";

/**
 * Row layout of the state table. One partition per tenant holds everything about it, so a session's
 * state change and the alert it raises can be written in one entity-group transaction.
 */
export const ROW_PREFIX = { session: "session_", alert: "alert_", silence: "silence_", meta: "meta_" } as const;

/** OData filter for the rows of one kind within a partition (prefix range: '_' is followed by '`'). */
export function rowRangeFilter(prefix: string, partitionKey: string): string {
  const upper = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
  return `PartitionKey eq '${escapeOData(partitionKey)}' and RowKey ge '${prefix}' and RowKey lt '${upper}'`;
}

export function escapeOData(value: string): string {
  return value.replace(/'/g, "''");
}


export type SessionEntity = TableEntity<Omit<SessionRecord, "id">>;

export function sessionToEntity(tenantId: string, record: SessionRecord): SessionEntity {
  const { id, ...rest } = record;
  return { partitionKey: tenantId, rowKey: ROW_PREFIX.session + id, ...dropUndefined(rest) };
}

export function entityToSession(entity: Record<string, unknown>): SessionRecord {
  const rowKey = String(entity["rowKey"]);
  const record: Record<string, unknown> = { id: rowKey.slice(ROW_PREFIX.session.length) };
  for (const key of ["status", "workload", "completedDateTime", "inFlightSince", "stuckAlertedAt", "lastAlertedAt", "acknowledgedAt"] as const) {
    if (typeof entity[key] === "string") record[key] = entity[key];
  }
  if (typeof entity["remindersSent"] === "number") record["remindersSent"] = entity["remindersSent"];
  return record as unknown as SessionRecord;
}

/**
 * Alert row: kind, status, sessionId, runId, recordedAt, `pending` (true while any channel still has
 * to deliver it: the outbox query), silencedBy, session (JSON), deliveries (JSON, per channel),
 * detailAvailable/detailReason/omittedCount and the failed artifacts as JSON in detail0..detailN.
 */
export function alertToEntity(alert: Alert, deliveries: Readonly<Record<string, ChannelDelivery>>): TableEntity<Record<string, unknown>> {
  const base = {
    partitionKey: alert.tenantId,
    rowKey: ROW_PREFIX.alert + alert.id,
    kind: alert.kind,
    status: alert.status,
    sessionId: alert.session.id,
    runId: alert.runId,
    recordedAt: alert.recordedAt,
    pending: Object.values(deliveries).some((d) => d.state === "pending" || d.state === "retrying"),
    ...(alert.silencedBy !== undefined && { silencedBy: alert.silencedBy }),
    session: JSON.stringify(alert.session),
    deliveries: JSON.stringify(deliveries),
    detailAvailable: alert.detail.available,
  };
  if (!alert.detail.available) return { ...base, detailReason: alert.detail.reason };
  const chunks = chunkJson(JSON.stringify(alert.detail.failedArtifacts));
  return { ...base, omittedCount: alert.detail.omittedCount, ...chunks };
}

export interface StoredAlert {
  readonly alert: Alert;
  readonly deliveries: Readonly<Record<string, ChannelDelivery>>;
  readonly etag: string;
  /** ISO time until which a run that is delivering it holds it (see Outbox.lease). */
  readonly leaseUntil?: string;
}

/**
 * An alert row read back and re-validated (see alertRow.ts): the stored alert, or why the row cannot be
 * trusted (a row that fails is quarantined, never sent).
 */
export function entityToAlert(entity: Record<string, unknown> & { etag?: string }): AlertRowRead<StoredAlert> {
  const rowKey = String(entity["rowKey"]);
  const read = readAlert(entity, rowKey.slice(ROW_PREFIX.alert.length));
  if (!read.ok) return read;
  let deliveries: Record<string, ChannelDelivery>;
  try {
    deliveries = readDeliveries(typeof entity["deliveries"] === "string" ? entity["deliveries"] : undefined);
  } catch (error) {
    if (!(error instanceof FieldError)) throw error;
    return { ok: false, rowKey, etag: String(entity.etag ?? "*"), reason: error.message };
  }
  const leaseUntil = typeof entity["leaseUntil"] === "string" && entity["leaseUntil"] !== "" ? { leaseUntil: entity["leaseUntil"] } : {};
  return { ok: true, value: { alert: read.value, deliveries, etag: String(entity.etag ?? "*"), ...leaseUntil } };
}

function chunkJson(json: string): Record<`detail${number}`, string> {
  const chunks: Record<`detail${number}`, string> = {};
  for (let i = 0; i * DETAIL_CHUNK_CHARS < json.length; i++) chunks[`detail${i}`] = json.slice(i * DETAIL_CHUNK_CHARS, (i + 1) * DETAIL_CHUNK_CHARS);
  return chunks;
}

/** Rough serialized size of an entity in a batch request (strings count as UTF-16 on the service). */
export function estimateEntityBytes(entity: object): number {
  return JSON.stringify(entity).length * 2 + 512;
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

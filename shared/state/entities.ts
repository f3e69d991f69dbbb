import { boundText, DETAIL_CHUNK_CHARS, MAX_ARTIFACT_TEXT_CHARS, MAX_BULK_ISSUES } from "../domain/textBounds";
import type { TableEntity } from "@azure/data-tables";
import type { Alert, BulkRequestIssue } from "../domain/alert";
import { FieldError } from "../graph/jsonFields";
import { MAX_BULK_ISSUES_JSON_CHARS, readAlert, readDeliveries, type AlertRowRead } from "./alertRow";
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
 * detailAvailable/detailReason/omittedCount, the failed artifacts as JSON in detail0..detailN, and
 * the bulk requests with errors as JSON in bulkIssues (see storableBulkIssues).
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
  const { bulkIssues } = alert.detail;
  return { ...base, omittedCount: alert.detail.omittedCount, ...chunks, ...(bulkIssues !== undefined && { bulkIssues: JSON.stringify(storableBulkIssues(bulkIssues)) }) };
}

/** Successively tighter bounds for a bulk request's texts, tried until the list fits one string property. */
const BULK_TEXT_CUTS = [Infinity, 1000, 500, 250, 120, 60] as const;
const TIGHTEST_BULK_TEXT_CUT = 30;

/**
 * The bulk requests as an alert row keeps them: at most MAX_BULK_ISSUES, each text within
 * MAX_ARTIFACT_TEXT_CHARS (ingestion cuts to these already), and the JSON within one string property.
 * Only pathological text (thousands of characters that JSON escapes to six each) is cut further, and
 * as a last resort the last requests are left out: the row must be written and read back.
 */
export function storableBulkIssues(issues: readonly BulkRequestIssue[]): BulkRequestIssue[] {
  const kept = issues.slice(0, MAX_BULK_ISSUES);
  for (const cut of BULK_TEXT_CUTS) {
    const bounded = kept.map((issue) => boundBulkIssue(issue, cut));
    if (fitsOneProperty(bounded)) return bounded;
  }
  const tightest = kept.map((issue) => boundBulkIssue(issue, TIGHTEST_BULK_TEXT_CUT));
  while (!fitsOneProperty(tightest)) tightest.pop();
  return tightest;
}

function fitsOneProperty(issues: readonly BulkRequestIssue[]): boolean {
  return JSON.stringify(issues).length <= MAX_BULK_ISSUES_JSON_CHARS;
}

function boundBulkIssue(issue: BulkRequestIssue, cut: number): BulkRequestIssue {
  const text = (value: string | undefined, max: number): string | undefined => (value === undefined ? undefined : boundText(value, Math.min(max, cut)));
  const fields = {
    id: boundText(issue.id, MAX_ARTIFACT_TEXT_CHARS.id),
    displayName: text(issue.displayName, MAX_ARTIFACT_TEXT_CHARS.name),
    status: text(issue.status, MAX_ARTIFACT_TEXT_CHARS.code),
    errorCode: text(issue.errorCode, MAX_ARTIFACT_TEXT_CHARS.code),
    errorMessage: text(issue.errorMessage, MAX_ARTIFACT_TEXT_CHARS.message),
    // A count that is none (negative, fractional) would fail re-validation: it is left out instead.
    requestedCount: issue.requestedCount !== undefined && Number.isInteger(issue.requestedCount) && issue.requestedCount >= 0 ? issue.requestedCount : undefined,
  };
  return dropUndefined(fields) as BulkRequestIssue;
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

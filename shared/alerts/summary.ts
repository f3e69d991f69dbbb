import type { Alert } from "../domain/alert";
import { WORKLOADS, type RestoreSession, type RestoreSessionStatus } from "../domain/restoreSession";

/**
 * Where an admin sees restore sessions. NOTE: the reference material names no verified deep link to the
 * Microsoft 365 Backup page (Settings > Microsoft 365 Backup, "Restoration tasks"), so this is the
 * admin center root.
 */
export const ADMIN_CENTER_URL = "https://admin.microsoft.com/";
export const ADMIN_CENTER_LINK_TEXT = "Open the Microsoft 365 admin center";
export const SUBJECT_PREFIX = "[restorewatch]";

/** How the headline of a message is coloured: red for failures, amber for partial failures and stuck sessions. */
export type Severity = "attention" | "warning";

const STATUS_LABELS: Readonly<Record<RestoreSessionStatus, string>> = {
  draft: "draft",
  activating: "activating",
  active: "active",
  completedWithError: "completed with errors",
  completed: "completed",
  failed: "failed",
};

export function statusLabel(status: RestoreSessionStatus): string {
  return STATUS_LABELS[status];
}

/** `1 site`, `3 sites`, `1,200 mailboxes`. */
export function countOf(count: number, workload: RestoreSession["workload"]): string {
  return `${formatCount(count)} ${artifactNoun(count, workload)}`;
}

/** `site` or `sites`, `mailbox` or `mailboxes`. */
export function artifactNoun(count: number, workload: RestoreSession["workload"]): string {
  const [singular, plural] = WORKLOADS[workload].artifactNoun;
  return count === 1 ? singular : plural;
}

export function formatCount(count: number): string {
  return count.toLocaleString("en-US");
}

/** A counter of Graph's as shown: `1,200`, or `unknown` when Graph left it out. */
export function formatCounter(count: number | undefined): string {
  return count === undefined ? "unknown" : formatCount(count);
}

/** UTC ISO time → `2026-07-14 11:02 UTC`; an unparsable value is returned as it came. */
export function formatUtc(iso: string): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return iso;
  const text = new Date(time).toISOString();
  return `${text.slice(0, 10)} ${text.slice(11, 16)} UTC`;
}

/** A coarse age for headlines: `45m`, `26h`, `3d`. */
export function formatDuration(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 72) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

/** Failed artifacts the alert knows of: listed ones plus those left out of the stored record. */
export function knownFailedCount(alert: Alert): number | undefined {
  return alert.detail.available ? alert.detail.failedArtifacts.length + alert.detail.omittedCount : undefined;
}

/** Bulk addition requests of the session that ended with errors (0 for other restores). */
export function bulkIssueCount(alert: Alert): number {
  return alert.detail.available ? (alert.detail.bulkIssues?.length ?? 0) : 0;
}

/** `1 request`, `3 bulk requests`. */
function requests(count: number, adjective = ""): string {
  return `${formatCount(count)} ${adjective}request${count === 1 ? "" : "s"}`;
}

/**
 * A session that completed, yet whose bulk requests named mailboxes, sites or drives that could not
 * be resolved: every artifact it had was restored, the ones that never became artifacts were not.
 */
export function completedWithUnresolvedItems(alert: Alert): boolean {
  return alert.status === "completed" && alert.kind !== "stuck" && bulkIssueCount(alert) > 0;
}

/**
 * `3 of 5 sites` from Graph's counters, `3 sites` when the total is unknown, else from the listed
 * failures (a counter Graph left out is unknown), else undefined.
 */
export function failedOfTotal(alert: Alert): string | undefined {
  const { session } = alert;
  const counts = session.artifactCount;
  if (counts?.failed !== undefined) return counts.total === undefined ? countOf(counts.failed, session.workload) : `${formatCount(counts.failed)} of ${countOf(counts.total, session.workload)}`;
  const known = knownFailedCount(alert);
  return known === undefined ? undefined : countOf(known, session.workload);
}

/** `3 of 4 mailboxes in progress`, `3 mailboxes in progress` (total unknown), or `still active`. */
function progressOf(session: RestoreSession): string {
  const counts = session.artifactCount;
  if (counts?.total !== undefined) return `${formatCounter(counts.inProgress)} of ${countOf(counts.total, session.workload)} in progress`;
  if (counts?.inProgress !== undefined) return `${countOf(counts.inProgress, session.workload)} in progress`;
  return `still ${statusLabel(session.status)}`;
}

function elapsedSince(iso: string | undefined, until: string): number | undefined {
  if (iso === undefined) return undefined;
  const from = Date.parse(iso);
  const to = Date.parse(until);
  return Number.isNaN(from) || Number.isNaN(to) ? undefined : to - from;
}

/** How long a stuck session has been in flight when the alert was recorded. */
export function stuckFor(alert: Alert): string | undefined {
  const elapsed = elapsedSince(alert.session.createdDateTime ?? alert.session.lastModifiedDateTime, alert.recordedAt);
  return elapsed === undefined ? undefined : formatDuration(elapsed);
}

function reminderAge(alert: Alert): string | undefined {
  const elapsed = elapsedSince(alert.session.completedDateTime ?? alert.session.lastModifiedDateTime, alert.recordedAt);
  return elapsed === undefined ? undefined : formatDuration(elapsed);
}

/**
 * Headline of one alert, without the subject prefix: `SharePoint restore failed: 3 of 5 sites`,
 * `Exchange bulk restore completed with unresolved items: 1 request with errors`.
 */
export function alertHeadline(alert: Alert): string {
  const { session } = alert;
  const workload = WORKLOADS[session.workload].label;
  if (alert.kind === "stuck") {
    const duration = stuckFor(alert);
    return `${workload} restore stuck${duration ? ` for ${duration}` : ""}: ${progressOf(session)}`;
  }
  const { outcome, failures } = outcomeOf(alert, workload);
  if (alert.kind === "reminder") {
    const age = reminderAge(alert);
    return `Reminder: ${outcome}${age ? ` ${age} ago` : ""}${failures}`;
  }
  return `${outcome}${failures}`;
}

/** `Exchange restore failed` and `: 3 of 5 mailboxes`, with the bulk requests that ended with errors. */
function outcomeOf(alert: Alert, workload: string): { outcome: string; failures: string } {
  const bulk = bulkIssueCount(alert);
  if (completedWithUnresolvedItems(alert)) return { outcome: `${workload} bulk restore completed with unresolved items`, failures: `: ${requests(bulk)} with errors` };
  const counts = failedOfTotal(alert);
  const parts = [counts === undefined ? "" : alert.status === "failed" ? counts : `${counts} failed`, bulk > 0 ? `${requests(bulk, "bulk ")} with errors` : ""].filter(Boolean);
  return { outcome: `${workload} restore ${statusLabel(alert.status)}`, failures: parts.length > 0 ? `: ${parts.join(", ")}` : "" };
}

/** Why this alert was raised, Alertmanager's notification_reason in words. */
export function alertReason(alert: Alert): string {
  const bulk = bulkIssueCount(alert);
  const ended = completedWithUnresolvedItems(alert)
    ? `the session ended completed, but ${requests(bulk, "bulk ")} ended with errors: what ${bulk === 1 ? "it" : "they"} named could not be restored`
    : `the session ended ${statusLabel(alert.status)}`;
  switch (alert.kind) {
    case "status":
      return ended;
    case "stuck": {
      const duration = stuckFor(alert);
      return `the session has been ${statusLabel(alert.session.status)}${duration ? ` for ${duration}` : " too long"}`;
    }
    case "reminder":
      return `reminder: ${ended}${completedWithUnresolvedItems(alert) ? "; it is" : " and is"} still unacknowledged`;
  }
}

export function alertSeverity(alert: Alert): Severity {
  return alert.status === "failed" && alert.kind !== "stuck" ? "attention" : "warning";
}

export function digestSeverity(alerts: readonly Alert[]): Severity {
  return alerts.some((alert) => alertSeverity(alert) === "attention") ? "attention" : "warning";
}

const UNRESOLVED = "completed with unresolved items";

/** `180 failed, 20 completed with errors, 3 stuck, 2 reminders`. */
export function digestBreakdown(alerts: readonly Alert[]): string {
  const counts = new Map<string, number>();
  const bump = (key: string): void => void counts.set(key, (counts.get(key) ?? 0) + 1);
  for (const alert of alerts) bump(alert.kind !== "status" ? alert.kind : completedWithUnresolvedItems(alert) ? UNRESOLVED : statusLabel(alert.status));
  const order = ["failed", "completed with errors", UNRESOLVED, "stuck", "reminder"];
  const keys = [...counts.keys()].sort((a, b) => rank(a) - rank(b));
  function rank(key: string): number {
    const index = order.indexOf(key);
    return index === -1 ? order.length : index;
  }
  return keys
    .map((key) => {
      const count = counts.get(key) ?? 0;
      return key === "reminder" ? `${formatCount(count)} reminder${count === 1 ? "" : "s"}` : `${formatCount(count)} ${key}`;
    })
    .join(", ");
}

/** Headline of a message: the alert's headline, or for several `200 restore sessions need attention (...)`. */
export function messageHeadline(alerts: readonly Alert[]): string {
  const [first] = alerts;
  if (first === undefined) throw new Error("a message needs at least one alert");
  if (alerts.length === 1) return alertHeadline(first);
  return `${formatCount(alerts.length)} restore sessions need attention (${digestBreakdown(alerts)})`;
}

export function messageSeverity(alerts: readonly Alert[]): Severity {
  return alerts.length === 1 && alerts[0] ? alertSeverity(alerts[0]) : digestSeverity(alerts);
}

/** Email subject / card title: `[restorewatch] SharePoint restore failed: 3 of 5 sites`. */
export function messageSubject(alerts: readonly Alert[]): string {
  return `${SUBJECT_PREFIX} ${messageHeadline(alerts)}`;
}

export interface Fact {
  readonly label: string;
  readonly value: string;
}

/** The facts every renderer shows for a session, in order. Values are raw: renderers escape them. */
export function sessionFacts(alert: Alert): Fact[] {
  const { session } = alert;
  const facts: Fact[] = [
    { label: "Workload", value: workloadFact(session) },
    { label: "Status", value: statusLabel(session.status) },
    { label: "Session id", value: session.id },
    { label: "Created by", value: session.createdBy ?? "unknown" },
    { label: "Created", value: session.createdDateTime ? formatUtc(session.createdDateTime) : "unknown" },
    { label: "Completed", value: session.completedDateTime ? formatUtc(session.completedDateTime) : "not completed" },
    { label: "Artifacts failed", value: artifactsFailedFact(alert) },
  ];
  if (session.restoreJobType) facts.push({ label: "Restore job type", value: session.restoreJobType });
  if (session.error) facts.push({ label: "Session error", value: [session.error.code, session.error.message].filter(Boolean).join(": ") });
  const bulk = bulkIssueCount(alert);
  if (bulk > 0) facts.push({ label: "Bulk requests with errors", value: formatCount(bulk) });
  facts.push({ label: "Alert reason", value: alertReason(alert) });
  return facts;
}

/** `SharePoint`, or for a session type Graph added later `unknown session type (#microsoft.graph.x)`. */
function workloadFact(session: RestoreSession): string {
  if (session.workload !== "unknown") return WORKLOADS[session.workload].label;
  return `unknown session type${session.odataType ? ` (${session.odataType})` : ""}`;
}

/** `3 of 5`; a counter Graph left out is `unknown` (with the listed failures when failed is). */
function artifactsFailedFact(alert: Alert): string {
  const counts = alert.session.artifactCount;
  const known = knownFailedCount(alert);
  if (counts) return `${formatCounter(counts.failed)} of ${formatCounter(counts.total)}${counts.failed === undefined && known !== undefined ? ` (${formatCount(known)} listed)` : ""}`;
  return known === undefined ? "unknown" : `${formatCount(known)} (total unknown)`;
}

/**
 * `and 4,000 more failed sites not listed here (3,000 of them not stored by restorewatch)`: rows a
 * renderer cut plus rows the stored record left out (omittedCount).
 */
export function moreItemsText(notShown: number, omittedCount: number, workload: RestoreSession["workload"]): string | undefined {
  const total = notShown + omittedCount;
  if (total === 0) return undefined;
  const stored = omittedCount > 0 ? ` (${formatCount(omittedCount)} of them not stored by restorewatch because of the record size limit)` : "";
  return `and ${formatCount(total)} more failed ${artifactNoun(total, workload)} not listed here${stored}; see the admin center for all of them`;
}

export function moreSessionsText(notShown: number): string {
  return `and ${formatCount(notShown)} more restore session${notShown === 1 ? "" : "s"} not shown here`;
}

/** Cuts a value to at most maxLength characters (code points), marking the cut with an ellipsis. */
export function truncate(value: string, maxLength: number): string {
  if (value.length <= maxLength) return value; // no more UTF-16 units than allowed: no more code points either
  // Walk code points only as far as needed (values from Graph can be very long).
  let index = 0;
  let cutAt = 0;
  for (let count = 0; index < value.length; count++) {
    if (count === Math.max(0, maxLength - 1)) cutAt = index;
    if (count === maxLength) return `${value.slice(0, cutAt)}…`;
    index += (value.codePointAt(index) ?? 0) > 0xffff ? 2 : 1;
  }
  return value;
}

/** One line: control characters and line breaks become spaces, runs of spaces collapse. */
export function singleLine(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, " ").replace(/ {2,}/g, " ").trim();
}

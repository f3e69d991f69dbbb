import type { AlertIntent, SessionChange } from "../domain/sessionChange";
import { IN_FLIGHT_STATUSES, type RestoreSession, type RestoreSessionStatus } from "../domain/restoreSession";
import type { SessionRecord, StoredSessionRecord } from "../domain/sessionRecord";

export interface DetectRules {
  readonly alertOn: ReadonlySet<RestoreSessionStatus>;
  readonly now: Date;
  /** First run against an empty state: record a baseline, alert only on what completed after baselineSince. */
  readonly baseline: boolean;
  readonly baselineSince?: Date;
  readonly stuckAfterInMs?: number;
  readonly repeatAfterInMs?: number;
}

/**
 * Compares one observed session with what was stored. Pure: returns undefined when nothing needs
 * writing. Alerting is once per alertable status reached (the alert id includes the status), once
 * for being stuck, and once per reminder.
 */
export function detectSessionChange(session: RestoreSession, previous: StoredSessionRecord | undefined, rules: DetectRules): SessionChange | undefined {
  const prior = previous?.record;
  const nowIso = rules.now.toISOString();
  const statusChanged = prior?.status !== session.status;
  const alerts: AlertIntent[] = [];

  let next: SessionRecord = {
    ...(prior ?? {}),
    id: session.id,
    status: session.status,
    workload: session.workload,
    ...(session.completedDateTime && { completedDateTime: session.completedDateTime }),
  };
  if (statusChanged) {
    // A new status starts a new alerting cycle: reminders and acknowledgement belong to the old one.
    next = withoutKeys(next, ["lastAlertedAt", "remindersSent", "acknowledgedAt"]);
  }

  // In-flight clock for stuck alerts. Seen in flight on first sight: trust Graph's last modification.
  if (IN_FLIGHT_STATUSES.has(session.status)) {
    if (!prior?.inFlightSince) {
      const since = prior ? nowIso : (session.lastModifiedDateTime ?? session.createdDateTime ?? nowIso);
      next = { ...next, inFlightSince: since };
    }
  } else if (prior?.inFlightSince) {
    next = withoutKeys(next, ["inFlightSince"]);
  }

  if (rules.alertOn.has(session.status) && statusChanged && shouldAlertOnArrival(session, prior, rules)) {
    alerts.push({ kind: "status", status: session.status });
    next = { ...next, lastAlertedAt: nowIso };
  } else if (isCompletedBulk(session) && statusChanged && shouldAlertOnArrival(session, prior, rules)) {
    // Completed, but a bulk request may have named mailboxes, sites or drives it never resolved:
    // enrich asks Graph, and sets lastAlertedAt only if it alerts.
    alerts.push({ kind: "status", status: session.status, whenBulkErrors: true });
  }

  const stuckAfter = rules.stuckAfterInMs;
  if (!rules.baseline && stuckAfter !== undefined && IN_FLIGHT_STATUSES.has(session.status) && !next.stuckAlertedAt && next.inFlightSince) {
    if (rules.now.getTime() - Date.parse(next.inFlightSince) >= stuckAfter) {
      alerts.push({ kind: "stuck", status: session.status });
      next = { ...next, stuckAlertedAt: nowIso };
    }
  }

  const repeatAfter = rules.repeatAfterInMs;
  if (repeatAfter !== undefined && !statusChanged && prior && rules.alertOn.has(session.status) && prior.lastAlertedAt && !prior.acknowledgedAt) {
    if (rules.now.getTime() - Date.parse(prior.lastAlertedAt) >= repeatAfter) {
      const sequence = (prior.remindersSent ?? 0) + 1;
      alerts.push({ kind: "reminder", status: session.status, sequence });
      next = { ...next, lastAlertedAt: nowIso, remindersSent: sequence };
    }
  }

  if (prior && alerts.length === 0 && sameRecord(prior, next)) return undefined;
  return { session, ...(previous && { previous }), next, alerts };
}

function isCompletedBulk(session: RestoreSession): boolean {
  return session.status === "completed" && session.restoreJobType === "bulk";
}

function shouldAlertOnArrival(session: RestoreSession, prior: SessionRecord | undefined, rules: DetectRules): boolean {
  if (prior) return true;
  if (!rules.baseline) return true;
  // Baseline run: only what completed after the operator's chosen time.
  const since = rules.baselineSince;
  if (!since) return false;
  const completed = session.completedDateTime ?? session.lastModifiedDateTime;
  return completed !== undefined && Date.parse(completed) >= since.getTime();
}

function sameRecord(a: SessionRecord, b: SessionRecord): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof SessionRecord>;
  for (const key of keys) if (a[key] !== b[key]) return false;
  return true;
}

function withoutKeys(record: SessionRecord, keys: readonly (keyof SessionRecord)[]): SessionRecord {
  const copy: Record<string, unknown> = { ...record };
  for (const key of keys) delete copy[key];
  return copy as unknown as SessionRecord;
}

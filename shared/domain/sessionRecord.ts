import type { RestoreSessionStatus, Workload } from "./restoreSession";

/** What restorewatch remembers of one restore session between runs (one table row). */
export interface SessionRecord {
  readonly id: string;
  readonly status: RestoreSessionStatus;
  readonly workload: Workload;
  readonly completedDateTime?: string;
  /** When restorewatch first saw it in flight (activating/active): the clock for stuck alerts. */
  readonly inFlightSince?: string;
  readonly stuckAlertedAt?: string;
  /** Last time an alert or reminder about its current status was recorded. */
  readonly lastAlertedAt?: string;
  readonly remindersSent?: number;
  /** Set by `restorewatch ack`: no more reminders. */
  readonly acknowledgedAt?: string;
}

/** A stored record with the ETag it was read with (for conditional writes). */
export interface StoredSessionRecord {
  readonly record: SessionRecord;
  readonly etag: string;
}

import type { AlertKind } from "./alert";
import type { RestoreSession, RestoreSessionStatus } from "./restoreSession";
import type { SessionRecord, StoredSessionRecord } from "./sessionRecord";

/** What one run decided about one session, handed from detection to recording. */
export interface AlertIntent {
  readonly kind: AlertKind;
  readonly status: RestoreSessionStatus;
  /** For reminders: which one (1, 2, ...), part of the alert id. */
  readonly sequence?: number;
  /**
   * Raised only if the session's bulk addition requests ended with errors (a bulk restore that
   * completed, though some mailboxes, sites or drives it named were never resolved): enrich checks
   * Graph and drops the intent otherwise.
   */
  readonly whenBulkErrors?: true;
}

/** What one run decided about one session: the record to write and the alerts to record with it. */
export interface SessionChange {
  readonly session: RestoreSession;
  /** The stored record and its ETag, or undefined for a session seen for the first time. */
  readonly previous?: StoredSessionRecord;
  readonly next: SessionRecord;
  readonly alerts: readonly AlertIntent[];
}

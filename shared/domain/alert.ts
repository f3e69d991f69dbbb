import type { RestoreSession, RestoreSessionStatus } from "./restoreSession";

/** One failed artifact (mailbox, site or drive) of a restore session. */
export interface FailedArtifact {
  readonly id: string;
  /** restoredFolderName, restoredSiteName or restoredSiteWebUrl when Graph gives one. */
  readonly name?: string;
  readonly webUrl?: string;
  readonly errorCode?: string;
  readonly errorMessage?: string;
  readonly restorePointDateTime?: string;
  readonly destinationType?: string;
}

/** The failed artifacts of a session, or why they could not be fetched (the alert goes out regardless). */
export type FailureDetail =
  | {
      readonly available: true;
      readonly failedArtifacts: readonly FailedArtifact[];
      /** Failed artifacts Graph listed but the record left out to stay within Table Storage's entity size. */
      readonly omittedCount: number;
    }
  | { readonly available: false; readonly reason: string };

/**
 * Why an alert exists: the session reached an alertable status, has been in flight too long,
 * or is a reminder of an unacknowledged failure.
 */
export type AlertKind = "status" | "stuck" | "reminder";

/** An alert record of the outbox: written with the state change that caused it, before any delivery. */
export interface Alert {
  /** Deterministic, so two runs that see the same change write the same row: `<sessionId>_<status>` etc. */
  readonly id: string;
  readonly tenantId: string;
  readonly kind: AlertKind;
  /** The status that raised the alert (for `stuck`, the in-flight status). */
  readonly status: RestoreSessionStatus;
  readonly session: RestoreSession;
  readonly detail: FailureDetail;
  /** ISO time the alert was recorded, and the run that recorded it (alerts of one run are delivered together). */
  readonly recordedAt: string;
  readonly runId: string;
  /** Set when a silence matched: the alert is recorded but not sent. */
  readonly silencedBy?: string;
}

export function alertId(sessionId: string, kind: AlertKind, status: RestoreSessionStatus, sequence?: number): string {
  switch (kind) {
    case "status":
      return `${sessionId}_${status}`;
    case "stuck":
      return `${sessionId}_stuck`;
    case "reminder":
      return `${sessionId}_${status}_reminder${sequence ?? 1}`;
  }
}

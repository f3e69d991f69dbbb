import type { RestoreSession, RestoreSessionStatus } from "./restoreSession";

/** What kind of thing failed: a mailbox, a OneDrive, a site, or a type of artifact Graph added later. */
export type ArtifactKind = "mailbox" | "drive" | "site" | "unknown";

/**
 * One failed artifact of a restore session: what failed (by name where Graph or the directory gives
 * one, else by id), why, and where it was being restored to.
 */
export interface FailedArtifact {
  /** The restore artifact's id. */
  readonly id: string;
  /** Absent in alerts recorded before names were read. */
  readonly kind?: ArtifactKind;
  /** Who or what failed: the mailbox's or drive's owner (directory display name), or the site's name. */
  readonly name?: string;
  /** The owner's user principal name or mail address (mailbox, drive). */
  readonly address?: string;
  /** The owner's Entra object id (directoryObjectId of the protection unit): shown when no name is known. */
  readonly objectId?: string;
  /** The SharePoint site id (`host,siteCollectionGuid,webGuid`). */
  readonly siteId?: string;
  /** The failed site's URL, or for a granular restore the item's URL (https only). */
  readonly webUrl?: string;
  /** Granular restores: the item's path. */
  readonly itemPath?: string;
  /** Where it was restored to, when Graph says (new location): restoredFolderName or restoredSiteName. */
  readonly restoredTo?: string;
  /** The restored site's or item's URL (restoredSiteWebUrl, restoredItemWebUrl; https only). */
  readonly restoredToUrl?: string;
  /** The @odata.type of an artifact or protection unit restorewatch does not know. */
  readonly unknownType?: string;
  readonly errorCode?: string;
  readonly errorMessage?: string;
  readonly restorePointDateTime?: string;
  readonly destinationType?: string;
}

/**
 * A bulk addition request of a bulk restore that ended with errors: mailboxes, sites or drives it
 * named that could not even be resolved, so they never became artifacts.
 */
export interface BulkRequestIssue {
  readonly id: string;
  readonly displayName?: string;
  /** `completedWithErrors`, or another status with an error set. */
  readonly status?: string;
  readonly errorCode?: string;
  readonly errorMessage?: string;
  /** How many mailboxes, sites or drives the request named, when Graph lists them. */
  readonly requestedCount?: number;
}

/** The failed artifacts of a session, or why they could not be fetched (the alert goes out regardless). */
export type FailureDetail =
  | {
      readonly available: true;
      readonly failedArtifacts: readonly FailedArtifact[];
      /** Failed artifacts Graph listed but the record left out to stay within Table Storage's entity size. */
      readonly omittedCount: number;
      /** Bulk restores: the addition requests that ended with errors (absent for other restores). */
      readonly bulkIssues?: readonly BulkRequestIssue[];
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

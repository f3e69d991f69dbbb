/** What restorewatch knows of a Microsoft 365 Backup restore session, shared by every layer. */

/** restoreSessionStatus members we understand (v1.0 CSDL); `unknownFutureValue` is deliberately absent. */
export const RESTORE_SESSION_STATUSES = ["draft", "activating", "active", "completedWithError", "completed", "failed"] as const;
export type RestoreSessionStatus = (typeof RESTORE_SESSION_STATUSES)[number];

export const TERMINAL_STATUSES: ReadonlySet<RestoreSessionStatus> = new Set(["completed", "completedWithError", "failed"]);
export const IN_FLIGHT_STATUSES: ReadonlySet<RestoreSessionStatus> = new Set(["activating", "active"]);

/** The three restore session types Graph documents. */
export type KnownWorkload = "exchange" | "sharePoint" | "oneDrive";
/** A session of a type Graph added after this version (its @odata.type is kept) is `unknown`: alerted on, never skipped. */
export type Workload = KnownWorkload | "unknown";

/** Where a session type's artifacts live under /solutions/backupRestore/{sessionsCollection}/{id}/. */
export interface WorkloadCollections {
  readonly sessionsCollection: string;
  /** Standard and bulk restores. */
  readonly artifactsCollection: string;
  /** Granular restores (restoreJobType `granular`), instead of the standard collection. */
  readonly granularArtifactsCollection: string;
  /** Bulk restores: the requests that named the mailboxes, sites or drives (and their resolution errors). */
  readonly bulkRequestsCollection: string;
}

export interface WorkloadInfo {
  readonly label: string;
  /** Noun for the artifacts, singular and plural ("mailbox", "mailboxes"). */
  readonly artifactNoun: readonly [string, string];
  /** Absent for an unknown session type: restorewatch cannot list what it does not know. */
  readonly collections?: WorkloadCollections;
}

export const KNOWN_WORKLOADS: readonly KnownWorkload[] = ["exchange", "sharePoint", "oneDrive"];

export const WORKLOADS: Readonly<Record<Workload, WorkloadInfo>> = {
  exchange: {
    label: "Exchange",
    artifactNoun: ["mailbox", "mailboxes"],
    collections: { sessionsCollection: "exchangeRestoreSessions", artifactsCollection: "mailboxRestoreArtifacts", granularArtifactsCollection: "granularMailboxRestoreArtifacts", bulkRequestsCollection: "mailboxRestoreArtifactsBulkAdditionRequests" },
  },
  sharePoint: {
    label: "SharePoint",
    artifactNoun: ["site", "sites"],
    collections: { sessionsCollection: "sharePointRestoreSessions", artifactsCollection: "siteRestoreArtifacts", granularArtifactsCollection: "granularSiteRestoreArtifacts", bulkRequestsCollection: "siteRestoreArtifactsBulkAdditionRequests" },
  },
  oneDrive: {
    label: "OneDrive",
    artifactNoun: ["drive", "drives"],
    collections: { sessionsCollection: "oneDriveForBusinessRestoreSessions", artifactsCollection: "driveRestoreArtifacts", granularArtifactsCollection: "granularDriveRestoreArtifacts", bulkRequestsCollection: "driveRestoreArtifactsBulkAdditionRequests" },
  },
  unknown: { label: "Microsoft 365", artifactNoun: ["item", "items"] },
};

/** Graph's restoreSessionArtifactCount; a counter Graph left null or out is undefined (shown as unknown). */
export interface ArtifactCount {
  readonly total?: number;
  readonly completed?: number;
  readonly inProgress?: number;
  readonly failed?: number;
}

export interface GraphErrorSummary {
  readonly code?: string;
  readonly message?: string;
}

/** A restore session as restorewatch keeps it: validated, only the fields an alert needs. */
export interface RestoreSession {
  readonly id: string;
  readonly workload: Workload;
  readonly status: RestoreSessionStatus;
  /** standard, bulk, granular, or a type Graph added later (kept as given). */
  readonly restoreJobType?: string;
  /** The @odata.type Graph gave, kept only for an unknown session type (to show what it was). */
  readonly odataType?: string;
  readonly createdBy?: string;
  readonly createdDateTime?: string;
  readonly completedDateTime?: string;
  readonly lastModifiedDateTime?: string;
  readonly artifactCount?: ArtifactCount;
  readonly error?: GraphErrorSummary;
}

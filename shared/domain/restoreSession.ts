/** What restorewatch knows of a Microsoft 365 Backup restore session, shared by every layer. */

/** restoreSessionStatus members we understand (v1.0 CSDL); `unknownFutureValue` is deliberately absent. */
export const RESTORE_SESSION_STATUSES = ["draft", "activating", "active", "completedWithError", "completed", "failed"] as const;
export type RestoreSessionStatus = (typeof RESTORE_SESSION_STATUSES)[number];

export const TERMINAL_STATUSES: ReadonlySet<RestoreSessionStatus> = new Set(["completed", "completedWithError", "failed"]);
export const IN_FLIGHT_STATUSES: ReadonlySet<RestoreSessionStatus> = new Set(["activating", "active"]);

/** The three restore session types, keyed by the artifact collection that holds their failures. */
export type Workload = "exchange" | "sharePoint" | "oneDrive";

export interface WorkloadInfo {
  readonly label: string;
  /** Collection of restore sessions of this type under /solutions/backupRestore. */
  readonly sessionsCollection: string;
  readonly artifactsCollection: string;
  /** Noun for the artifacts, singular and plural ("mailbox", "mailboxes"). */
  readonly artifactNoun: readonly [string, string];
}

export const WORKLOADS: Readonly<Record<Workload, WorkloadInfo>> = {
  exchange: { label: "Exchange", sessionsCollection: "exchangeRestoreSessions", artifactsCollection: "mailboxRestoreArtifacts", artifactNoun: ["mailbox", "mailboxes"] },
  sharePoint: { label: "SharePoint", sessionsCollection: "sharePointRestoreSessions", artifactsCollection: "siteRestoreArtifacts", artifactNoun: ["site", "sites"] },
  oneDrive: { label: "OneDrive", sessionsCollection: "oneDriveForBusinessRestoreSessions", artifactsCollection: "driveRestoreArtifacts", artifactNoun: ["drive", "drives"] },
};

export interface ArtifactCount {
  readonly total: number;
  readonly completed: number;
  readonly inProgress: number;
  readonly failed: number;
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
  readonly restoreJobType?: string;
  readonly createdBy?: string;
  readonly createdDateTime?: string;
  readonly completedDateTime?: string;
  readonly lastModifiedDateTime?: string;
  readonly artifactCount?: ArtifactCount;
  readonly error?: GraphErrorSummary;
}

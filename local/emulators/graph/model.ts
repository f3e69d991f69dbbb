/** The simulated tenant's restore sessions, as the Graph emulator keeps them. */

export type EmulatedStatus = "draft" | "activating" | "active" | "completedWithError" | "completed" | "failed";
export type EmulatedWorkload = "exchange" | "sharePoint" | "oneDrive";
export type EmulatedArtifactStatus = "added" | "scheduling" | "scheduled" | "inProgress" | "succeeded" | "failed";

export interface EmulatedArtifact {
  id: string;
  status: EmulatedArtifactStatus;
  destinationType?: "new" | "inPlace";
  /** restoredFolderName (mailbox) or restoredSiteName (site, drive). */
  name?: string;
  /** restoredSiteWebUrl (site, drive only). */
  webUrl?: string;
  /** restoredItemCount (mailbox only); defaults to a stable number for succeeded artifacts, else 0. */
  restoredItemCount?: number;
  error?: { code: string; message: string };
  restorePointDateTime?: string;
  startDateTime?: string;
  completionDateTime?: string;
}

export interface EmulatedIdentity {
  user?: { id: string; displayName: string };
  application?: { id: string; displayName: string };
}

export interface EmulatedSession {
  id: string;
  workload: EmulatedWorkload;
  status: EmulatedStatus;
  createdDateTime: string;
  completedDateTime?: string;
  lastModifiedDateTime: string;
  createdBy?: EmulatedIdentity;
  restoreJobType?: "standard" | "bulk" | "granular";
  error?: { code: string; message: string } | null;
  artifacts: EmulatedArtifact[];
  /** Raw override: when set, served verbatim instead of the rendered item (for malformed-data tests). */
  raw?: unknown;
}


export interface WorkloadShape {
  readonly odataType: string;
  readonly sessionsCollection: string;
  readonly artifactsCollection: string;
  readonly defaultDestination: "new" | "inPlace";
}

export const WORKLOAD_SHAPES: Readonly<Record<EmulatedWorkload, WorkloadShape>> = {
  exchange: { odataType: "#microsoft.graph.exchangeRestoreSession", sessionsCollection: "exchangeRestoreSessions", artifactsCollection: "mailboxRestoreArtifacts", defaultDestination: "inPlace" },
  sharePoint: { odataType: "#microsoft.graph.sharePointRestoreSession", sessionsCollection: "sharePointRestoreSessions", artifactsCollection: "siteRestoreArtifacts", defaultDestination: "new" },
  oneDrive: { odataType: "#microsoft.graph.oneDriveForBusinessRestoreSession", sessionsCollection: "oneDriveForBusinessRestoreSessions", artifactsCollection: "driveRestoreArtifacts", defaultDestination: "new" },
};

export const TERMINAL: ReadonlySet<EmulatedStatus> = new Set(["completed", "completedWithError", "failed"]);
export const DAY_MS = 24 * 3600 * 1000;

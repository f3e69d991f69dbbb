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
  /** The protected mailbox, drive or site, linked from the restore point; derived from the artifact id when absent. */
  protectionUnit?: EmulatedProtectionUnit;
  // Granular restores (restoreJobType "granular"):
  /** restoredItemPath: the folder the items are restored to (drive, site). */
  itemPath?: string;
  /** webUrl: the original item's URL (drive, site). */
  itemWebUrl?: string;
  /** restoredItemWebUrl (drive, site). */
  restoredItemWebUrl?: string;
  /** searchResponseId (mailbox); defaults to a stable GUID, as the property is non-nullable. */
  searchResponseId?: string;
  /** artifactCount (mailbox): items the search matched. */
  artifactCount?: number;
  /** browseSessionId (drive, site); defaults to one per restore session. */
  browseSessionId?: string;
  /** restoredItemKey (drive, site). */
  restoredItemKey?: string;
}

/** What a restore point links to: a mailboxProtectionUnit, driveProtectionUnit or siteProtectionUnit. */
export type EmulatedProtectionUnit =
  | { kind: "mailbox" | "drive"; id?: string; directoryObjectId: string; displayName?: string; email?: string }
  | { kind: "site"; id?: string; siteId: string; siteName?: string; siteWebUrl?: string };

export type EmulatedBulkRequestStatus = "unknown" | "active" | "completed" | "completedWithErrors";

/** A {mailbox|site|drive}RestoreArtifactsBulkAdditionRequest of a bulk restore session; which lists render follows the workload. */
export interface EmulatedBulkRequest {
  id: string;
  /** Default: "<EXO|SPO|ODB>-BulkRestoreArtifacts". */
  displayName?: string;
  status: EmulatedBulkRequestStatus;
  /** A completedWithErrors request without one (undefined, not null) renders an invented resolution error (bulkRequests.ts). */
  error?: { code: string; message: string } | null;
  /** How many listed resources failed to resolve, for that invented error's message; default 1. */
  unresolvedCount?: number;
  destinationType?: "new" | "inPlace";
  restorePointPreference?: "latest" | "oldest";
  tags?: "none" | "fastRestore";
  protectionTimePeriod?: { startDateTime: string; endDateTime: string };
  /** Defaults: the session's createdDateTime and createdBy. */
  createdDateTime?: string;
  lastModifiedDateTime?: string;
  createdBy?: EmulatedIdentity;
  lastModifiedBy?: EmulatedIdentity;
  /** Mailbox and drive requests. */
  directoryObjectIds?: string[];
  mailboxes?: string[];
  drives?: string[];
  /** Site requests. */
  siteIds?: string[];
  siteWebUrls?: string[];
}

/** A user or group the emulator's POST /directoryObjects/getByIds knows. */
export interface EmulatedDirectoryObject {
  id: string;
  type: "user" | "group";
  displayName: string;
  userPrincipalName?: string;
  mail?: string;
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
  /** Bulk addition requests (restoreJobType "bulk"). Graph allows one per session; the emulator serves any number. */
  bulkRequests?: EmulatedBulkRequest[];
  /** Raw override: when set, served verbatim instead of the rendered item (for malformed-data tests). */
  raw?: unknown;
}


export interface WorkloadShape {
  readonly odataType: string;
  readonly sessionsCollection: string;
  readonly artifactsCollection: string;
  /** Entity type of the standard artifacts, without the '#', as OData error messages name it. */
  readonly artifactType: string;
  readonly granularCollection: string;
  readonly granularType: string;
  readonly bulkRequestsCollection: string;
  readonly bulkRequestType: string;
  /** The kind of protection unit the workload's restore points link to. */
  readonly unitKind: EmulatedProtectionUnit["kind"];
  /** Prefix of the default bulk request displayName, as in the docs' "EXO-BulkRestoreArtifacts". */
  readonly shortName: string;
  readonly defaultDestination: "new" | "inPlace";
}

export const WORKLOAD_SHAPES: Readonly<Record<EmulatedWorkload, WorkloadShape>> = {
  exchange: shape("#microsoft.graph.exchangeRestoreSession", "exchangeRestoreSessions", "mailbox", "Mailbox", "mailbox", "EXO", "inPlace"),
  sharePoint: shape("#microsoft.graph.sharePointRestoreSession", "sharePointRestoreSessions", "site", "Site", "site", "SPO", "new"),
  oneDrive: shape("#microsoft.graph.oneDriveForBusinessRestoreSession", "oneDriveForBusinessRestoreSessions", "drive", "Drive", "drive", "ODB", "new"),
};

function shape(odataType: string, sessionsCollection: string, noun: string, Noun: string, unitKind: EmulatedProtectionUnit["kind"], shortName: string, defaultDestination: "new" | "inPlace"): WorkloadShape {
  return {
    odataType,
    sessionsCollection,
    artifactsCollection: `${noun}RestoreArtifacts`,
    artifactType: `microsoft.graph.${noun}RestoreArtifact`,
    granularCollection: `granular${Noun}RestoreArtifacts`,
    granularType: `microsoft.graph.granular${Noun}RestoreArtifact`,
    bulkRequestsCollection: `${noun}RestoreArtifactsBulkAdditionRequests`,
    bulkRequestType: `microsoft.graph.${noun}RestoreArtifactsBulkAdditionRequest`,
    unitKind,
    shortName,
    defaultDestination,
  };
}

/** Who created a session (and a protection unit) when the caller does not say: the tenant's backup controller app. */
export const DEFAULT_CONTROLLER: Readonly<{ id: string; displayName: string }> = { id: "4d43deb5-3880-41de-b9fd-9702b6bc8abb", displayName: "Contoso Backup Controller" };

export const TERMINAL: ReadonlySet<EmulatedStatus> = new Set(["completed", "completedWithError", "failed"]);
export const DAY_MS = 24 * 3600 * 1000;

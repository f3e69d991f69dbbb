import { createHash } from "node:crypto";
import { DAY_MS, WORKLOAD_SHAPES, type EmulatedArtifact, type EmulatedSession } from "./model";

// ---------------------------------------------------------------------------------------------
// Rendering: EmulatedSession/EmulatedArtifact -> Graph JSON shapes (see graph-fixtures.json).
// ---------------------------------------------------------------------------------------------

export interface RenderOptions {
  readonly includeUnknownEnumMembers: boolean;
  readonly lowercaseSharePointType: boolean;
}

/** A GUID derived from a string, so rendered ids (restore points, restored folders) are stable across requests. */
export function stableGuid(seed: string): string {
  const hex = createHash("sha256").update(seed).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function publicError(error: { code: string; message: string } | null | undefined): unknown {
  return error ? { code: error.code, message: error.message, target: null, details: [], innerError: null } : null;
}

export function artifactCount(session: EmulatedSession): { total: number; completed: number; inProgress: number; failed: number } {
  const counts = { total: session.artifacts.length, completed: 0, inProgress: 0, failed: 0 };
  // NOTE: draft semantics are undocumented; like the fixtures, a draft counts its artifacts in total only.
  if (session.status === "draft") return counts;
  for (const artifact of session.artifacts) {
    if (artifact.status === "succeeded") counts.completed += 1;
    else if (artifact.status === "failed") counts.failed += 1;
    else counts.inProgress += 1;
  }
  return counts;
}

export function renderSession(session: EmulatedSession, options: RenderOptions): unknown {
  if (session.raw !== undefined) return session.raw;
  const odataType = session.workload === "sharePoint" && options.lowercaseSharePointType ? "#microsoft.graph.sharepointRestoreSession" : WORKLOAD_SHAPES[session.workload].odataType;
  // Graph hides enum members declared after unknownFutureValue unless the caller opts in.
  const status = session.status === "failed" && !options.includeUnknownEnumMembers ? "unknownFutureValue" : session.status;
  const jobType = session.restoreJobType ?? "standard";
  return {
    "@odata.type": odataType,
    id: session.id,
    status,
    restoreJobType: jobType === "granular" && !options.includeUnknownEnumMembers ? "unknownFutureValue" : jobType,
    restoreSessionArtifactCount: artifactCount(session),
    createdBy: session.createdBy ?? null,
    createdDateTime: session.createdDateTime,
    lastModifiedBy: session.createdBy ?? null,
    lastModifiedDateTime: session.lastModifiedDateTime,
    completedDateTime: session.completedDateTime ?? null,
    error: publicError(session.error),
  };
}

export function renderArtifact(session: EmulatedSession, artifact: EmulatedArtifact): unknown {
  const restored = artifact.name !== undefined || artifact.webUrl !== undefined;
  const own =
    session.workload === "exchange"
      ? {
          restoredFolderId: restored ? stableGuid(`${artifact.id}/folder`) : null,
          restoredFolderName: artifact.name ?? null,
          restoredItemCount: artifact.restoredItemCount ?? (artifact.status === "succeeded" ? 1 + (parseInt(stableGuid(artifact.id).slice(0, 4), 16) % 2000) : 0),
        }
      : {
          restoredSiteId: restored ? stableGuid(`${artifact.id}/site`) : null,
          restoredSiteName: artifact.name ?? null,
          restoredSiteWebUrl: artifact.webUrl ?? null,
        };
  // Restore point: the given time, else the last full hour a day before the session was created.
  const protectedAt = artifact.restorePointDateTime ? Date.parse(artifact.restorePointDateTime) : Math.floor((Date.parse(session.createdDateTime) - DAY_MS) / 3_600_000) * 3_600_000;
  return {
    id: artifact.id,
    destinationType: artifact.destinationType ?? WORKLOAD_SHAPES[session.workload].defaultDestination,
    status: artifact.status,
    startDateTime: artifact.startDateTime ?? null,
    completionDateTime: artifact.completionDateTime ?? null,
    ...own,
    error: publicError(artifact.error),
    restorePoint: {
      id: `${stableGuid(`${artifact.id}/restorePoint`)}_${Math.floor(protectedAt / 1000)}_12_2`,
      protectionDateTime: new Date(protectedAt).toISOString(),
      expirationDateTime: new Date(protectedAt + 365 * DAY_MS).toISOString(),
      tags: "none",
    },
  };
}

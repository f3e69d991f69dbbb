import { createHash } from "node:crypto";
import { WORKLOAD_SHAPES, type EmulatedSession } from "./model";

// ---------------------------------------------------------------------------------------------
// Rendering: EmulatedSession -> Graph JSON shapes (see graph-fixtures.json); artifacts in artifacts.ts.
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

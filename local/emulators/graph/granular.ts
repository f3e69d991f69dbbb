import { restorePointTime, type ArtifactView } from "./artifacts";
import { WORKLOAD_SHAPES, type EmulatedArtifact, type EmulatedSession } from "./model";
import { protectionUnitOf } from "./protectionUnits";
import { publicError, stableGuid } from "./render";

// ---------------------------------------------------------------------------------------------
// granularDriveRestoreArtifact and granularSiteRestoreArtifact. They derive from
// granularRestoreArtifactBase (an entity), not from restoreArtifactBase: no restorePoint navigation,
// only restorePointDateTime; destinationType and error exist in beta only, so a failed item has no
// error text in v1.0.
// ---------------------------------------------------------------------------------------------

export function renderGranularItem(session: EmulatedSession, artifact: EmulatedArtifact, view: ArtifactView): Record<string, unknown> {
  const unit = protectionUnitOf(session, artifact);
  const owner =
    session.workload === "sharePoint"
      ? { siteId: unit.kind === "site" ? unit.siteId : null }
      : { directoryObjectId: unit.kind === "site" ? null : unit.directoryObjectId };
  return {
    id: artifact.id,
    // One browse session per restore session, unless the artifact names its own.
    browseSessionId: artifact.browseSessionId ?? stableGuid(`${session.id}/browseSession`),
    completionDateTime: artifact.completionDateTime ?? null,
    restoredItemKey: artifact.restoredItemKey ?? null,
    restoredItemPath: artifact.itemPath ?? null,
    restoredItemWebUrl: artifact.restoredItemWebUrl ?? null,
    restorePointDateTime: new Date(restorePointTime(session, artifact)).toISOString(),
    startDateTime: artifact.startDateTime ?? null,
    status: artifact.status,
    webUrl: artifact.itemWebUrl ?? null,
    ...owner,
    ...(view.version === "beta" && {
      destinationType: artifact.destinationType ?? WORKLOAD_SHAPES[session.workload].defaultDestination,
      error: publicError(artifact.error),
    }),
  };
}

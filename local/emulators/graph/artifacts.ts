import { DAY_MS, WORKLOAD_SHAPES, type EmulatedArtifact, type EmulatedSession } from "./model";
import { protectionUnitOf, renderProtectionUnit, type NameVisibility } from "./protectionUnits";
import { publicError, stableGuid } from "./render";

// ---------------------------------------------------------------------------------------------
// Artifacts: mailbox/site/driveRestoreArtifact and granularMailboxRestoreArtifact, with their
// restorePoint (and its protectionUnit) as the request's $expand asks.
// ---------------------------------------------------------------------------------------------

/** How an item carries its restore point: not at all, inline, or inline with its protection unit. */
export type RestorePointView = "omit" | "plain" | "nested";

export interface ArtifactView {
  readonly restorePoint: RestorePointView;
  readonly names: NameVisibility;
  readonly version: "v1.0" | "beta";
}

/** The restore point's time: the given one, else the last full hour a day before the session was created. */
export function restorePointTime(session: EmulatedSession, artifact: EmulatedArtifact): number {
  return artifact.restorePointDateTime ? Date.parse(artifact.restorePointDateTime) : Math.floor((Date.parse(session.createdDateTime) - DAY_MS) / 3_600_000) * 3_600_000;
}

function renderRestorePoint(session: EmulatedSession, artifact: EmulatedArtifact, view: ArtifactView): Record<string, unknown> {
  const protectedAt = restorePointTime(session, artifact);
  return {
    id: `${stableGuid(`${artifact.id}/restorePoint`)}_${Math.floor(protectedAt / 1000)}_12_2`,
    protectionDateTime: new Date(protectedAt).toISOString(),
    expirationDateTime: new Date(protectedAt + 365 * DAY_MS).toISOString(),
    tags: "none",
    ...(view.restorePoint === "nested" && { protectionUnit: renderProtectionUnit(protectionUnitOf(session, artifact), view.names) }),
  };
}

/** A stable count from the artifact id, for restored items nobody specified. */
function stableCount(artifact: EmulatedArtifact, modulo: number): number {
  return 1 + (parseInt(stableGuid(artifact.id).slice(0, 4), 16) % modulo);
}

function restoredFields(session: EmulatedSession, artifact: EmulatedArtifact): Record<string, unknown> {
  const restored = artifact.name !== undefined || artifact.webUrl !== undefined;
  if (session.workload === "exchange") {
    return {
      restoredFolderId: restored ? stableGuid(`${artifact.id}/folder`) : null,
      restoredFolderName: artifact.name ?? null,
      restoredItemCount: artifact.restoredItemCount ?? (artifact.status === "succeeded" ? stableCount(artifact, 2000) : 0),
    };
  }
  return { restoredSiteId: restored ? stableGuid(`${artifact.id}/site`) : null, restoredSiteName: artifact.name ?? null, restoredSiteWebUrl: artifact.webUrl ?? null };
}

function renderWith(session: EmulatedSession, artifact: EmulatedArtifact, view: ArtifactView, own: Record<string, unknown>): Record<string, unknown> {
  return {
    id: artifact.id,
    destinationType: artifact.destinationType ?? WORKLOAD_SHAPES[session.workload].defaultDestination,
    status: artifact.status,
    startDateTime: artifact.startDateTime ?? null,
    completionDateTime: artifact.completionDateTime ?? null,
    ...own,
    error: publicError(artifact.error),
    ...(view.restorePoint !== "omit" && { restorePoint: renderRestorePoint(session, artifact, view) }),
  };
}

/** A mailboxRestoreArtifact, siteRestoreArtifact or driveRestoreArtifact. */
export function renderArtifact(session: EmulatedSession, artifact: EmulatedArtifact, view: ArtifactView): Record<string, unknown> {
  return renderWith(session, artifact, view, restoredFields(session, artifact));
}

/** A granularMailboxRestoreArtifact: a mailboxRestoreArtifact plus artifactCount and the (non-nullable) searchResponseId. */
export function renderGranularMailboxArtifact(session: EmulatedSession, artifact: EmulatedArtifact, view: ArtifactView): Record<string, unknown> {
  return renderWith(session, artifact, view, {
    ...restoredFields(session, artifact),
    artifactCount: artifact.artifactCount ?? stableCount(artifact, 50),
    searchResponseId: artifact.searchResponseId ?? stableGuid(`${artifact.id}/searchResponse`),
  });
}

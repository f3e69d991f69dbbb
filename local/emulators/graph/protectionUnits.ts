import type { TokenClaims } from "../tokens";
import { DAY_MS, DEFAULT_CONTROLLER, WORKLOAD_SHAPES, type EmulatedArtifact, type EmulatedProtectionUnit, type EmulatedSession } from "./model";
import { stableGuid } from "./render";

// ---------------------------------------------------------------------------------------------
// Protection units: what a restore point links to (mailbox, drive or site), as restorePoint's
// $expand=protectionUnit renders it.
// ---------------------------------------------------------------------------------------------

/** Which computed name properties a caller is served. */
export interface NameVisibility {
  /** displayName and email of mailbox and drive units. */
  readonly unitNames: boolean;
  /** siteName and siteWebUrl of site units. */
  readonly siteNames: boolean;
}

export interface NameOptions {
  readonly protectionUnitNamesForApps: boolean;
  readonly siteNamesForApps: boolean;
}

/**
 * Graph documents mailbox/drive unit displayName and email as "only available for the Delegated
 * permission type": app-only callers get null. A token with `scp` is delegated.
 */
export function nameVisibility(claims: TokenClaims, options: NameOptions): NameVisibility {
  const delegated = (claims.scp ?? "").trim() !== "";
  return { unitNames: delegated || options.protectionUnitNamesForApps, siteNames: delegated || options.siteNamesForApps };
}

/** The artifact's unit, or one derived from its id (mailbox for Exchange, drive for OneDrive, site for SharePoint). */
export function protectionUnitOf(session: EmulatedSession, artifact: EmulatedArtifact): EmulatedProtectionUnit {
  if (artifact.protectionUnit) return artifact.protectionUnit;
  const kind = WORKLOAD_SHAPES[session.workload].unitKind;
  const short = stableGuid(`${artifact.id}/unit`).slice(0, 8);
  if (kind === "site") {
    const siteId = `contoso.sharepoint.com,${stableGuid(`${artifact.id}/siteCollection`)},${stableGuid(`${artifact.id}/web`)}`;
    return { kind, siteId, siteName: `Site ${short}`, siteWebUrl: `https://contoso.sharepoint.com/sites/site-${short}` };
  }
  return { kind, directoryObjectId: stableGuid(`${artifact.id}/directoryObject`), displayName: `User ${short}`, email: `user-${short}@contoso.onmicrosoft.com` };
}

/** The unit's id: its own, else stable per kind and mailbox owner or site (two artifacts of one mailbox share a unit). */
export function protectionUnitId(unit: EmulatedProtectionUnit): string {
  return unit.id ?? stableGuid(`protectionUnit/${unit.kind}/${unit.kind === "site" ? unit.siteId : unit.directoryObjectId}`);
}

/** When the unit was created: a stable day in the half year after Backup Storage's v1.0 release (2024-08). */
function createdAt(id: string): string {
  const day = parseInt(id.slice(0, 4), 16) % 180;
  return new Date(Date.parse("2024-09-01T00:00:00Z") + day * DAY_MS).toISOString();
}

/** A #microsoft.graph.{mailbox|drive|site}ProtectionUnit, with the computed names only where the caller may see them. */
export function renderProtectionUnit(unit: EmulatedProtectionUnit, visibility: NameVisibility): Record<string, unknown> {
  const id = protectionUnitId(unit);
  const own =
    unit.kind === "site"
      ? { siteId: unit.siteId, siteName: visibility.siteNames ? (unit.siteName ?? null) : null, siteWebUrl: visibility.siteNames ? (unit.siteWebUrl ?? null) : null }
      : { directoryObjectId: unit.directoryObjectId, displayName: visibility.unitNames ? (unit.displayName ?? null) : null, email: visibility.unitNames ? (unit.email ?? null) : null };
  const created = createdAt(id);
  const createdBy = { application: { ...DEFAULT_CONTROLLER }, user: null };
  return {
    "@odata.type": `#microsoft.graph.${unit.kind}ProtectionUnit`,
    id,
    policyId: stableGuid(`protectionPolicy/${unit.kind}`),
    status: "protected",
    protectionSources: "manual",
    ...own,
    createdBy,
    createdDateTime: created,
    lastModifiedBy: createdBy,
    lastModifiedDateTime: created,
    // The docs show this default when no offboarding was requested.
    offboardRequestedDateTime: "0001-01-01T00:00:00Z",
    error: null,
  };
}

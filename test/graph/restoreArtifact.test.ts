import { describe, expect, it } from "vitest";
import { MISSING_ARTIFACT_ID, parseRestoreArtifact } from "../../shared/graph/restoreArtifact";

const EXCHANGE = { workload: "exchange", granular: false } as const;
const SHAREPOINT = { workload: "sharePoint", granular: false } as const;
const ONEDRIVE = { workload: "oneDrive", granular: false } as const;

const OWNER = "845457dc-4bb2-4815-bef3-8628ebd1952e";
const SITE_ID = "contoso.sharepoint.com,da60e844-ba1d-49bc-b4d4-d5e36bae9019,0271110f-634f-4300-a841-3a8a2e851852";
const failure = { code: "ArtifactNotFound", message: "The requested restore artifact wasn't found for restore." };

function restorePoint(protectionUnit?: Record<string, unknown>): Record<string, unknown> {
  return { id: "ffd2687a-f507-4a82-9dff-2fa78cfdaa41_1801645000_12_2", protectionDateTime: "2023-12-04T00:00:00Z", expirationDateTime: "2023-12-18T00:00:00Z", ...(protectionUnit && { protectionUnit }) };
}

describe("parseRestoreArtifact", () => {
  it("names a mailbox by its expanded protection unit: the owner's object id, and name and email when Graph gives them", () => {
    const unit = { "@odata.type": "#microsoft.graph.mailboxProtectionUnit", id: "pu1", directoryObjectId: OWNER, displayName: null, email: null };
    const asApp = parseRestoreArtifact({ id: "a1", status: "failed", destinationType: "inPlace", error: failure, restorePoint: restorePoint(unit) }, EXCHANGE);
    expect(asApp).toEqual({
      status: "failed",
      artifact: { id: "a1", kind: "mailbox", objectId: OWNER, errorCode: failure.code, errorMessage: failure.message, destinationType: "inPlace", restorePointDateTime: "2023-12-04T00:00:00Z" },
    });
    const delegated = parseRestoreArtifact({ id: "a1", status: "failed", restorePoint: restorePoint({ ...unit, displayName: "Adele Vance", email: "AdeleV@contoso.com" }) }, EXCHANGE);
    expect(delegated.artifact).toMatchObject({ name: "Adele Vance", address: "AdeleV@contoso.com", objectId: OWNER });
  });

  it("names a site by its unit's name and URL, and says where a new-location restore went", () => {
    const unit = { "@odata.type": "#microsoft.graph.siteProtectionUnit", id: "pu2", siteId: SITE_ID, siteName: "Finance", siteWebUrl: "https://contoso.sharepoint.com/sites/finance" };
    const parsed = parseRestoreArtifact({ id: "s1", status: "failed", destinationType: "new", restoredSiteName: "Finance (restored)", restoredSiteWebUrl: "https://contoso.sharepoint.com/sites/finance-restored", restorePoint: restorePoint(unit) }, SHAREPOINT);
    expect(parsed.artifact).toMatchObject({ kind: "site", siteId: SITE_ID, name: "Finance", webUrl: "https://contoso.sharepoint.com/sites/finance", restoredTo: "Finance (restored)", restoredToUrl: "https://contoso.sharepoint.com/sites/finance-restored" });
  });

  it("without a protection unit, names an in-place site restore by the restored site, which is the same site", () => {
    const parsed = parseRestoreArtifact({ id: "s2", status: "failed", destinationType: "inPlace", restoredSiteName: "Legal", restoredSiteWebUrl: "https://contoso.sharepoint.com/sites/legal" }, SHAREPOINT);
    expect(parsed.artifact).toEqual({ id: "s2", kind: "site", name: "Legal", webUrl: "https://contoso.sharepoint.com/sites/legal", destinationType: "inPlace" });
  });

  it("names a restored folder only for a new-location mailbox restore", () => {
    expect(parseRestoreArtifact({ id: "m", status: "failed", destinationType: "new", restoredFolderName: "Restored-Adele" }, EXCHANGE).artifact.restoredTo).toBe("Restored-Adele");
    expect(parseRestoreArtifact({ id: "m", status: "failed", destinationType: "inPlace", restoredFolderName: "Restored-Adele" }, EXCHANGE).artifact.restoredTo).toBeUndefined();
  });

  it("reads a granular drive item: its owner, path and URLs (its own base type, no restore point)", () => {
    const parsed = parseRestoreArtifact(
      { "@odata.type": "#microsoft.graph.granularDriveRestoreArtifact", id: "g1", status: "failed", directoryObjectId: OWNER, restoredItemPath: "/Documents/Q3/Budget.xlsx", webUrl: "https://contoso-my.sharepoint.com/personal/adele/Documents/Q3/Budget.xlsx", restoredItemWebUrl: "https://contoso-my.sharepoint.com/personal/adele/Restored/Budget.xlsx", restorePointDateTime: "2026-11-30T00:00:00Z" },
      { workload: "oneDrive", granular: true },
    );
    expect(parsed.artifact).toEqual({
      id: "g1",
      kind: "drive",
      objectId: OWNER,
      itemPath: "/Documents/Q3/Budget.xlsx",
      webUrl: "https://contoso-my.sharepoint.com/personal/adele/Documents/Q3/Budget.xlsx",
      restoredToUrl: "https://contoso-my.sharepoint.com/personal/adele/Restored/Budget.xlsx",
      restorePointDateTime: "2026-11-30T00:00:00Z",
    });
    const site = parseRestoreArtifact({ id: "g2", status: "failed", siteId: SITE_ID, restoredItemPath: "/Shared Documents/a.docx" }, { workload: "sharePoint", granular: true });
    expect(site.artifact).toMatchObject({ kind: "site", siteId: SITE_ID, itemPath: "/Shared Documents/a.docx" });
  });

  it("reads a granular mailbox artifact as the mailbox artifact it derives from", () => {
    const unit = { "@odata.type": "#microsoft.graph.mailboxProtectionUnit", directoryObjectId: OWNER };
    const parsed = parseRestoreArtifact({ "@odata.type": "#microsoft.graph.granularMailboxRestoreArtifact", id: "gm", status: "failed", artifactCount: 12, searchResponseId: "sr1", error: failure, restorePoint: restorePoint(unit) }, { workload: "exchange", granular: true });
    expect(parsed.artifact).toMatchObject({ kind: "mailbox", objectId: OWNER, errorCode: failure.code });
  });

  it("keeps an artifact of a type it does not know, marked unknown with its @odata.type", () => {
    const parsed = parseRestoreArtifact({ "@odata.type": "#microsoft.graph.teamsChannelRestoreArtifact", id: "t1", status: "failed", error: failure }, EXCHANGE);
    expect(parsed).toEqual({ status: "failed", artifact: { id: "t1", kind: "unknown", unknownType: "#microsoft.graph.teamsChannelRestoreArtifact", errorCode: failure.code, errorMessage: failure.message } });
  });

  it("keeps a failed artifact without an id, and reads fields of the wrong type as unknown", () => {
    expect(parseRestoreArtifact({ status: "failed", error: { code: 7, message: ["x"] } }, ONEDRIVE)).toEqual({ status: "failed", artifact: { id: MISSING_ARTIFACT_ID, kind: "drive" } });
    expect(parseRestoreArtifact({ id: "x", status: "failed", restorePoint: "yesterday", destinationType: 1 }, ONEDRIVE).artifact).toEqual({ id: "x", kind: "drive" });
    expect(parseRestoreArtifact(null, ONEDRIVE)).toEqual({ status: undefined, artifact: { id: MISSING_ARTIFACT_ID, kind: "unknown", unknownType: "(not an object)" } });
  });

  it("keeps only https URLs of a sane length", () => {
    const unit = (siteWebUrl: string) => ({ "@odata.type": "#microsoft.graph.siteProtectionUnit", siteId: SITE_ID, siteWebUrl });
    for (const url of ["javascript:alert(1)", "http://contoso.sharepoint.com/sites/a", "https://contoso.sharepoint.com/sites/a b", `https://contoso.sharepoint.com/${"a".repeat(2100)}`, "https://x\u0000", "https://x/\ud800", "https://<script>", 'https://x/"onmouseover="a', "https:///sites/a"]) {
      expect(parseRestoreArtifact({ id: "u", status: "failed", restorePoint: restorePoint(unit(url)) }, SHAREPOINT).artifact.webUrl).toBeUndefined();
    }
  });

  it("keeps a URL with non-ASCII text (a site named in another script)", () => {
    const url = "https://contoso.sharepoint.com/sites/財務-🚀";
    const unit = { "@odata.type": "#microsoft.graph.siteProtectionUnit", siteId: SITE_ID, siteWebUrl: url };
    expect(parseRestoreArtifact({ id: "u", status: "failed", restorePoint: restorePoint(unit) }, SHAREPOINT).artifact.webUrl).toBe(url);
  });

  it("bounds every text it keeps", () => {
    const parsed = parseRestoreArtifact({ id: "i".repeat(5000), status: "failed", error: { code: "c".repeat(5000), message: "m".repeat(50_000) }, restoredItemPath: "p".repeat(9000), directoryObjectId: "o".repeat(900) }, { workload: "oneDrive", granular: true });
    expect(parsed.artifact.id.length).toBeLessThanOrEqual(200);
    expect(parsed.artifact.errorCode?.length).toBeLessThanOrEqual(200);
    expect(parsed.artifact.errorMessage?.length).toBeLessThanOrEqual(2001);
    expect(parsed.artifact.itemPath?.length).toBeLessThanOrEqual(2000);
    expect(parsed.artifact.objectId?.length).toBeLessThanOrEqual(200);
  });
});

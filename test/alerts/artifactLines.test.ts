// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import type { FailedArtifact } from "../../shared/domain/alert";
import type { Workload } from "../../shared/domain/restoreSession";
import { sortedArtifacts } from "../../shared/alerts/artifactLines";
import { makeAlert } from "./alertFixtures";
import { plainTextEntries, renderBoth, type ShownAlert } from "./renderedItems";

const OBJECT_ID = "6c3d2a2d-5b1e-4f7a-9c0d-3e8f1a2b4c6d";
const SITE_ID = "contoso.sharepoint.com,0f3a8c2e-5b1d-4c7a-9e6f-2d8b4a1c7e90,7e1a0c5d-3b1f-4f63-9d2a-0c6f5e8b4a11";

function failing(artifact: Omit<FailedArtifact, "errorCode" | "errorMessage">): FailedArtifact {
  return { errorCode: "ArtifactCannotBeRestored", errorMessage: `${artifact.id} could not be restored.`, ...artifact };
}

function shown(failed: readonly FailedArtifact[], workload: Workload = "exchange"): ShownAlert {
  return renderBoth([makeAlert({ workload, failed })]);
}

/**
 * The first failed item as each renderer shows it: the email's first cell (name first, then the
 * detail lines), the plain-text entry, and the card's first column. URLs are inert in the HTML and
 * the card, as Graph sent them in the plain text.
 */
function firstItem(view: ShownAlert): { html: string[]; text: string[]; card: string[] } {
  return {
    html: view.emailRows("Failed item")[0]?.lines ?? [],
    text: plainTextEntries(view.email.plainText, "Failed items:")[0] ?? [],
    card: view.cardRows("Failed item")[0]?.lines ?? [],
  };
}

describe("failed items by name", () => {
  it("lists them by name (case-insensitive, locale-aware, numbers in order), the unnamed after them by id", () => {
    const names = ["zoë Zimmer", "Adele Vance", "émile Durand", "bob Kelly", "Site 10", "Site 2"];
    const failed = [
      failing({ id: "a-unnamed-2", kind: "mailbox", objectId: "b0000000-0000-4000-8000-000000000000" }),
      ...names.map((name, index) => failing({ id: `a-${index}`, kind: "mailbox", name, address: `user${index}@contoso.com` })),
      failing({ id: "a-unnamed-1", kind: "mailbox", objectId: "a0000000-0000-4000-8000-000000000000" }),
    ];
    const view = shown(failed);
    const expected = ["Adele Vance", "bob Kelly", "émile Durand", "Site 2", "Site 10", "zoë Zimmer", "Mailbox of user a0000000-0000-4000-8000-000000000000", "Mailbox of user b0000000-0000-4000-8000-000000000000"];
    expect(view.emailRows("Failed item").map((row) => row.lines[0])).toEqual(expected);
    expect(plainTextEntries(view.email.plainText, "Failed items:").map((entry) => entry[0])).toEqual(expected);
    expect(view.cardRows("Failed item").map((row) => row.lines[0])).toEqual(expected);
    // The error code and message stay beside each item.
    expect(view.emailRows("Failed item")[0]?.cells.slice(0, 2)).toEqual(["ArtifactCannotBeRestored", "a-1 could not be restored."]);
    expect(view.cardRows("Failed item")[0]?.cells).toEqual(["ArtifactCannotBeRestored", "a-1 could not be restored."]);
  });

  it("sorts equal names by id, and keeps the order stable whatever order Graph listed them in", () => {
    const failed = [failing({ id: "b", kind: "site", name: "HR" }), failing({ id: "a", kind: "site", name: "hr" }), failing({ id: "c", kind: "site", siteId: "x" }), failing({ id: "d", kind: "site", name: "" })];
    expect(sortedArtifacts(failed).map((artifact) => artifact.id)).toEqual(["a", "b", "d", "c"]);
    expect(sortedArtifacts([...failed].reverse()).map((artifact) => artifact.id)).toEqual(["a", "b", "d", "c"]);
  });

  it("names a mailbox's owner with their address, then the object id and the artifact id", () => {
    const item = firstItem(shown([failing({ id: "artifact-7", kind: "mailbox", name: "Adele Vance", address: "AdeleV@contoso.com", objectId: OBJECT_ID })]));
    const lines = ["Adele Vance", "AdeleV@contoso.com", `object id ${OBJECT_ID} · artifact id artifact-7`];
    expect(item.html).toEqual(lines);
    expect(item.card).toEqual(lines);
    expect(item.text).toEqual([...lines, "error: ArtifactCannotBeRestored: artifact-7 could not be restored."]);
  });

  it("without a name (no directory permission) shows the owner's object id, never a bare artifact id", () => {
    const mailbox = firstItem(shown([failing({ id: "artifact-7", kind: "mailbox", objectId: OBJECT_ID })]));
    expect(mailbox.html).toEqual([`Mailbox of user ${OBJECT_ID}`, "artifact id artifact-7"]);
    expect(mailbox.card).toEqual(mailbox.html);
    const drive = firstItem(shown([failing({ id: "artifact-8", kind: "drive", objectId: OBJECT_ID })], "oneDrive"));
    expect(drive.html).toEqual([`OneDrive of user ${OBJECT_ID}`, "artifact id artifact-8"]);
    // With nothing but the artifact id, it still says what it is.
    expect(firstItem(shown([failing({ id: "artifact-9", kind: "mailbox" })])).html).toEqual(["Mailbox (artifact id artifact-9)"]);
  });

  it("shows a site by name with its URL (inert in HTML and card); without a name by its URL; without both by its site id", () => {
    const url = "https://contoso.sharepoint.com/sites/hr-policies";
    const named = firstItem(shown([failing({ id: "s1", kind: "site", name: "HR Policies", webUrl: url, siteId: SITE_ID })], "sharePoint"));
    expect(named.html).toEqual(["HR Policies", "https[:]//contoso.sharepoint.com/sites/hr-policies", `site id ${SITE_ID} · artifact id s1`]);
    expect(named.card).toEqual(named.html);
    expect(named.text.slice(0, 2)).toEqual(["HR Policies", url]);

    const byUrl = firstItem(shown([failing({ id: "s2", kind: "site", webUrl: url, siteId: SITE_ID })], "sharePoint"));
    expect(byUrl.html).toEqual(["https[:]//contoso.sharepoint.com/sites/hr-policies", `site id ${SITE_ID} · artifact id s2`]);
    expect(byUrl.text[0]).toBe(url);

    const bySiteId = firstItem(shown([failing({ id: "s3", kind: "site", siteId: SITE_ID })], "sharePoint"));
    expect(bySiteId.html).toEqual([`Site ${SITE_ID}`, "artifact id s3"]);
    expect(bySiteId.card).toEqual(bySiteId.html);
  });

  it("shows a granular restore's item path and URL with the owner or site it belongs to", () => {
    const itemUrl = "https://contoso-my.sharepoint.com/personal/adelev/Documents/Q3%20plan.xlsx";
    const drive = firstItem(
      shown([failing({ id: "g1", kind: "drive", name: "Adele Vance", address: "AdeleV@contoso.com", objectId: OBJECT_ID, itemPath: "/Documents/Q3 plan.xlsx", webUrl: itemUrl })], "oneDrive"),
    );
    expect(drive.html).toEqual(["Adele Vance", "AdeleV@contoso.com", "item: /Documents/Q3 plan.xlsx", itemUrl.replace("https://", "https[:]//"), `object id ${OBJECT_ID} · artifact id g1`]);
    expect(drive.card).toEqual(drive.html);
    expect(drive.text).toContain(itemUrl);

    // A granular site item without the site's name: the site id names it, the URL is the item's.
    const site = firstItem(shown([failing({ id: "g2", kind: "site", siteId: SITE_ID, itemPath: "/Shared Documents/Policy.docx", webUrl: "https://contoso.sharepoint.com/sites/hr/Policy.docx" })], "sharePoint"));
    expect(site.html).toEqual([`Site ${SITE_ID}`, "item: /Shared Documents/Policy.docx", "https[:]//contoso.sharepoint.com/sites/hr/Policy.docx", "artifact id g2"]);
  });

  it("says where a new-location restore was restored to", () => {
    const item = firstItem(
      shown([
        failing({ id: "m1", kind: "mailbox", name: "Adele Vance", objectId: OBJECT_ID, restoredTo: "Restored-Adele", destinationType: "new", restoredToUrl: "https://outlook.office.com/restored" }),
      ]),
    );
    expect(item.html).toContain("restored to: Restored-Adele (new) https[:]//outlook.office.com/restored");
    expect(item.card).toContain("restored to: Restored-Adele (new) https[:]//outlook.office.com/restored");
    expect(item.text).toContain("restored to: Restored-Adele (new) https://outlook.office.com/restored");
  });

  it("shows an artifact of a type restorewatch does not know as such, naming the type", () => {
    const unnamed = firstItem(shown([failing({ id: "u1", kind: "unknown", unknownType: "#microsoft.graph.teamsRestoreArtifact" })]));
    expect(unnamed.html).toEqual(["Item of unknown type #microsoft.graph.teamsRestoreArtifact", "artifact id u1"]);
    expect(unnamed.card).toEqual(unnamed.html);
    // A known kind whose protection unit is of an unknown type, with a name: the type is still said.
    const named = firstItem(shown([failing({ id: "u2", kind: "mailbox", name: "Team Falcon", unknownType: "#microsoft.graph.groupProtectionUnit" })]));
    expect(named.html).toEqual(["Team Falcon", "item of unknown type #microsoft.graph.groupProtectionUnit", "artifact id u2"]);
    expect(firstItem(shown([failing({ id: "u3", kind: "unknown" })])).html).toEqual(["Item of unknown type", "artifact id u3"]);
  });

  it("renders items of alerts recorded before names were read (no kind) by their name, URL and id", () => {
    const old = { id: "artifact-1", name: "Site 1", webUrl: "https://contoso.sharepoint.com/sites/site1", errorCode: "ArtifactCannotBeRestored", errorMessage: "Locked.", destinationType: "new" };
    const item = firstItem(shown([old], "sharePoint"));
    expect(item.html).toEqual(["Site 1", "https[:]//contoso.sharepoint.com/sites/site1", "artifact id artifact-1"]);
    expect(item.card).toEqual(item.html);
    // An old item without a name: what its session's workload says it was, with its id.
    expect(firstItem(shown([{ id: "artifact-2" }], "exchange")).html).toEqual(["Mailbox (artifact id artifact-2)"]);
  });
});

import { afterEach, describe, expect, it } from "vitest";
import type { EmulatedArtifact, EmulatedDirectoryObject } from "../../local/emulators/graph/graphEmulator";
import { READ_ROLE } from "../support/pipelineHarness";
import { startDeliveryRig, type DeliveryRigOptions, type Rig } from "../support/deliveryRig";
import { useAzurite } from "../support/useAzurite";

/**
 * Alerts that name what failed, end to end: Graph emulator (protection units, getByIds, bulk and
 * granular collections) → pipeline → Azurite outbox → the real ACS Email and Teams channels → what the
 * admin reads in the email and the card.
 */
const azurite = useAzurite();
const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((part) => part.stop()));
});
const startRig = (options: DeliveryRigOptions = {}): Promise<Rig> => startDeliveryRig(azurite, running, options);

const ADELE: EmulatedDirectoryObject = { id: "6c3d2a2d-2780-49ad-9b06-eb0542a138cf", type: "user", displayName: "Adele Vance", userPrincipalName: "adele.vance@contoso.onmicrosoft.com" };
const ALEX: EmulatedDirectoryObject = { id: "0b944de3-1b7d-4f5a-9d1c-2a3e4b5c6d7e", type: "user", displayName: "Alex Wilber", userPrincipalName: "alex.wilber@contoso.onmicrosoft.com" };
const NOT_FOUND = { code: "ArtifactNotFound", message: "The requested restore artifact wasn't found for restore." };
const LOCKED = { code: "ArtifactCannotBeRestored", message: "The restore artifact is in an unexpected state such as preservation lock." };
const NAMES_ROLES = [READ_ROLE, "User.Read.All"];

function mailbox(id: string, owner: EmulatedDirectoryObject, error = NOT_FOUND): EmulatedArtifact {
  return { id, status: "failed", error, protectionUnit: { kind: "mailbox", directoryObjectId: owner.id } };
}

/** The card as text: every string in the Adaptive Card JSON. */
function cardText(rig: Rig, index = 0): string {
  return JSON.stringify(rig.teams.posts[index]?.body ?? null);
}

const getByIdsCalls = (rig: Rig) => rig.h.graph.requests.filter((r) => r.method === "POST" && r.path.endsWith("/directoryObjects/getByIds")).length;

describe("alerts name what failed", () => {
  it("names two failed mailboxes by their owners in the email and the card, sorted by name, the ids second", async () => {
    const rig = await startRig({ harness: { roles: NAMES_ROLES, graph: { directoryObjects: [ADELE, ALEX] } } });
    await rig.poll(); // baseline
    // Alex's artifact is listed first; the alert sorts by name.
    rig.h.graph.createSession({ workload: "exchange", status: "failed", artifacts: [mailbox("m-alex", ALEX, LOCKED), mailbox("m-adele", ADELE), { id: "m-ok", status: "succeeded", protectionUnit: { kind: "mailbox", directoryObjectId: ADELE.id } }] });
    const summary = await rig.poll();
    expect(summary.delivery).toMatchObject({ alertsDelivered: 1 });
    expect(getByIdsCalls(rig)).toBe(1);

    const email = rig.acs.messages[0];
    const text = email?.plainText ?? "";
    expect(text).toContain("Adele Vance");
    expect(text).toContain("adele.vance@contoso.onmicrosoft.com");
    expect(text).toContain(NOT_FOUND.message);
    expect(text.indexOf("Adele Vance")).toBeLessThan(text.indexOf("Alex Wilber"));
    expect(text.indexOf("Adele Vance")).toBeLessThan(text.indexOf(ADELE.id));
    expect(email?.html).toContain("Adele Vance");
    expect(email?.html).toContain("Alex Wilber");
    const card = cardText(rig);
    expect(card).toContain("Adele Vance");
    expect(card).toContain("Alex Wilber");
    expect(card.indexOf("Adele Vance")).toBeLessThan(card.indexOf("Alex Wilber"));
  });

  it("without the directory permission: object ids in the alert, one log line a run saying what to grant", async () => {
    const rig = await startRig({ harness: { graph: { directoryObjects: [ADELE, ALEX] } } });
    await rig.poll();
    rig.h.graph.createSession({ workload: "exchange", status: "failed", artifacts: [mailbox("m1", ADELE), mailbox("m2", ALEX)] });
    rig.h.graph.createSession({ workload: "oneDrive", status: "failed", artifacts: [{ id: "d1", status: "failed", error: LOCKED, protectionUnit: { kind: "drive", directoryObjectId: ALEX.id } }] });
    const summary = await rig.poll();
    expect(summary).toMatchObject({ alertsRecorded: 2, delivery: { alertsDelivered: 2 } });
    // One look-up for the run (all three owners), refused; the alerts went out regardless.
    expect(getByIdsCalls(rig)).toBe(1);
    const text = rig.acs.messages[0]?.plainText ?? "";
    for (const owner of [ADELE, ALEX]) {
      expect(text).toContain(owner.id);
      expect(text).not.toContain(owner.displayName);
    }
    const hints = rig.h.logs.filter((line) => line.includes("getByIds"));
    expect(hints).toEqual([expect.stringMatching(/^WARN failed mailboxes and OneDrives are shown by object id: the identity may not read names from the directory .*restorewatch grant-graph-permission --principal-id [0-9a-f-]{36} --role User\.Read\.All\)$/)]);
  });

  it("shows a failed SharePoint site by its name and URL", async () => {
    const rig = await startRig({ harness: { roles: NAMES_ROLES } });
    await rig.poll();
    rig.h.graph.createSession({
      workload: "sharePoint",
      status: "failed",
      artifacts: [{ id: "s1", status: "failed", error: LOCKED, protectionUnit: { kind: "site", siteId: "contoso.sharepoint.com,da60e844-ba1d-49bc-b4d4-d5e36bae9019,0271110f-634f-4300-a841-3a8a2e851852", siteName: "Finance", siteWebUrl: "https://contoso.sharepoint.com/sites/finance" } }],
    });
    await rig.poll();
    const text = rig.acs.messages[0]?.plainText ?? "";
    expect(text).toContain("Finance");
    expect(text).toContain("https://contoso.sharepoint.com/sites/finance");
    // Sites come named: no directory look-up.
    expect(getByIdsCalls(rig)).toBe(0);
    // In the HTML and the card the URL is shown, inert (not a link).
    expect(rig.acs.messages[0]?.html).toMatch(/contoso\.sharepoint\.com\/sites\/finance/);
    expect(cardText(rig)).toMatch(/contoso\.sharepoint\.com\/sites\/finance/);
  });

  it("reports a bulk restore's resolution error, and alerts a completed bulk restore only when a request ended with errors", async () => {
    const rig = await startRig({ harness: { roles: NAMES_ROLES, graph: { directoryObjects: [ADELE] } } });
    await rig.poll();
    const unresolved = { code: "BulkRestoreInvalidCreateRequestUserEmail", message: "2 of 40 users could not be resolved: no mailbox for their email address." };
    const withErrors = rig.h.graph.createSession({
      workload: "exchange",
      status: "completed",
      restoreJobType: "bulk",
      artifacts: [{ id: "m1", status: "succeeded", protectionUnit: { kind: "mailbox", directoryObjectId: ADELE.id } }],
      bulkRequests: [{ id: "b1", displayName: "EXO-BulkRestoreArtifacts", status: "completedWithErrors", error: unresolved, directoryObjectIds: Array.from({ length: 40 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`) }],
    });
    const clean = rig.h.graph.createSession({ workload: "exchange", status: "completed", restoreJobType: "bulk", artifacts: [{ id: "m2", status: "succeeded" }], bulkRequests: [{ id: "b2", status: "completed", directoryObjectIds: [ADELE.id] }] });
    const summary = await rig.poll();
    expect(summary.alerts.map((a) => a.id)).toEqual([`${withErrors.id}_completed`]);
    expect(summary.alerts[0]?.detail).toMatchObject({ available: true, bulkIssues: [{ id: "b1", displayName: "EXO-BulkRestoreArtifacts", errorCode: unresolved.code, errorMessage: unresolved.message, requestedCount: 40 }] });
    const text = rig.acs.messages[0]?.plainText ?? "";
    expect(text).toContain("EXO-BulkRestoreArtifacts");
    expect(text).toContain(unresolved.message);
    expect(cardText(rig)).toContain(unresolved.code);
    // The clean one is recorded as completed, with no alert, and its requests read once.
    expect(rig.h.graph.requests.filter((r) => r.path.includes(`/${clean.id}/mailboxRestoreArtifactsBulkAdditionRequests`))).toHaveLength(1);
    const next = await rig.poll();
    expect(next.alertsRecorded).toBe(0);
  });

  it("a completed bulk restore whose requests cannot be read waits for the next run: no alert guessed, none lost", async () => {
    const rig = await startRig({ harness: { roles: NAMES_ROLES } });
    await rig.poll();
    const session = rig.h.graph.createSession({ workload: "sharePoint", status: "completed", restoreJobType: "bulk", artifacts: [{ id: "s1", status: "succeeded" }], bulkRequests: [{ id: "b1", status: "completedWithErrors", siteWebUrls: ["https://contoso.sharepoint.com/sites/gone"] }] });
    // Graph fails the bulk request list on every retry of this run (GRAPH_MAX_RETRIES is 3).
    rig.h.graph.injectFault(/siteRestoreArtifactsBulkAdditionRequests/, { status: 503 }, 4);
    const first = await rig.poll();
    expect(first).toMatchObject({ alertsRecorded: 0, deferred: 1 });
    expect(rig.h.logs.some((line) => line.startsWith(`WARN session ${session.id}: its bulk addition requests could not be read`))).toBe(true);
    const second = await rig.poll();
    expect(second).toMatchObject({ alertsRecorded: 1, deferred: 0 });
    expect(second.alerts.map((a) => a.id)).toEqual([`${session.id}_completed`]);
    expect(rig.delivered()).toEqual({ emails: 1, teamsPosts: 1 });
  });

  it("a failed bulk restore lists its failed mailboxes and its unresolved request together", async () => {
    const rig = await startRig({ harness: { roles: NAMES_ROLES, graph: { directoryObjects: [ADELE] } } });
    await rig.poll();
    rig.h.graph.createSession({ workload: "exchange", status: "failed", restoreJobType: "bulk", artifacts: [mailbox("m1", ADELE)], bulkRequests: [{ id: "b1", status: "completedWithErrors", directoryObjectIds: [ADELE.id, ALEX.id], unresolvedCount: 1 }] });
    await rig.poll();
    const text = rig.acs.messages[0]?.plainText ?? "";
    expect(text).toContain("Adele Vance");
    expect(text).toMatch(/1 of 2 users could not be resolved/);
  });

  it("lists a granular restore's failed items by their paths and URLs", async () => {
    const rig = await startRig({ harness: { roles: NAMES_ROLES, graph: { directoryObjects: [ADELE] } } });
    await rig.poll();
    const item = (id: string, path: string): EmulatedArtifact => ({ id, status: "failed", itemPath: path, itemWebUrl: `https://contoso-my.sharepoint.com/personal/adele_contoso_com${path}`, protectionUnit: { kind: "drive", directoryObjectId: ADELE.id } });
    rig.h.graph.createSession({ workload: "oneDrive", status: "failed", restoreJobType: "granular", artifacts: [item("g1", "/Documents/Q3/Budget.xlsx"), item("g2", "/Documents/Q3/Forecast.xlsx")] });
    await rig.poll();
    const text = rig.acs.messages[0]?.plainText ?? "";
    expect(text).toContain("/Documents/Q3/Budget.xlsx");
    expect(text).toContain("/Documents/Q3/Forecast.xlsx");
    expect(text).toContain("https://contoso-my.sharepoint.com/personal/adele_contoso_com/Documents/Q3/Budget.xlsx");
    expect(text).toContain("Adele Vance");
    expect(cardText(rig)).toContain("/Documents/Q3/Budget.xlsx");
    // The granular collection, not the standard one.
    expect(rig.h.graph.requests.some((r) => r.path.includes("/granularDriveRestoreArtifacts"))).toBe(true);
    expect(rig.h.graph.requests.some((r) => r.path.includes("/driveRestoreArtifacts"))).toBe(false);
  });

  it("when the service refuses the nested $expand, still alerts every failure, stepping down once a run", async () => {
    const rig = await startRig({ harness: { roles: NAMES_ROLES, graph: { directoryObjects: [ADELE, ALEX], artifactExpand: "restorePoint" } } });
    await rig.poll();
    rig.h.graph.createSession({ workload: "exchange", status: "failed", artifacts: [mailbox("m1", ADELE)] });
    rig.h.graph.createSession({ workload: "exchange", status: "failed", artifacts: [mailbox("m2", ALEX)] });
    const summary = await rig.poll();
    expect(summary).toMatchObject({ alertsRecorded: 2, delivery: { alertsDelivered: 2 } });
    expect(rig.h.graph.requests.filter((r) => r.status === 400)).toHaveLength(1);
    expect(rig.h.logs).toContain('artifact lists: Graph refused $expand (nested); this run reads them as "restorePoint", so names come from fewer sources');
    expect(rig.acs.messages[0]?.plainText).toContain(NOT_FOUND.message);
  });
});

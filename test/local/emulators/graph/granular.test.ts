import { describe, expect, it } from "vitest";
import type { EmulatedArtifact } from "../../../../local/emulators/graph/graphEmulator";
import { call, collect, errorOf, json, RESTORE, start, stopEmulatorsAfterEach } from "./harness";

stopEmulatorsAfterEach();

const ALEX = { kind: "drive" as const, directoryObjectId: "5c7a5a0e-3f6d-4d1e-9f65-7b2f7f1b9a10", displayName: "Alex Wilber", email: "alex.wilber@contoso.onmicrosoft.com" };
const SITE = { kind: "site" as const, siteId: "contoso.sharepoint.com,1b0c2f7e-8d7b-4a7e-9c55-0f6f2c8b1d11,7e9d1f3a-2b4c-4d5e-8f60-718293a4b5c6", siteName: "Finance Reports", siteWebUrl: "https://contoso.sharepoint.com/sites/finance-reports" };
const LOCKED = { code: "ArtifactCannotBeRestored", message: "The restore artifact is in an unexpected state." };

const budget = (status: EmulatedArtifact["status"], extra: Partial<EmulatedArtifact> = {}): EmulatedArtifact => ({
  id: crypto.randomUUID(),
  status,
  itemPath: "/Documents/Q3/Budget.xlsx",
  itemWebUrl: "https://contoso-my.sharepoint.com/personal/alexw_contoso_onmicrosoft_com/Documents/Q3/Budget.xlsx",
  restorePointDateTime: "2026-07-13T22:00:00.000Z",
  startDateTime: "2026-07-14T08:00:00.000Z",
  ...extra,
});

describe("granular drive and site artifacts", () => {
  it("render granularRestoreArtifactBase's properties plus directoryObjectId in v1.0, with no error or restorePoint", async () => {
    const emulator = await start();
    const ok = budget("succeeded", { protectionUnit: ALEX, restoredItemKey: "01ABCDEF", restoredItemWebUrl: "https://contoso-my.sharepoint.com/personal/alexw/Restored/Budget.xlsx", completionDateTime: "2026-07-14T08:30:00.000Z" });
    const failed = budget("failed", { protectionUnit: ALEX, error: LOCKED });
    const session = emulator.createSession({ workload: "oneDrive", restoreJobType: "granular", status: "completedWithError", artifacts: [ok, failed] });

    const { items } = await collect(emulator, `${RESTORE}/oneDriveForBusinessRestoreSessions/${session.id}/granularDriveRestoreArtifacts`);

    expect(items[0]).toEqual({
      id: ok.id,
      browseSessionId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      completionDateTime: "2026-07-14T08:30:00.000Z",
      restoredItemKey: "01ABCDEF",
      restoredItemPath: "/Documents/Q3/Budget.xlsx",
      restoredItemWebUrl: "https://contoso-my.sharepoint.com/personal/alexw/Restored/Budget.xlsx",
      restorePointDateTime: "2026-07-13T22:00:00.000Z",
      startDateTime: "2026-07-14T08:00:00.000Z",
      status: "succeeded",
      webUrl: ok.itemWebUrl,
      directoryObjectId: ALEX.directoryObjectId,
    });
    // Graph's v1.0 shape: a failed granular drive item says nothing about why.
    expect(items[1]).toMatchObject({ status: "failed", completionDateTime: null, restoredItemKey: null });
    for (const key of ["error", "destinationType", "restorePoint"]) expect(items[1]).not.toHaveProperty(key);
    expect(items[0]?.["browseSessionId"]).toBe(items[1]?.["browseSessionId"]);
  });

  it("carry destinationType and error under /beta only", async () => {
    const emulator = await start();
    const session = emulator.createSession({ workload: "sharePoint", restoreJobType: "granular", status: "failed", artifacts: [budget("failed", { protectionUnit: SITE, error: LOCKED, destinationType: "inPlace" })] });
    const path = `/solutions/backupRestore/sharePointRestoreSessions/${session.id}/granularSiteRestoreArtifacts`;

    const [v1] = (await collect(emulator, `/v1.0${path}`)).items;
    const [beta] = (await collect(emulator, `/beta${path}`)).items;

    expect(v1).toMatchObject({ siteId: SITE.siteId, status: "failed" });
    expect(v1).not.toHaveProperty("error");
    expect(v1).not.toHaveProperty("directoryObjectId");
    expect(beta).toMatchObject({ siteId: SITE.siteId, destinationType: "inPlace", error: { code: "ArtifactCannotBeRestored", message: LOCKED.message, target: null, details: [], innerError: null } });
  });

  it("refuse any $expand: they have no restorePoint navigation property", async () => {
    const emulator = await start();
    const drive = emulator.createSession({ workload: "oneDrive", restoreJobType: "granular", artifacts: [budget("failed")] });
    const site = emulator.createSession({ workload: "sharePoint", restoreJobType: "granular", artifacts: [budget("failed")] });
    const cases: [string, string][] = [
      [`oneDriveForBusinessRestoreSessions/${drive.id}/granularDriveRestoreArtifacts?$expand=restorePoint`, "granularDriveRestoreArtifact"],
      [`oneDriveForBusinessRestoreSessions/${drive.id}/granularDriveRestoreArtifacts?$expand=${encodeURIComponent("restorePoint($expand=protectionUnit)")}`, "granularDriveRestoreArtifact"],
      [`sharePointRestoreSessions/${site.id}/granularSiteRestoreArtifacts?$expand=restorePoint`, "granularSiteRestoreArtifact"],
    ];
    for (const [path, type] of cases) {
      const error = await errorOf(await call(`${emulator.url}${RESTORE}/${path}`), 400);
      expect(error).toMatchObject({ code: "BadRequest", message: `Parsing OData Select and Expand failed: Could not find a property named 'restorePoint' on type 'microsoft.graph.${type}'.` });
    }
  });
});

describe("granular mailbox artifacts", () => {
  it("are mailbox artifacts plus artifactCount and a non-null searchResponseId, with the same restorePoint rules", async () => {
    const emulator = await start({ protectionUnitNamesForApps: true });
    const unit = { kind: "mailbox" as const, directoryObjectId: "87d349ed-44d7-43e1-9a83-5f2406dee5bd", displayName: "Adele Vance" };
    const given = { id: "g1", status: "succeeded" as const, name: "Restored items", restoredItemCount: 12, artifactCount: 12, searchResponseId: "sr-1", protectionUnit: unit };
    const session = emulator.createSession({ workload: "exchange", restoreJobType: "granular", status: "completed", artifacts: [given, { id: "g2", status: "failed", error: LOCKED }] });
    const path = `${RESTORE}/exchangeRestoreSessions/${session.id}/granularMailboxRestoreArtifacts`;

    const [first, second] = (await collect(emulator, `${path}?$expand=${encodeURIComponent("restorePoint($expand=protectionUnit)")}`)).items;

    expect(first).toMatchObject({ id: "g1", destinationType: "inPlace", restoredFolderName: "Restored items", restoredItemCount: 12, artifactCount: 12, searchResponseId: "sr-1", error: null });
    expect(first).toHaveProperty("restorePoint.protectionUnit", expect.objectContaining({ "@odata.type": "#microsoft.graph.mailboxProtectionUnit", displayName: "Adele Vance" }));
    expect(second).toMatchObject({ id: "g2", artifactCount: expect.any(Number), searchResponseId: expect.stringMatching(/^[0-9a-f-]{36}$/), error: { code: "ArtifactCannotBeRestored" } });
    expect((await errorOf(await call(`${emulator.url}${path}?$expand=foo`), 400)).message).toContain("on type 'microsoft.graph.granularMailboxRestoreArtifact'");
  });
});

describe("which collection a session's artifacts are in", () => {
  it("a granular session answers its standard collection with an empty page, a standard session its granular one", async () => {
    const emulator = await start();
    const granular = emulator.createSession({ workload: "exchange", restoreJobType: "granular", artifacts: [budget("failed"), budget("failed"), budget("failed")] });
    const standard = emulator.createSession({ workload: "exchange", artifacts: [budget("failed")] });
    const list = (id: string, collection: string): string => `${RESTORE}/exchangeRestoreSessions/${id}/${collection}`;

    const empty = await json(await call(`${emulator.url}${list(granular.id, "mailboxRestoreArtifacts")}`));
    expect(empty).toEqual({ "@odata.context": expect.stringMatching(/mailboxRestoreArtifacts$/), value: [] });
    expect((await json(await call(`${emulator.url}${list(standard.id, "granularMailboxRestoreArtifacts")}`))).value).toEqual([]);

    const { pages, items } = await collect(emulator, list(granular.id, "granularMailboxRestoreArtifacts"));
    expect(pages.map((p) => p.value.length)).toEqual([2, 1]);
    expect(pages[0]?.["@odata.nextLink"]).toMatch(new RegExp(`^/solutions/backupRestore/exchangeRestoreSessions/${granular.id}/granularMailboxRestoreArtifacts\\?\\$skiptoken=[^&]+$`));
    expect(items.map((i) => i["id"])).toEqual(granular.artifacts.map((a) => a.id));
  });

  it("refuses a skiptoken of another collection, and answers 404 for another workload's session", async () => {
    const emulator = await start({ artifactPageSize: 1 });
    const session = emulator.createSession({ workload: "oneDrive", restoreJobType: "granular", artifacts: [budget("failed"), budget("failed")] });
    const first = await json(await call(`${emulator.url}${RESTORE}/oneDriveForBusinessRestoreSessions/${session.id}/granularDriveRestoreArtifacts`));
    const token = new URL(`https://x${first["@odata.nextLink"] ?? ""}`).searchParams.get("$skiptoken") ?? "";
    const foreign = `${emulator.url}${RESTORE}/oneDriveForBusinessRestoreSessions/${session.id}/driveRestoreArtifacts?$skiptoken=${encodeURIComponent(token)}`;
    expect((await errorOf(await call(foreign), 400)).message).toBe("The $skiptoken is invalid.");
    expect((await errorOf(await call(`${emulator.url}${RESTORE}/sharePointRestoreSessions/${session.id}/granularSiteRestoreArtifacts`), 404)).code).toBe("RestoreSessionNotFound");
  });

  it("the session itself still says granular only with the Prefer header", async () => {
    const emulator = await start();
    const session = emulator.createSession({ workload: "oneDrive", restoreJobType: "granular", status: "completed" });
    const url = `${emulator.url}${RESTORE}/restoreSessions/${session.id}`;
    expect(await json<Record<string, unknown>>(await call(url))).toMatchObject({ restoreJobType: "unknownFutureValue" });
    expect(await json<Record<string, unknown>>(await call(url, { prefer: "include-unknown-enum-members" }))).toMatchObject({ restoreJobType: "granular" });
  });
});

import { Client } from "@microsoft/microsoft-graph-client";
import { describe, expect, it } from "vitest";
import type { EmulatedArtifact, EmulatedProtectionUnit, GraphEmulator } from "../../../../local/emulators/graph/graphEmulator";
import { appToken, call, collect, errorOf, json, RESTORE, start, stopEmulatorsAfterEach, userToken, type Page } from "./harness";

stopEmulatorsAfterEach();

const NESTED = "restorePoint($expand=protectionUnit)";
const GUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const ADELE = { kind: "mailbox" as const, directoryObjectId: "87d349ed-44d7-43e1-9a83-5f2406dee5bd", displayName: "Adele Vance", email: "adele.vance@contoso.onmicrosoft.com" };
const FINANCE = { kind: "site" as const, siteId: "contoso.sharepoint.com,da60e844-ba1d-49bc-b4d4-d5e36bae9019,0271110f-634f-4300-a841-3a8a2e851852", siteName: "Finance Reports", siteWebUrl: "https://contoso.sharepoint.com/sites/finance-reports" };

const artifact = (status: EmulatedArtifact["status"], extra: Partial<EmulatedArtifact> = {}): EmulatedArtifact => ({ id: crypto.randomUUID(), status, ...extra });
const mailboxPath = (id: string): string => `${RESTORE}/exchangeRestoreSessions/${id}/mailboxRestoreArtifacts`;
const sitePath = (id: string): string => `${RESTORE}/sharePointRestoreSessions/${id}/siteRestoreArtifacts`;
const drivePath = (id: string): string => `${RESTORE}/oneDriveForBusinessRestoreSessions/${id}/driveRestoreArtifacts`;
const expanded = (path: string, expand = NESTED): string => `${path}?$expand=${encodeURIComponent(expand)}`;

async function units(emulator: GraphEmulator, path: string, token?: string): Promise<Record<string, unknown>[]> {
  const { items } = await collect(emulator, expanded(path), token === undefined ? {} : { token });
  return items.map((item) => (item["restorePoint"] as { protectionUnit: Record<string, unknown> }).protectionUnit);
}

describe("$expand=restorePoint($expand=protectionUnit)", () => {
  it("renders a mailbox unit in Graph's shape, without displayName and email for an app-only caller", async () => {
    const emulator = await start();
    const session = emulator.createSession({ workload: "exchange", status: "failed", artifacts: [artifact("failed", { protectionUnit: ADELE })] });

    const [unit] = await units(emulator, mailboxPath(session.id));

    expect(unit).toEqual({
      "@odata.type": "#microsoft.graph.mailboxProtectionUnit",
      id: expect.stringMatching(new RegExp(`^${GUID}$`)),
      policyId: expect.stringMatching(new RegExp(`^${GUID}$`)),
      status: "protected",
      protectionSources: "manual",
      directoryObjectId: ADELE.directoryObjectId,
      displayName: null,
      email: null,
      createdBy: { application: { id: expect.any(String), displayName: expect.any(String) }, user: null },
      createdDateTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      lastModifiedBy: { application: expect.any(Object), user: null },
      lastModifiedDateTime: expect.any(String),
      offboardRequestedDateTime: "0001-01-01T00:00:00Z",
      error: null,
    });
  });

  it("serves displayName and email to a delegated caller, and to apps with protectionUnitNamesForApps", async () => {
    const names = { displayName: "Adele Vance", email: "adele.vance@contoso.onmicrosoft.com" };
    const strict = await start();
    const lenient = await start({ protectionUnitNamesForApps: true });
    for (const emulator of [strict, lenient]) emulator.createSession({ workload: "exchange", id: "s1", artifacts: [artifact("succeeded", { protectionUnit: ADELE })] });

    expect((await units(strict, mailboxPath("s1"), userToken()))[0]).toMatchObject(names);
    expect((await units(strict, mailboxPath("s1"), appToken()))[0]).toMatchObject({ displayName: null, email: null });
    expect((await units(lenient, mailboxPath("s1"), appToken()))[0]).toMatchObject(names);
  });

  it("renders drive units for OneDrive and site units for SharePoint, site names for apps unless siteNamesForApps is false", async () => {
    const open = await start();
    const closed = await start({ siteNamesForApps: false });
    const drive: EmulatedProtectionUnit = { ...ADELE, kind: "drive" };
    for (const emulator of [open, closed]) {
      emulator.createSession({ workload: "sharePoint", id: "site", artifacts: [artifact("failed", { protectionUnit: FINANCE })] });
      emulator.createSession({ workload: "oneDrive", id: "drive", artifacts: [artifact("failed", { protectionUnit: drive })] });
    }
    const site = { "@odata.type": "#microsoft.graph.siteProtectionUnit", siteId: FINANCE.siteId };

    expect((await units(open, sitePath("site")))[0]).toMatchObject({ ...site, siteName: "Finance Reports", siteWebUrl: "https://contoso.sharepoint.com/sites/finance-reports" });
    expect((await units(closed, sitePath("site")))[0]).toMatchObject({ ...site, siteName: null, siteWebUrl: null });
    expect((await units(closed, sitePath("site"), userToken()))[0]).toMatchObject({ siteName: "Finance Reports" });
    const [driveUnit] = await units(open, drivePath("drive"));
    expect(driveUnit).toMatchObject({ "@odata.type": "#microsoft.graph.driveProtectionUnit", directoryObjectId: ADELE.directoryObjectId, displayName: null, email: null });
    expect(driveUnit).not.toHaveProperty("siteId");
  });

  it("derives a stable unit of the workload's kind when the artifact has none, one per mailbox owner", async () => {
    const emulator = await start({ protectionUnitNamesForApps: true });
    const exchange = emulator.createSession({ workload: "exchange", artifacts: [artifact("failed"), artifact("failed", { protectionUnit: ADELE }), artifact("succeeded", { protectionUnit: ADELE })] });
    const sharePoint = emulator.createSession({ workload: "sharePoint", artifacts: [artifact("failed")] });
    const oneDrive = emulator.createSession({ workload: "oneDrive", artifacts: [artifact("failed")] });

    const mailboxes = await units(emulator, mailboxPath(exchange.id));
    expect(mailboxes.map((u) => u["@odata.type"])).toEqual(Array(3).fill("#microsoft.graph.mailboxProtectionUnit"));
    expect(mailboxes[0]).toMatchObject({ directoryObjectId: expect.stringMatching(new RegExp(`^${GUID}$`)), displayName: expect.any(String), email: expect.stringContaining("@") });
    expect(mailboxes[1]?.["id"]).toBe(mailboxes[2]?.["id"]);
    expect(mailboxes[0]?.["id"]).not.toBe(mailboxes[1]?.["id"]);
    expect(await units(emulator, mailboxPath(exchange.id))).toEqual(mailboxes);

    const [site] = await units(emulator, sitePath(sharePoint.id));
    expect(site).toMatchObject({
      "@odata.type": "#microsoft.graph.siteProtectionUnit",
      siteId: expect.stringMatching(new RegExp(`^contoso\\.sharepoint\\.com,${GUID},${GUID}$`)),
      siteWebUrl: expect.stringMatching(/^https:\/\/contoso\.sharepoint\.com\/sites\/[\w-]+$/),
    });
    expect((await units(emulator, drivePath(oneDrive.id)))[0]?.["@odata.type"]).toBe("#microsoft.graph.driveProtectionUnit");
  });

  it("keeps the $expand in the relative nextLink, so every page carries units", async () => {
    const emulator = await start();
    const session = emulator.createSession({ workload: "exchange", artifacts: Array.from({ length: 5 }, () => artifact("succeeded", { protectionUnit: ADELE })) });
    const { pages } = await collect(emulator, expanded(mailboxPath(session.id)));
    expect(pages.map((p) => p.value.length)).toEqual([2, 2, 1]);
    expect(pages[0]?.["@odata.nextLink"]).toMatch(/^\/solutions\/backupRestore\/exchangeRestoreSessions\/[^?]+\/mailboxRestoreArtifacts\?\$expand=restorePoint\(%24expand%3DprotectionUnit\)&\$skiptoken=[^&]+$/);
    for (const page of pages) for (const item of page.value) expect(item).toHaveProperty("restorePoint.protectionUnit.directoryObjectId");
  });
});

describe("restorePoint without the nested expand", () => {
  it("$expand=restorePoint gives the restore point without its unit; no $expand gives it inline by default", async () => {
    const emulator = await start();
    const session = emulator.createSession({ workload: "exchange", artifacts: [artifact("failed", { protectionUnit: ADELE, restorePointDateTime: "2026-07-13T22:00:00.000Z" })] });
    const restorePoint = { id: expect.stringMatching(/_1783980000_12_2$/), protectionDateTime: "2026-07-13T22:00:00.000Z", expirationDateTime: "2027-07-13T22:00:00.000Z", tags: "none" };

    for (const path of [expanded(mailboxPath(session.id), "restorePoint"), mailboxPath(session.id)]) {
      const [item] = (await json(await call(`${emulator.url}${path}`))).value;
      expect(item?.["restorePoint"]).toEqual(restorePoint);
    }
  });

  it("leaves restorePoint out without $expand when restorePointWithoutExpand is false", async () => {
    const emulator = await start({ restorePointWithoutExpand: false });
    const session = emulator.createSession({ workload: "sharePoint", artifacts: [artifact("failed", { protectionUnit: FINANCE })] });
    const [plain] = (await json(await call(`${emulator.url}${sitePath(session.id)}`))).value;
    expect(plain).toMatchObject({ id: expect.any(String), status: "failed" });
    expect(plain).not.toHaveProperty("restorePoint");
    const [withPoint] = (await json(await call(`${emulator.url}${expanded(sitePath(session.id), "restorePoint")}`))).value;
    expect(withPoint).toHaveProperty("restorePoint.protectionDateTime");
    expect(withPoint).not.toHaveProperty("restorePoint.protectionUnit");
  });
});

describe("which $expand forms the service accepts (artifactExpand)", () => {
  const notNavigation = (property: string, type: string): string =>
    `Parsing OData Select and Expand failed: Property '${property}' on type '${type}' is not a navigation property or complex property. Only navigation properties can be expanded.`;

  it('"restorePoint" refuses the nested form with the OData parser\'s 400 and accepts $expand=restorePoint', async () => {
    const emulator = await start({ artifactExpand: "restorePoint" });
    const session = emulator.createSession({ workload: "exchange", artifacts: [artifact("failed")] });
    const refused = await errorOf(await call(`${emulator.url}${expanded(mailboxPath(session.id))}`), 400);
    expect(refused).toEqual({ code: "BadRequest", message: notNavigation("protectionUnit", "microsoft.graph.restorePoint"), innerError: expect.any(Object) });
    expect((await call(`${emulator.url}${expanded(mailboxPath(session.id), "restorePoint")}`)).status).toBe(200);
    expect((await call(`${emulator.url}${mailboxPath(session.id)}`)).status).toBe(200);
  });

  it('"none" refuses any $expand; the public field switches the support between requests', async () => {
    const emulator = await start({ artifactExpand: "none" });
    const session = emulator.createSession({ workload: "oneDrive", artifacts: [artifact("failed")] });
    const url = `${emulator.url}${expanded(drivePath(session.id), "restorePoint")}`;
    expect((await errorOf(await call(url), 400)).message).toBe(notNavigation("restorePoint", "microsoft.graph.driveRestoreArtifact"));

    emulator.artifactExpand = "nested";
    expect((await call(`${emulator.url}${expanded(drivePath(session.id))}`)).status).toBe(200);
    emulator.artifactExpand = "restorePoint";
    expect((await call(`${emulator.url}${expanded(drivePath(session.id))}`)).status).toBe(400);
    expect(emulator.requests.map((r) => r.status)).toEqual([400, 200, 400]);
  });

  it("answers 400 for unknown properties, unknown nested properties, syntax errors and a repeated $expand", async () => {
    const emulator = await start();
    const session = emulator.createSession({ workload: "exchange", artifacts: [artifact("failed")] });
    const base = `${emulator.url}${mailboxPath(session.id)}`;
    const cases: [string, string][] = [
      [`${base}?$expand=foo`, "Could not find a property named 'foo' on type 'microsoft.graph.mailboxRestoreArtifact'."],
      [`${base}?$expand=${encodeURIComponent("restorePoint($expand=policy)")}`, "Could not find a property named 'policy' on type 'microsoft.graph.restorePoint'."],
      [`${base}?$expand=${encodeURIComponent("restorePoint($expand=protectionUnit")}`, "Syntax error"],
      [`${base}?$expand=restorePoint&$expand=restorePoint`, "specified more than once"],
    ];
    for (const [url, message] of cases) expect((await errorOf(await call(url), 400)).message).toContain(message);
  });

  it("parses property names case-insensitively and tolerates spaces", async () => {
    const emulator = await start();
    const session = emulator.createSession({ workload: "exchange", artifacts: [artifact("failed", { protectionUnit: ADELE })] });
    for (const expand of ["RestorePoint ( $expand = ProtectionUnit )", " restorepoint($EXPAND=protectionunit) ", "restorePoint,restorePoint($expand=protectionUnit)"]) {
      const [item] = (await json(await call(`${emulator.url}${expanded(mailboxPath(session.id), expand)}`))).value;
      expect(item, expand).toHaveProperty("restorePoint.protectionUnit.@odata\\.type");
      expect((item?.["restorePoint"] as { protectionUnit: { directoryObjectId: string } }).protectionUnit.directoryObjectId).toBe(ADELE.directoryObjectId);
    }
  });
});

describe("with @microsoft/microsoft-graph-client", () => {
  it("the SDK expands units, follows the relative nextLink and a delegated caller sees the names", async () => {
    const emulator = await start();
    const session = emulator.createSession({ workload: "exchange", status: "failed", artifacts: Array.from({ length: 3 }, () => artifact("failed", { protectionUnit: ADELE })) });
    const bearer = userToken();
    const client = Client.initWithMiddleware({ authProvider: { getAccessToken: async () => bearer }, baseUrl: emulator.url, customHosts: new Set(["127.0.0.1"]) });

    const first = (await client.api(`/solutions/backupRestore/exchangeRestoreSessions/${session.id}/mailboxRestoreArtifacts`).expand(NESTED).get()) as Page;
    const second = (await client.api(first["@odata.nextLink"] ?? "").get()) as Page;

    const names = [...first.value, ...second.value].map((i) => (i["restorePoint"] as { protectionUnit: { displayName: string } }).protectionUnit.displayName);
    expect(names).toEqual(["Adele Vance", "Adele Vance", "Adele Vance"]);
    expect(emulator.requests.map((r) => r.path.replace(/skiptoken=.*/, "skiptoken=…"))).toEqual([
      expect.stringContaining("$expand=restorePoint"),
      expect.stringMatching(/\/v1\.0\/solutions\/backupRestore\/.*\$expand=.*&\$skiptoken=…$/),
    ]);
  });
});

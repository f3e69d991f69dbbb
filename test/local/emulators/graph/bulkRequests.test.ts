import { describe, expect, it } from "vitest";
import { bulkResolutionError, MAX_BULK_RESOURCES, type EmulatedBulkRequest } from "../../../../local/emulators/graph/graphEmulator";
import { call, collect, errorOf, json, RESTORE, start, stopEmulatorsAfterEach } from "./harness";

stopEmulatorsAfterEach();

const MEGAN = { id: "845457dc-4bb2-4815-bef3-8628ebd1952e", displayName: "Megan Bowen" };
const guids = (n: number): string[] => Array.from({ length: n }, () => crypto.randomUUID());
const request = (extra: Partial<EmulatedBulkRequest> = {}): EmulatedBulkRequest => ({ id: crypto.randomUUID(), status: "active", ...extra });

describe("mailboxRestoreArtifactsBulkAdditionRequests", () => {
  it("lists requests in Graph's shape with @odata.type per item and without mailboxes; GET /{id} includes mailboxes", async () => {
    const emulator = await start();
    const users = guids(3);
    const bulk = request({
      displayName: "EXO-BulkRestoreArtifacts",
      status: "completedWithErrors",
      unresolvedCount: 2,
      destinationType: "new",
      tags: "fastRestore",
      protectionTimePeriod: { startDateTime: "2026-07-06T00:00:00Z", endDateTime: "2026-07-13T00:00:00Z" },
      createdDateTime: "2026-07-14T08:00:00.000Z",
      lastModifiedDateTime: "2026-07-14T08:05:00.000Z",
      createdBy: { user: MEGAN },
      directoryObjectIds: users,
      mailboxes: ["adele.vance@contoso.onmicrosoft.com", "ghost@contoso.onmicrosoft.com"],
    });
    const session = emulator.createSession({ workload: "exchange", restoreJobType: "bulk", status: "completed", bulkRequests: [bulk] });
    const path = `${RESTORE}/exchangeRestoreSessions/${session.id}/mailboxRestoreArtifactsBulkAdditionRequests`;

    const page = await json(await call(`${emulator.url}${path}`));

    expect(page["@odata.context"]).toBe(`${emulator.url}/v1.0/$metadata#solutions/backupRestore/exchangeRestoreSessions('${session.id}')/mailboxRestoreArtifactsBulkAdditionRequests`);
    expect(page.value).toEqual([
      {
        "@odata.type": "#microsoft.graph.mailboxRestoreArtifactsBulkAdditionRequest",
        id: bulk.id,
        displayName: "EXO-BulkRestoreArtifacts",
        status: "completedWithErrors",
        error: { code: "BulkRestoreInvalidCreateRequestUserEmail", message: "2 of 5 users could not be resolved and were not added to the restore session.", target: null, details: [], innerError: null },
        destinationType: "new",
        restorePointPreference: "latest",
        tags: "fastRestore",
        protectionTimePeriod: { startDateTime: "2026-07-06T00:00:00Z", endDateTime: "2026-07-13T00:00:00Z" },
        createdDateTime: "2026-07-14T08:00:00.000Z",
        lastModifiedDateTime: "2026-07-14T08:05:00.000Z",
        createdBy: { user: MEGAN },
        lastModifiedBy: { user: MEGAN },
        directoryObjectIds: users,
      },
    ]);

    const single = await json<Record<string, unknown>>(await call(`${emulator.url}${path}/${bulk.id}`));
    expect(single).toMatchObject({ "@odata.context": `${page["@odata.context"]}/$entity`, id: bulk.id, mailboxes: bulk.mailboxes, directoryObjectIds: users });
  });

  it("pages with a relative nextLink (bulkRequestPageSize) and 404s an unknown request or session", async () => {
    const emulator = await start({ bulkRequestPageSize: 2 });
    const requests = [request(), request({ status: "completed" }), request({ status: "unknown" })];
    const session = emulator.createSession({ workload: "exchange", restoreJobType: "bulk", bulkRequests: requests });
    const path = `/solutions/backupRestore/exchangeRestoreSessions/${session.id}/mailboxRestoreArtifactsBulkAdditionRequests`;

    const { pages, items } = await collect(emulator, `/v1.0${path}`);
    expect(pages.map((p) => p.value.length)).toEqual([2, 1]);
    expect(pages[0]?.["@odata.nextLink"]).toMatch(new RegExp(`^${path}\\?\\$skiptoken=[^&]+$`));
    expect(items.map((i) => [i["id"], i["status"], i["error"]])).toEqual(requests.map((r) => [r.id, r.status, null]));

    expect((await errorOf(await call(`${emulator.url}/v1.0${path}/${crypto.randomUUID()}`), 404)).code).toBe("BulkRestoreArtifactsNotFound");
    const otherSession = `${emulator.url}${RESTORE}/exchangeRestoreSessions/${crypto.randomUUID()}/mailboxRestoreArtifactsBulkAdditionRequests`;
    expect((await errorOf(await call(otherSession), 404)).code).toBe("RestoreSessionNotFound");
  });

  it("support no OData query parameter but their own $skiptoken", async () => {
    const emulator = await start({ bulkRequestPageSize: 1 });
    const bulk = [request(), request()];
    const session = emulator.createSession({ workload: "exchange", restoreJobType: "bulk", bulkRequests: bulk });
    const list = `${emulator.url}${RESTORE}/exchangeRestoreSessions/${session.id}/mailboxRestoreArtifactsBulkAdditionRequests`;
    for (const query of ["$top=1", "$filter=status%20eq%20'active'", "$select=id", "$expand=x", "$count=true", "$orderby=id", "$skiptoken=bm9wZQ"]) {
      expect((await errorOf(await call(`${list}?${query}`), 400)).code, query).toBe("BadRequest");
    }
    expect((await errorOf(await call(`${list}/${bulk[0]?.id}?$select=id`), 400)).message).toContain("'$select'");
    expect((await call(`${list}?api-version=1`)).status).toBe(200); // not an OData option
    const next = (await json(await call(list)))["@odata.nextLink"] ?? "";
    expect((await call(`${emulator.url}/v1.0${next}`)).status).toBe(200);
    expect(emulator.requestCount(/BulkAdditionRequests/)).toBe(11);
  });
});

describe("site and drive bulk addition requests", () => {
  it("carry siteIds and siteWebUrls, or directoryObjectIds and drives, with their own @odata.type and invented resolution errors", async () => {
    const emulator = await start();
    const site = request({ status: "completedWithErrors", siteIds: guids(2), siteWebUrls: ["https://contoso.sharepoint.com/sites/finance-reports"] });
    const drive = request({ status: "completed", directoryObjectIds: guids(2), drives: ["https://contoso-my.sharepoint.com/personal/alexw_contoso_onmicrosoft_com"] });
    const sharePoint = emulator.createSession({ workload: "sharePoint", restoreJobType: "bulk", bulkRequests: [site] });
    const oneDrive = emulator.createSession({ workload: "oneDrive", restoreJobType: "bulk", bulkRequests: [drive] });

    const [siteItem] = (await json(await call(`${emulator.url}${RESTORE}/sharePointRestoreSessions/${sharePoint.id}/siteRestoreArtifactsBulkAdditionRequests`))).value;
    const [driveItem] = (await json(await call(`${emulator.url}${RESTORE}/oneDriveForBusinessRestoreSessions/${oneDrive.id}/driveRestoreArtifactsBulkAdditionRequests`))).value;

    expect(siteItem).toMatchObject({ "@odata.type": "#microsoft.graph.siteRestoreArtifactsBulkAdditionRequest", displayName: "SPO-BulkRestoreArtifacts", siteIds: site.siteIds, siteWebUrls: site.siteWebUrls });
    expect(siteItem?.["error"]).toMatchObject(bulkResolutionError("sharePoint", 1, 3));
    expect(siteItem?.["error"]).toMatchObject({ code: "BulkRestoreInvalidCreateRequestSiteUrl", message: expect.stringMatching(/^1 of 3 sites /) });
    expect(siteItem).not.toHaveProperty("directoryObjectIds");
    expect(driveItem).toMatchObject({ "@odata.type": "#microsoft.graph.driveRestoreArtifactsBulkAdditionRequest", status: "completed", error: null, directoryObjectIds: drive.directoryObjectIds, drives: drive.drives });
    expect(driveItem).not.toHaveProperty("siteIds");
    expect(driveItem).not.toHaveProperty("mailboxes");
  });

  it("render a 10,000-user request in full, and refuse to hold a larger one", async () => {
    const emulator = await start();
    const users = guids(MAX_BULK_RESOURCES);
    const session = emulator.createSession({ workload: "oneDrive", restoreJobType: "bulk", bulkRequests: [request({ directoryObjectIds: users })] });

    const [item] = (await json(await call(`${emulator.url}${RESTORE}/oneDriveForBusinessRestoreSessions/${session.id}/driveRestoreArtifactsBulkAdditionRequests`))).value;

    expect(item?.["directoryObjectIds"]).toEqual(users);
    expect(() => emulator.createSession({ workload: "exchange", bulkRequests: [request({ directoryObjectIds: guids(MAX_BULK_RESOURCES), mailboxes: ["one@contoso.com"] })] })).toThrow(RangeError);
    expect(() => emulator.updateSession(session.id, { bulkRequests: [request({ siteIds: guids(MAX_BULK_RESOURCES + 1) })] })).toThrow(/at most 10000/);
  });
});

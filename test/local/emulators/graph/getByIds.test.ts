import { Client } from "@microsoft/microsoft-graph-client";
import { describe, expect, it } from "vitest";
import { MAX_GET_BY_IDS, type EmulatedDirectoryObject } from "../../../../local/emulators/graph/graphEmulator";
import type { GraphRoute } from "../../../../local/emulators/graph/graphRoutes";
import { appToken, call, errorOf, json, start, stopEmulatorsAfterEach, userToken } from "./harness";

stopEmulatorsAfterEach();

const ADELE: EmulatedDirectoryObject = { id: "87d349ed-44d7-43e1-9a83-5f2406dee5bd", type: "user", displayName: "Adele Vance", userPrincipalName: "adele.vance@contoso.onmicrosoft.com", mail: "adele.vance@contoso.onmicrosoft.com" };
const MEGAN: EmulatedDirectoryObject = { id: "48d31887-5fad-4d73-a9f5-3c356e68a038", type: "user", displayName: "Megan Bowen", userPrincipalName: "megan.bowen@contoso.onmicrosoft.com" };
const SALES: EmulatedDirectoryObject = { id: "0b944de3-e0fc-4774-a49a-b135213da7ef", type: "group", displayName: "Sales and Marketing", mail: "salesandmarketing@contoso.onmicrosoft.com" };
const ADMINS: EmulatedDirectoryObject = { id: "2f0b2c4e-6a4d-4d7c-9b1e-3a5f7c9d1e20", type: "group", displayName: "Backup Admins" };
const DIRECTORY = [ADELE, MEGAN, SALES, ADMINS];

const GET_BY_IDS = "/v1.0/directoryObjects/getByIds";
const byIds = (url: string, body: unknown, token = appToken(["Directory.Read.All"])): Promise<Response> => call(`${url}${GET_BY_IDS}`, { method: "POST", body, token });

describe("POST /directoryObjects/getByIds", () => {
  it("returns users and groups in Graph's shape, in one page, leaving unknown ids out", async () => {
    const emulator = await start({ directoryObjects: DIRECTORY });
    const response = await byIds(emulator.url, { ids: [ADELE.id, crypto.randomUUID(), SALES.id, ADMINS.id] });

    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body).toEqual({
      "@odata.context": `${emulator.url}/v1.0/$metadata#directoryObjects`,
      value: [
        {
          "@odata.type": "#microsoft.graph.user",
          id: ADELE.id,
          displayName: "Adele Vance",
          userPrincipalName: "adele.vance@contoso.onmicrosoft.com",
          mail: "adele.vance@contoso.onmicrosoft.com",
          givenName: "Adele",
          surname: "Vance",
          jobTitle: null,
          businessPhones: [],
          mobilePhone: null,
          officeLocation: null,
          preferredLanguage: null,
        },
        { "@odata.type": "#microsoft.graph.group", id: SALES.id, displayName: "Sales and Marketing", mail: SALES.mail, groupTypes: ["Unified"] },
        { "@odata.type": "#microsoft.graph.group", id: ADMINS.id, displayName: "Backup Admins", mail: null, groupTypes: [] },
      ],
    });
    expect(body).not.toHaveProperty("@odata.nextLink");
  });

  it("filters by types case-insensitively, and serves /beta and objects added later", async () => {
    const emulator = await start({ directoryObjects: [ADELE, SALES] });
    emulator.addDirectoryObject(MEGAN);
    const ids = [ADELE.id, SALES.id, MEGAN.id.toUpperCase()];

    const users = await json(await byIds(emulator.url, { ids, types: ["User"] }));
    expect(users.value.map((o) => o["displayName"])).toEqual(["Adele Vance", "Megan Bowen"]);
    const groups = await json(await byIds(emulator.url, { ids, types: ["GROUP", "device"] }));
    expect(groups.value.map((o) => o["id"])).toEqual([SALES.id]);
    const beta = await json(await call(`${emulator.url}/beta/directoryObjects/getByIds`, { method: "POST", body: { ids }, token: appToken(["Directory.Read.All"]) }));
    expect(beta["@odata.context"]).toBe(`${emulator.url}/beta/$metadata#directoryObjects`);
    expect(beta.value).toHaveLength(3);
    expect(emulator.directoryObjects().map((o) => o.id)).toEqual([ADELE.id, SALES.id, MEGAN.id]);
  });

  it("with User.Read.All (app or delegated) serves users in full and other objects limited to @odata.type and id", async () => {
    const emulator = await start({ directoryObjects: DIRECTORY });
    for (const token of [appToken(["User.Read.All"]), userToken("User.ReadBasic.All"), appToken(["User.ReadWrite.All"])]) {
      const body = await json(await byIds(emulator.url, { ids: [MEGAN.id, SALES.id] }, token));
      expect(body.value).toEqual([
        expect.objectContaining({ "@odata.type": "#microsoft.graph.user", id: MEGAN.id, displayName: "Megan Bowen", mail: null }),
        { "@odata.type": "#microsoft.graph.group", id: SALES.id, displayName: null, mail: null, groupTypes: null },
      ]);
    }
    const full = await json(await byIds(emulator.url, { ids: [SALES.id] }, userToken("Directory.ReadWrite.All")));
    expect(full.value[0]).toMatchObject({ displayName: "Sales and Marketing" });
  });

  it("answers 403 Authorization_RequestDenied without a directory or user read permission", async () => {
    const emulator = await start({ directoryObjects: DIRECTORY });
    for (const token of [appToken(["BackupRestore-Restore.Read.All"]), appToken([]), userToken("User.Read")]) {
      const error = await errorOf(await byIds(emulator.url, { ids: [ADELE.id] }, token), 403);
      expect(error).toMatchObject({ code: "Authorization_RequestDenied", message: "Insufficient privileges to complete the operation." });
    }
  });

  it("accepts 1,000 ids, refuses 1,001 and a body without ids with 400 Request_BadRequest, and allows only POST", async () => {
    const emulator = await start({ directoryObjects: DIRECTORY });
    const many = [ADELE.id, ...Array.from({ length: MAX_GET_BY_IDS - 1 }, () => crypto.randomUUID())];
    expect((await json(await byIds(emulator.url, { ids: many }))).value.map((o) => o["id"])).toEqual([ADELE.id]);
    expect((await errorOf(await byIds(emulator.url, { ids: [...many, crypto.randomUUID()] }), 400)).code).toBe("Request_BadRequest");
    expect((await errorOf(await byIds(emulator.url, { types: ["user"] }), 400)).code).toBe("Request_BadRequest");
    expect((await errorOf(await byIds(emulator.url, { ids: [ADELE.id], types: "user" }), 400)).code).toBe("Request_BadRequest");
    const get = await call(`${emulator.url}${GET_BY_IDS}`, { token: appToken(["Directory.Read.All"]) });
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    expect(emulator.requests.map((r) => [r.method, r.status])).toEqual([["POST", 200], ["POST", 400], ["POST", 400], ["POST", 400], ["GET", 405]]);
  });

  it("is built in, yet a mounted route may still override it", async () => {
    const override: GraphRoute = (request) => (request.path === "/directoryObjects/getByIds" ? { status: 200, body: { value: [], overridden: true } } : undefined);
    const emulator = await start({ directoryObjects: DIRECTORY, routes: [override] });
    expect(await json<Record<string, unknown>>(await byIds(emulator.url, { ids: [ADELE.id] }))).toEqual({ value: [], overridden: true });
  });

  it("works through @microsoft/microsoft-graph-client", async () => {
    const emulator = await start({ directoryObjects: DIRECTORY });
    const bearer = appToken(["User.Read.All"]);
    const client = Client.initWithMiddleware({ authProvider: { getAccessToken: async () => bearer }, baseUrl: emulator.url, customHosts: new Set(["127.0.0.1"]) });
    const result = (await client.api("/directoryObjects/getByIds").post({ ids: [ADELE.id, MEGAN.id], types: ["user"] })) as { value: { displayName: string }[] };
    expect(result.value.map((u) => u.displayName)).toEqual(["Adele Vance", "Megan Bowen"]);
    const denied = Client.initWithMiddleware({ authProvider: { getAccessToken: async () => appToken([]) }, baseUrl: emulator.url, customHosts: new Set(["127.0.0.1"]) });
    await expect(denied.api("/directoryObjects/getByIds").post({ ids: [ADELE.id] })).rejects.toMatchObject({ statusCode: 403, code: "Authorization_RequestDenied" });
  });
});

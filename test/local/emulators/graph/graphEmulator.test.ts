import { Client } from "@microsoft/microsoft-graph-client";
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadTestTls } from "../../../../local/emulators/tls";
import { GraphEmulator, type EmulatedArtifact, type GraphEmulatorOptions } from "../../../../local/emulators/graph/graphEmulator";
import type { GraphRoute, GraphRouteRequest } from "../../../../local/emulators/graph/graphRoutes";
import { TEST_TENANT_ID, TokenIssuer } from "../../../../local/emulators/tokens";

const READ = "BackupRestore-Restore.Read.All";
const SESSIONS = "/v1.0/solutions/backupRestore/restoreSessions";
const PREFER_ALL = "include-unknown-enum-members";

const issuer = new TokenIssuer();
const running: GraphEmulator[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.stop()));
});

async function start(options: Partial<GraphEmulatorOptions> = {}): Promise<GraphEmulator> {
  const tls = loadTestTls();
  const emulator = await GraphEmulator.start({ tls, issuer, ...options });
  running.push(emulator);
  return emulator;
}

function token(roles: string[] = [READ], extra: Parameters<TokenIssuer["issue"]>[0] = {}): string {
  return issuer.issue({ roles, ...extra }).token;
}

interface GetOptions {
  token?: string | null;
  prefer?: string;
  method?: string;
  body?: unknown;
  signal?: AbortSignal;
}

function call(url: string, options: GetOptions = {}): Promise<Response> {
  const bearer = options.token === undefined ? token() : options.token;
  const headers: Record<string, string> = {};
  if (bearer !== null) headers["Authorization"] = `Bearer ${bearer}`;
  if (options.prefer !== undefined) headers["Prefer"] = options.prefer;
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  return fetch(url, { method: options.method ?? "GET", headers, ...(options.body !== undefined && { body: JSON.stringify(options.body) }), ...(options.signal && { signal: options.signal }) });
}

interface Page {
  "@odata.context": string;
  "@odata.nextLink"?: string;
  value: Record<string, unknown>[];
}

async function json<T = Page>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

async function errorCode(response: Response): Promise<{ code: string; message: string }> {
  return (await json<{ error: { code: string; message: string } }>(response)).error;
}

/** Follows nextLinks the way a client must: absolute as-is, relative against <url>/v1.0. */
async function collect(emulator: GraphEmulator, path: string, options: GetOptions = {}): Promise<{ pages: Page[]; items: Record<string, unknown>[] }> {
  const pages: Page[] = [];
  let next: string | undefined = `${emulator.url}${path}`;
  while (next) {
    const response = await call(next, options);
    expect(response.status).toBe(200);
    const page = await json(response);
    pages.push(page);
    const link: string | undefined = page["@odata.nextLink"];
    next = link === undefined ? undefined : link.startsWith("https://") ? link : `${emulator.url}/v1.0${link}`;
  }
  return { pages, items: pages.flatMap((p) => p.value) };
}

const artifact = (status: EmulatedArtifact["status"], extra: Partial<EmulatedArtifact> = {}): EmulatedArtifact => ({ id: crypto.randomUUID(), status, ...extra });

describe("restoreSessions listing", () => {
  it("pages in insertion order with absolute nextLinks and the Graph context", async () => {
    const emulator = await start();
    const ids = ["exchange", "sharePoint", "oneDrive", "exchange", "sharePoint", "oneDrive", "exchange"].map((workload) => emulator.createSession({ workload: workload as "exchange" }).id);

    const { pages, items } = await collect(emulator, SESSIONS);

    expect(pages.map((p) => p.value.length)).toEqual([3, 3, 1]);
    expect(items.map((i) => i["id"])).toEqual(ids);
    expect(pages[0]?.["@odata.context"]).toBe(`${emulator.url}/v1.0/$metadata#solutions/backupRestore/restoreSessions`);
    for (const page of pages.slice(0, -1)) expect(page["@odata.nextLink"]).toMatch(new RegExp(`^${emulator.url}/v1\\.0/solutions/backupRestore/restoreSessions\\?\\$skiptoken=[^&]+$`));
    expect(pages.at(-1)).not.toHaveProperty("@odata.nextLink");
  });

  it("honours the pageSize option", async () => {
    const emulator = await start({ pageSize: 5 });
    for (let i = 0; i < 11; i++) emulator.createSession({ workload: "exchange" });
    const { pages } = await collect(emulator, SESSIONS);
    expect(pages.map((p) => p.value.length)).toEqual([5, 5, 1]);
  });

  it("serves an empty tenant as one empty page", async () => {
    const emulator = await start();
    const { pages } = await collect(emulator, SESSIONS);
    expect(pages).toHaveLength(1);
    expect(pages[0]?.value).toEqual([]);
  });

  it("keeps a listing stable while sessions are added and removed", async () => {
    const emulator = await start({ pageSize: 2 });
    const ids = Array.from({ length: 6 }, () => emulator.createSession({ workload: "oneDrive" }).id);
    const first = await json(await call(`${emulator.url}${SESSIONS}`));
    const added = emulator.createSession({ workload: "exchange" }).id;
    emulator.removeSession(ids[3] ?? "");
    const rest = await collect(emulator, new URL(first["@odata.nextLink"] ?? "").pathname + new URL(first["@odata.nextLink"] ?? "").search);

    const served = [...first.value, ...rest.items].map((i) => i["id"]);
    expect(served).toEqual(ids.filter((id) => id !== ids[3]));
    expect(served).not.toContain(added);
    expect(new Set(served).size).toBe(served.length);
    // A new listing sees the current state.
    expect((await collect(emulator, SESSIONS)).items.map((i) => i["id"])).toEqual([...ids.filter((id) => id !== ids[3]), added]);
  });

  it("rejects a skiptoken it did not issue", async () => {
    const emulator = await start();
    const response = await call(`${emulator.url}${SESSIONS}?$skiptoken=bm90LWEtdG9rZW4`);
    expect(response.status).toBe(400);
    expect((await errorCode(response)).code).toBe("BadRequest");
  });

  it("serves beta from the same data", async () => {
    const emulator = await start();
    const id = emulator.createSession({ workload: "exchange" }).id;
    const page = await json(await call(`${emulator.url}/beta/solutions/backupRestore/restoreSessions`));
    expect(page.value.map((i) => i["id"])).toEqual([id]);
    expect(page["@odata.context"]).toBe(`${emulator.url}/beta/$metadata#solutions/backupRestore/restoreSessions`);
  });
});

describe("session items", () => {
  it("render with the Graph shape, derived artifact counts and a publicError", async () => {
    const emulator = await start();
    const createdBy = { user: { id: crypto.randomUUID(), displayName: "Megan Bowen" } };
    const session = emulator.createSession({
      workload: "exchange",
      status: "completedWithError",
      createdBy,
      restoreJobType: "bulk",
      error: { code: "ArtifactNotFound", message: "The requested restore artifact wasn't found for restore." },
      artifacts: [artifact("succeeded"), artifact("succeeded"), artifact("failed"), artifact("inProgress"), artifact("scheduled")],
    });

    const [item] = (await json(await call(`${emulator.url}${SESSIONS}`, { prefer: PREFER_ALL }))).value;

    expect(Object.keys(item ?? {})).toEqual(["@odata.type", "id", "status", "restoreJobType", "restoreSessionArtifactCount", "createdBy", "createdDateTime", "lastModifiedBy", "lastModifiedDateTime", "completedDateTime", "error"]);
    expect(item).toMatchObject({
      "@odata.type": "#microsoft.graph.exchangeRestoreSession",
      id: session.id,
      status: "completedWithError",
      restoreJobType: "bulk",
      restoreSessionArtifactCount: { total: 5, completed: 2, failed: 1, inProgress: 2 },
      createdBy,
      lastModifiedBy: createdBy,
      createdDateTime: session.createdDateTime,
      lastModifiedDateTime: session.lastModifiedDateTime,
      completedDateTime: session.completedDateTime,
      error: { code: "ArtifactNotFound", message: "The requested restore artifact wasn't found for restore.", target: null, details: [], innerError: null },
    });
    expect(item?.["completedDateTime"]).toEqual(expect.any(String));
  });

  it("count a draft's artifacts in total only and leave completedDateTime and error null", async () => {
    const emulator = await start();
    emulator.createSession({ workload: "sharePoint", artifacts: [artifact("added"), artifact("added")] });
    const [item] = (await json(await call(`${emulator.url}${SESSIONS}`))).value;
    expect(item).toMatchObject({ status: "draft", restoreJobType: "standard", restoreSessionArtifactCount: { total: 2, completed: 0, inProgress: 0, failed: 0 }, completedDateTime: null, error: null });
  });

  it("carry each workload's @odata.type, with the docs' lowercase SharePoint casing on request", async () => {
    const canonical = await start();
    const lowercase = await start({ lowercaseSharePointType: true });
    for (const emulator of [canonical, lowercase]) for (const workload of ["exchange", "sharePoint", "oneDrive"] as const) emulator.createSession({ workload });

    const types = async (emulator: GraphEmulator): Promise<unknown[]> => (await collect(emulator, SESSIONS)).items.map((i) => i["@odata.type"]);
    expect(await types(canonical)).toEqual(["#microsoft.graph.exchangeRestoreSession", "#microsoft.graph.sharePointRestoreSession", "#microsoft.graph.oneDriveForBusinessRestoreSession"]);
    expect(await types(lowercase)).toEqual(["#microsoft.graph.exchangeRestoreSession", "#microsoft.graph.sharepointRestoreSession", "#microsoft.graph.oneDriveForBusinessRestoreSession"]);
  });

  it("are replaced verbatim by a raw override", async () => {
    const emulator = await start();
    const raw = { id: "not/a guid", status: 42, "@odata.type": "#microsoft.graph.somethingElse" };
    const session = emulator.createSession({ workload: "exchange", raw });
    expect((await json(await call(`${emulator.url}${SESSIONS}`))).value).toEqual([raw]);
    expect(await json(await call(`${emulator.url}${SESSIONS}/${session.id}`))).toMatchObject(raw);
  });
});

describe("Prefer: include-unknown-enum-members", () => {
  async function seeded(): Promise<{ emulator: GraphEmulator; url: string }> {
    const emulator = await start();
    emulator.createSession({ workload: "sharePoint", status: "failed", restoreJobType: "granular" });
    emulator.createSession({ workload: "exchange", status: "completed", restoreJobType: "bulk" });
    return { emulator, url: `${emulator.url}${SESSIONS}` };
  }
  const statuses = async (response: Response): Promise<unknown[][]> => (await json(response)).value.map((i) => [i["status"], i["restoreJobType"]]);

  it("hides failed and granular behind unknownFutureValue when absent", async () => {
    const { url } = await seeded();
    expect(await statuses(await call(url))).toEqual([["unknownFutureValue", "unknownFutureValue"], ["completed", "bulk"]]);
    expect(await statuses(await call(url, { prefer: "return=minimal" }))).toEqual([["unknownFutureValue", "unknownFutureValue"], ["completed", "bulk"]]);
    expect(await statuses(await call(url, { prefer: "include-unknown-enum-members-later" }))).toEqual([["unknownFutureValue", "unknownFutureValue"], ["completed", "bulk"]]);
  });

  it("reveals them when the token is in the list, in any case", async () => {
    const { url, emulator } = await seeded();
    for (const prefer of [PREFER_ALL, "return=minimal, Include-Unknown-Enum-Members", "odata.maxpagesize=10,include-unknown-enum-members"]) {
      expect(await statuses(await call(url, { prefer }))).toEqual([["failed", "granular"], ["completed", "bulk"]]);
    }
    const failedId = emulator.sessions()[0]?.id ?? "";
    expect(await json<Record<string, unknown>>(await call(`${url}/${failedId}`))).toMatchObject({ status: "unknownFutureValue" });
    expect(await json<Record<string, unknown>>(await call(`${url}/${failedId}`, { prefer: PREFER_ALL }))).toMatchObject({ status: "failed" });
  });
});

describe("GET restoreSessions/{id}", () => {
  it("returns the entity with its context, or 404 RestoreSessionNotFound", async () => {
    const emulator = await start();
    const session = emulator.createSession({ workload: "oneDrive", status: "active" });
    const item = await json<Record<string, unknown>>(await call(`${emulator.url}${SESSIONS}/${session.id}`));
    expect(item).toMatchObject({ "@odata.context": `${emulator.url}/v1.0/$metadata#solutions/backupRestore/restoreSessions/$entity`, id: session.id, status: "active" });

    const missing = await call(`${emulator.url}${SESSIONS}/${crypto.randomUUID()}`);
    expect(missing.status).toBe(404);
    expect((await errorCode(missing)).code).toBe("RestoreSessionNotFound");
  });
});

describe("artifact lists", () => {
  it("page mailbox artifacts with relative nextLinks without the version", async () => {
    const emulator = await start();
    const artifacts = [
      artifact("succeeded", { name: "Restored items 2026-07-13", restoredItemCount: 1842, restorePointDateTime: "2026-07-13T22:00:00.000Z", startDateTime: "2026-07-14T08:05:02.000Z", completionDateTime: "2026-07-14T08:41:17.000Z" }),
      artifact("failed", { error: { code: "ArtifactNotFound", message: "The requested restore artifact wasn't found for restore." } }),
      artifact("succeeded", { name: "Restored items 2026-07-13" }),
    ];
    const session = emulator.createSession({ workload: "exchange", status: "completedWithError", artifacts });
    const path = `/solutions/backupRestore/exchangeRestoreSessions/${session.id}/mailboxRestoreArtifacts`;

    const { pages, items } = await collect(emulator, `/v1.0${path}`);

    expect(pages.map((p) => p.value.length)).toEqual([2, 1]);
    expect(pages[0]?.["@odata.nextLink"]).toMatch(new RegExp(`^${path}\\?\\$skiptoken=[^&]+$`));
    expect(pages[0]?.["@odata.context"]).toBe(`${emulator.url}/v1.0/$metadata#solutions/backupRestore/exchangeRestoreSessions('${session.id}')/mailboxRestoreArtifacts`);
    expect(items.map((i) => i["id"])).toEqual(artifacts.map((a) => a.id));
    expect(items[0]).toEqual({
      id: artifacts[0]?.id,
      destinationType: "inPlace",
      status: "succeeded",
      startDateTime: "2026-07-14T08:05:02.000Z",
      completionDateTime: "2026-07-14T08:41:17.000Z",
      restoredFolderId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      restoredFolderName: "Restored items 2026-07-13",
      restoredItemCount: 1842,
      error: null,
      restorePoint: { id: expect.stringMatching(/^[0-9a-f-]{36}_1783980000_12_2$/), protectionDateTime: "2026-07-13T22:00:00.000Z", expirationDateTime: "2027-07-13T22:00:00.000Z", tags: "none" },
    });
    expect(items[1]).toMatchObject({ status: "failed", restoredFolderId: null, restoredFolderName: null, restoredItemCount: 0, completionDateTime: null, error: { code: "ArtifactNotFound", target: null, details: [], innerError: null } });
  });

  it("serve site and drive artifacts with restored site fields, matching the collection segment case-insensitively", async () => {
    const emulator = await start();
    const site = emulator.createSession({ workload: "sharePoint", artifacts: [artifact("succeeded", { name: "HR Policies", webUrl: "https://contoso.sharepoint.com/sites/hr-policies" })] });
    const drive = emulator.createSession({ workload: "oneDrive", artifacts: [artifact("failed", { destinationType: "inPlace", error: { code: "InvalidRestoreTime", message: "beyond retention" } })] });

    const siteItems = (await collect(emulator, `/v1.0/solutions/backupRestore/sharepointRestoreSessions/${site.id}/SiteRestoreArtifacts`)).items;
    expect(siteItems).toEqual([expect.objectContaining({ destinationType: "new", restoredSiteId: expect.any(String), restoredSiteName: "HR Policies", restoredSiteWebUrl: "https://contoso.sharepoint.com/sites/hr-policies" })]);
    expect(siteItems[0]).not.toHaveProperty("restoredFolderName");

    const driveItems = (await collect(emulator, `/v1.0/solutions/backupRestore/oneDriveForBusinessRestoreSessions/${drive.id}/driveRestoreArtifacts`)).items;
    expect(driveItems).toEqual([expect.objectContaining({ destinationType: "inPlace", status: "failed", restoredSiteId: null, restoredSiteName: null, restoredSiteWebUrl: null, error: expect.objectContaining({ code: "InvalidRestoreTime" }) })]);
  });

  it("answer 404 for a session of another type or an unknown session", async () => {
    const emulator = await start();
    const session = emulator.createSession({ workload: "exchange" });
    for (const path of [`sharePointRestoreSessions/${session.id}/siteRestoreArtifacts`, `exchangeRestoreSessions/${crypto.randomUUID()}/mailboxRestoreArtifacts`]) {
      const response = await call(`${emulator.url}/v1.0/solutions/backupRestore/${path}`);
      expect(response.status).toBe(404);
      expect((await errorCode(response)).code).toBe("RestoreSessionNotFound");
    }
  });
});

describe("authentication and authorization", () => {
  it("answers 401 InvalidAuthenticationToken for a missing, foreign, expired or wrong-audience token", async () => {
    const emulator = await start();
    const foreign = new TokenIssuer().issue({ roles: [READ] }).token;
    const cases: (string | null)[] = [null, "not-a-jwt", foreign, token([READ], { lifetimeInSeconds: -60 }), token([READ], { audience: "https://management.azure.com" })];
    for (const bearer of cases) {
      const response = await call(`${emulator.url}${SESSIONS}`, { token: bearer });
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer /);
      expect((await errorCode(response)).code).toBe("InvalidAuthenticationToken");
    }
    expect(emulator.requests.map((r) => [r.authorized, r.status])).toEqual(cases.map(() => [false, 401]));
  });

  it("answers 403 Authorization_RequestDenied without a restore read role", async () => {
    const emulator = await start();
    for (const roles of [[], ["BackupRestore-Monitor.Read.All"]]) {
      const response = await call(`${emulator.url}${SESSIONS}`, { token: token(roles) });
      expect(response.status).toBe(403);
      expect(await errorCode(response)).toMatchObject({ code: "Authorization_RequestDenied", message: "Insufficient privileges to complete the operation." });
    }
    expect(emulator.requests.every((r) => r.authorized && r.status === 403)).toBe(true);
  });

  it("accepts Read.All, ReadWrite.All and a delegated scope, and a configured required role", async () => {
    const emulator = await start();
    for (const bearer of [token([READ]), token(["BackupRestore-Restore.ReadWrite.All"]), token([], { scp: `User.Read ${READ}` })]) {
      expect((await call(`${emulator.url}${SESSIONS}`, { token: bearer })).status).toBe(200);
    }
    const strict = await start({ requiredRole: "BackupRestore-Restore.Special" });
    expect((await call(`${strict.url}${SESSIONS}`, { token: token([READ]) })).status).toBe(403);
    expect((await call(`${strict.url}${SESSIONS}`, { token: token(["BackupRestore-Restore.Special"]) })).status).toBe(200);
  });

  it("with allowedAppIds serves only those applications: another principal with the role (a managed identity) gets 403", async () => {
    const controller = crypto.randomUUID();
    const identity = { appId: crypto.randomUUID(), objectId: crypto.randomUUID() };
    const emulator = await start({ allowedAppIds: [controller] });

    const refused = await call(`${emulator.url}${SESSIONS}`, { token: token([READ], identity) });
    expect(refused.status).toBe(403);
    expect(await json(refused)).toEqual({ error: { code: "Forbidden", message: expect.any(String), innerError: { date: expect.any(String), "request-id": expect.any(String), "client-request-id": expect.any(String) } } });
    expect((await call(`${emulator.url}${SESSIONS}`, { token: token([READ]) })).status).toBe(403); // no appid at all
    expect((await call(`${emulator.url}${SESSIONS}`, { token: token([READ], { appId: controller.toUpperCase() }) })).status).toBe(200);
    // The role is still required of the allowed app.
    expect((await call(`${emulator.url}${SESSIONS}`, { token: token([], { appId: controller }) })).status).toBe(403);
    // Each request records who called.
    expect(emulator.requests[0]).toMatchObject({ authorized: true, status: 403, appId: identity.appId, objectId: identity.objectId });
    expect(emulator.requests[2]).toMatchObject({ authorized: true, status: 200, appId: controller.toUpperCase() });
  });
});

describe("mounted routes", () => {
  it("get the verified claims and request, decide their own authorization, and fall through when they return undefined", async () => {
    const seen: GraphRouteRequest[] = [];
    const servicePrincipals: GraphRoute = (request) => {
      if (request.path !== "/servicePrincipals") return undefined;
      seen.push(request);
      if (!request.claims.roles?.includes("Application.Read.All")) return { status: 403, body: { error: { code: "Authorization_RequestDenied", message: "no" } } };
      return { status: 200, body: { value: [{ id: "sp", echo: request.body }] }, headers: { "x-route": "servicePrincipals" } };
    };
    const emulator = await start({ routes: [servicePrincipals] });

    const ok = await call(`${emulator.url}/beta/servicePrincipals?$filter=x`, { token: token(["Application.Read.All"]), method: "POST", body: { a: 1 } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("x-route")).toBe("servicePrincipals");
    expect(await json<unknown>(ok)).toEqual({ value: [{ id: "sp", echo: { a: 1 } }] });
    expect(seen[0]).toMatchObject({ method: "POST", version: "beta", path: "/servicePrincipals", body: { a: 1 }, claims: { roles: ["Application.Read.All"] } });
    expect(seen[0]?.query.get("$filter")).toBe("x");

    expect((await call(`${emulator.url}/v1.0/servicePrincipals`, { token: token([]) })).status).toBe(403);
    expect((await call(`${emulator.url}/v1.0/servicePrincipals`, { token: null })).status).toBe(401);
    expect(seen).toHaveLength(2);
    const fallthrough = await call(`${emulator.url}/v1.0/groups`);
    expect(fallthrough.status).toBe(404);
    expect(await errorCode(fallthrough)).toMatchObject({ code: "ResourceNotFound", message: "Resource not found for the segment 'groups'." });
  });
});

describe("routing errors", () => {
  it("answers unknown paths with ResourceNotFound and other methods with 405", async () => {
    const emulator = await start();
    const unknown = await call(`${emulator.url}/v1.0/solutions/backupRestore/restoreWidgets`);
    expect(unknown.status).toBe(404);
    expect(await errorCode(unknown)).toMatchObject({ code: "ResourceNotFound", message: "Resource not found for the segment 'restoreWidgets'." });

    const session = emulator.createSession({ workload: "exchange" });
    for (const [method, path] of [["POST", SESSIONS], ["DELETE", `${SESSIONS}/${session.id}`], ["PATCH", `/v1.0/solutions/backupRestore/exchangeRestoreSessions/${session.id}/mailboxRestoreArtifacts`]] as const) {
      const response = await call(`${emulator.url}${path}`, { method, ...(method !== "DELETE" && { body: {} }) });
      expect(response.status).toBe(405);
      expect(response.headers.get("allow")).toBe("GET");
    }
    expect(emulator.session(session.id)).toBeDefined();
  });
});

describe("faults", () => {
  it("answer throttling with the Graph envelope and Retry-After, for the next `times` matching requests only", async () => {
    const emulator = await start();
    emulator.createSession({ workload: "exchange" });
    emulator.injectFault(/restoreSessions$/, { status: 429, retryAfterSeconds: 7 }, 2);

    for (let i = 0; i < 2; i++) {
      const response = await call(`${emulator.url}${SESSIONS}`);
      expect(response.status).toBe(429);
      expect(response.headers.get("retry-after")).toBe("7");
      expect((await errorCode(response)).code).toBe("TooManyRequests");
    }
    expect((await call(`${emulator.url}${SESSIONS}`)).status).toBe(200);
    expect(emulator.requests.map((r) => r.status)).toEqual([429, 429, 200]);
  });

  it("are matched in order and only against matching paths, and can be cleared", async () => {
    const emulator = await start();
    const session = emulator.createSession({ workload: "exchange" });
    emulator.injectFault(/restoreSessions\/[^/]+$/, { status: 503 });
    emulator.injectFault(/restoreSessions/, { status: 500 });

    expect((await call(`${emulator.url}${SESSIONS}/${session.id}`)).status).toBe(503);
    const second = await call(`${emulator.url}${SESSIONS}/${session.id}`);
    expect(second.status).toBe(500);
    expect((await errorCode(second)).code).toBe("InternalServerError");

    emulator.injectFault(/artifacts/i, { status: 503 });
    expect((await call(`${emulator.url}${SESSIONS}`)).status).toBe(200);
    emulator.clearFaults();
    expect((await call(`${emulator.url}/v1.0/solutions/backupRestore/exchangeRestoreSessions/${session.id}/mailboxRestoreArtifacts`)).status).toBe(200);
  });

  it("send a raw body verbatim as JSON, so a client meets malformed JSON", async () => {
    const emulator = await start();
    emulator.injectFault(/restoreSessions/, { status: 200, body: '{"value": [ {"id": ' });
    const response = await call(`${emulator.url}${SESSIONS}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    await expect(response.json()).rejects.toThrow(SyntaxError);
  });

  it("reset the connection mid-response with destroySocket", async () => {
    const emulator = await start();
    emulator.injectFault(/restoreSessions/, { status: 200, destroySocket: true });
    await expect(call(`${emulator.url}${SESSIONS}`).then((r) => r.text())).rejects.toThrow();
    expect((await call(`${emulator.url}${SESSIONS}`)).status).toBe(200);
  });

  it("hang with delayMs until the client gives up, then serve normally when the fault is a slow 200", async () => {
    const emulator = await start();
    emulator.injectFault(/restoreSessions/, { status: 200, delayMs: 60_000 });
    await expect(call(`${emulator.url}${SESSIONS}`, { signal: AbortSignal.timeout(200) })).rejects.toThrow(/timeout|aborted/i);

    emulator.injectFault(/restoreSessions/, { status: 200, delayMs: 50 });
    const slow = await call(`${emulator.url}${SESSIONS}`);
    expect(slow.status).toBe(200);
    expect((await json(slow)).value).toEqual([]);
  });

  it("do not keep stop() waiting on a hanging request", async () => {
    const emulator = await start(); // afterEach stops it again, which is harmless
    emulator.injectFault(/restoreSessions/, { status: 503, delayMs: 120_000 });
    const pending = call(`${emulator.url}${SESSIONS}`);
    await vi.waitFor(() => expect(emulator.requestCount()).toBe(1));

    const started = Date.now();
    await emulator.stop();
    expect(Date.now() - started).toBeLessThan(2000);
    await expect(pending).rejects.toThrow();
  });
});

describe("state and request log", () => {
  it("creates sessions with defaults and bumps lastModifiedDateTime / completedDateTime on update", async () => {
    const emulator = await start();
    const session = emulator.createSession({ workload: "sharePoint", createdDateTime: "2026-07-14T10:00:00.000Z" });
    expect(session).toMatchObject({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), status: "draft", restoreJobType: "standard", lastModifiedDateTime: "2026-07-14T10:00:00.000Z", error: null, artifacts: [] });
    expect(session.completedDateTime).toBeUndefined();

    const active = emulator.updateSession(session.id, { status: "active" });
    expect(Date.parse(active.lastModifiedDateTime)).toBeGreaterThan(Date.parse("2026-07-14T10:00:00.000Z"));
    expect(active.completedDateTime).toBeUndefined();
    const before = active.lastModifiedDateTime;
    const failed = emulator.updateSession(session.id, { status: "failed" });
    expect(Date.parse(failed.lastModifiedDateTime)).toBeGreaterThan(Date.parse(before));
    expect(failed.completedDateTime).toBe(failed.lastModifiedDateTime);

    expect(emulator.createSession({ workload: "exchange", status: "completed" }).completedDateTime).toEqual(expect.any(String));
    expect(() => emulator.createSession({ workload: "exchange", id: session.id })).toThrow(/already exists/);
    emulator.removeSession(session.id);
    expect(emulator.session(session.id)).toBeUndefined();
    expect(() => emulator.updateSession(session.id, {})).toThrow();
  });

  it("records every request with path, query, Prefer, authorization, caller and status", async () => {
    const emulator = await start();
    const before = Date.now();
    const caller = { appId: crypto.randomUUID(), objectId: crypto.randomUUID() };
    await call(`${emulator.url}${SESSIONS}?$top=5`, { prefer: PREFER_ALL, token: token([READ], caller) });
    await call(`${emulator.url}/v1.0/nowhere`, { token: null });
    expect(emulator.requests).toEqual([
      { method: "GET", path: `${SESSIONS}?$top=5`, prefer: PREFER_ALL, authorized: true, ...caller, tenantId: TEST_TENANT_ID, status: 200, at: expect.any(Number) },
      { method: "GET", path: "/v1.0/nowhere", authorized: false, status: 401, at: expect.any(Number) },
    ]);
    expect(emulator.requests[0]?.at).toBeGreaterThanOrEqual(before);
    expect(emulator.requestCount(/restoreSessions/)).toBe(1);
    expect(emulator.requestCount(/./g)).toBe(2);
    expect(emulator.requestCount(/./g)).toBe(2); // a /g pattern is not stateful across calls
  });
});

describe("compatibility with @microsoft/microsoft-graph-client", () => {
  it("lets the SDK read a page, follow the absolute nextLink and surface Graph errors", async () => {
    const emulator = await start();
    const ids = Array.from({ length: 5 }, () => emulator.createSession({ workload: "oneDrive", status: "failed" }).id);
    const bearer = token();
    const client = Client.initWithMiddleware({ authProvider: { getAccessToken: async () => bearer }, baseUrl: emulator.url, customHosts: new Set(["127.0.0.1"]) });

    const first = (await client.api("/solutions/backupRestore/restoreSessions").header("Prefer", PREFER_ALL).get()) as Page;
    expect(first.value.map((i) => i["id"])).toEqual(ids.slice(0, 3));
    const nextLink = first["@odata.nextLink"] ?? "";
    expect(nextLink.startsWith(`${emulator.url}/v1.0/`)).toBe(true);
    const second = (await client.api(nextLink).header("Prefer", PREFER_ALL).get()) as Page;
    expect(second.value.map((i) => [i["id"], i["status"]])).toEqual(ids.slice(3).map((id) => [id, "failed"]));
    expect(second).not.toHaveProperty("@odata.nextLink");
    expect(emulator.requests.every((r) => r.authorized)).toBe(true);

    const denied = Client.initWithMiddleware({ authProvider: { getAccessToken: async () => token([]) }, baseUrl: emulator.url, customHosts: new Set(["127.0.0.1"]) });
    await expect(denied.api("/solutions/backupRestore/restoreSessions").get()).rejects.toMatchObject({ statusCode: 403, code: "Authorization_RequestDenied" });
  });
});

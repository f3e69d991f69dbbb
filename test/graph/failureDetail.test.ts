import { afterEach, describe, expect, it } from "vitest";
import type { RestoreSession } from "../../shared/domain/restoreSession";
import { listBulkIssues } from "../../shared/graph/bulkRequests";
import { lookUpDirectoryNames } from "../../shared/graph/directoryNames";
import { ArtifactExpansion, fetchFailureDetail, listFailedArtifacts } from "../../shared/graph/failureDetail";
import { createGraphApi, type GraphApi } from "../../shared/graph/graphClient";
import { GraphEmulator, type GraphEmulatorOptions } from "../../local/emulators/graph/graphEmulator";
import { loadTestTls } from "../../local/emulators/tls";
import { TokenIssuer } from "../../local/emulators/tokens";

/**
 * What the client reads of a failure, against the Graph emulator over HTTPS with the real Graph SDK:
 * protection units behind `$expand` (and the fallback when the service refuses it), granular lists,
 * bulk addition requests, and owners' names by getByIds.
 */
const READ = "BackupRestore-Restore.Read.All";
const running: GraphEmulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.stop()));
});

async function start(options: Partial<GraphEmulatorOptions> = {}, roles: string[] = [READ]): Promise<{ graph: GraphEmulator; api: GraphApi }> {
  const issuer = new TokenIssuer();
  const graph = await GraphEmulator.start({ tls: loadTestTls(), issuer, artifactPageSize: 2, ...options });
  running.push(graph);
  const api = createGraphApi({ endpoint: graph.url, emulatorOrigins: [graph.url], credential: issuer.credential({ roles }), maxRetries: 0, timeoutInMs: 5_000, counters: { requests: 0, bytesRead: 0, throttled: 0 } });
  return { graph, api };
}

const ADELE = "6c3d2a2d-2780-49ad-9b06-eb0542a138cf";
const ALEX = "0b944de3-1b7d-4f5a-9d1c-2a3e4b5c6d7e";
const failure = { code: "ArtifactNotFound", message: "The requested restore artifact wasn't found for restore." };

function asSession(graph: GraphEmulator, id: string): RestoreSession {
  const emulated = graph.session(id);
  if (!emulated) throw new Error(id);
  return { id, workload: emulated.workload, status: emulated.status, ...(emulated.restoreJobType && { restoreJobType: emulated.restoreJobType }) };
}

function failedMailboxes(graph: GraphEmulator): string {
  return graph.createSession({
    workload: "exchange",
    status: "failed",
    artifacts: [
      { id: "m1", status: "failed", error: failure, protectionUnit: { kind: "mailbox", directoryObjectId: ADELE } },
      { id: "m2", status: "succeeded" },
      { id: "m3", status: "failed", error: failure, protectionUnit: { kind: "mailbox", directoryObjectId: ALEX } },
    ],
  }).id;
}

const status400 = (graph: GraphEmulator) => graph.requests.filter((r) => r.status === 400).length;

describe("failed artifacts, read with their protection units", () => {
  it("asks for the nested expand and reads the owners' object ids (an application gets no names from the unit)", async () => {
    const { graph, api } = await start();
    const listed = await listFailedArtifacts(api, asSession(graph, failedMailboxes(graph)));
    expect(listed).toEqual({
      available: true,
      failedCount: 2,
      artifacts: [expect.objectContaining({ id: "m1", kind: "mailbox", objectId: ADELE, errorCode: failure.code }), expect.objectContaining({ id: "m3", kind: "mailbox", objectId: ALEX })],
    });
    expect(graph.requests.map((r) => decodeURIComponent(r.path))).toEqual([
      expect.stringMatching(/\/mailboxRestoreArtifacts\?\$expand=restorePoint\(\$expand=protectionUnit\)$/),
      expect.stringMatching(/\/mailboxRestoreArtifacts\?.*\$skiptoken=/),
    ]);
  });

  it("steps down to $expand=restorePoint after a 400, once for the whole run", async () => {
    const { graph, api } = await start({ artifactExpand: "restorePoint" });
    const expansion = new ArtifactExpansion();
    const first = await listFailedArtifacts(api, asSession(graph, failedMailboxes(graph)), { expansion });
    const second = await listFailedArtifacts(api, asSession(graph, failedMailboxes(graph)), { expansion });
    expect(expansion.form).toBe("restorePoint");
    expect(expansion.refused).toEqual(["nested"]);
    expect(status400(graph)).toBe(1);
    // Without the unit the owner is not known, but every failure is still there, with its error.
    for (const listed of [first, second]) expect(listed).toMatchObject({ available: true, failedCount: 2, artifacts: [{ id: "m1", errorCode: failure.code }, { id: "m3" }] });
    expect(first.available && first.artifacts[0]?.objectId).toBeUndefined();
  });

  it("a 400 that no form gets past (not about $expand) fails that session's detail only, and the run keeps the nested form", async () => {
    const { graph, api } = await start();
    const broken = failedMailboxes(graph);
    graph.injectFault(new RegExp(broken), { status: 400, body: JSON.stringify({ error: { code: "InvalidRestoreSessionId", message: "Restore session ID invalid, null, or empty." } }) }, 3);
    const expansion = new ArtifactExpansion();
    const first = await listFailedArtifacts(api, asSession(graph, broken), { expansion });
    expect(first).toEqual({ available: false, reason: expect.stringContaining("InvalidRestoreSessionId") });
    expect(expansion).toMatchObject({ form: "nested", refused: [] });
    const next = await listFailedArtifacts(api, asSession(graph, failedMailboxes(graph)), { expansion });
    expect(next).toMatchObject({ available: true, artifacts: [{ objectId: ADELE }, { objectId: ALEX }] });
  });

  it("steps down to no $expand when the service refuses both, and an in-place site still shows its URL", async () => {
    const { graph, api } = await start({ artifactExpand: "none" });
    const id = graph.createSession({
      workload: "sharePoint",
      status: "failed",
      artifacts: [{ id: "s1", status: "failed", destinationType: "inPlace", name: "Finance", webUrl: "https://contoso.sharepoint.com/sites/finance", error: failure }],
    }).id;
    const expansion = new ArtifactExpansion();
    const listed = await listFailedArtifacts(api, asSession(graph, id), { expansion });
    expect(expansion.refused).toEqual(["nested", "restorePoint"]);
    expect(listed).toMatchObject({ available: true, artifacts: [{ id: "s1", kind: "site", name: "Finance", webUrl: "https://contoso.sharepoint.com/sites/finance" }] });
  });

  it("names a site by its unit, and says where a new-location restore went", async () => {
    const { graph, api } = await start();
    const id = graph.createSession({
      workload: "sharePoint",
      status: "failed",
      artifacts: [{ id: "s1", status: "failed", destinationType: "new", name: "Finance-restored", webUrl: "https://contoso.sharepoint.com/sites/finance-restored", protectionUnit: { kind: "site", siteId: "contoso.sharepoint.com,1,2", siteName: "Finance", siteWebUrl: "https://contoso.sharepoint.com/sites/finance" }, error: failure }],
    }).id;
    const listed = await listFailedArtifacts(api, asSession(graph, id));
    expect(listed).toMatchObject({ available: true, artifacts: [{ name: "Finance", webUrl: "https://contoso.sharepoint.com/sites/finance", siteId: "contoso.sharepoint.com,1,2", restoredTo: "Finance-restored", restoredToUrl: "https://contoso.sharepoint.com/sites/finance-restored" }] });
  });

  it("reads a granular restore's own collection, without $expand (its drive items have no restore point)", async () => {
    const { graph, api } = await start();
    const id = graph.createSession({
      workload: "oneDrive",
      status: "failed",
      restoreJobType: "granular",
      artifacts: [{ id: "g1", status: "failed", itemPath: "/Documents/Q3/Budget.xlsx", itemWebUrl: "https://contoso-my.sharepoint.com/personal/adele/Documents/Q3/Budget.xlsx", protectionUnit: { kind: "drive", directoryObjectId: ADELE } }],
    }).id;
    const listed = await listFailedArtifacts(api, asSession(graph, id));
    expect(listed).toMatchObject({ available: true, artifacts: [{ id: "g1", kind: "drive", itemPath: "/Documents/Q3/Budget.xlsx", webUrl: "https://contoso-my.sharepoint.com/personal/adele/Documents/Q3/Budget.xlsx" }] });
    expect(graph.requests.map((r) => r.path)).toEqual([expect.stringMatching(/\/granularDriveRestoreArtifacts$/)]);
    expect(status400(graph)).toBe(0);
  });

  it("says it cannot list the artifacts of a session type it does not know, without asking Graph", async () => {
    const { graph, api } = await start();
    const listed = await listFailedArtifacts(api, { id: "x", workload: "unknown", odataType: "#microsoft.graph.teamsRestoreSession", status: "failed" });
    expect(listed).toEqual({ available: false, reason: "restorewatch does not know this type of restore session (#microsoft.graph.teamsRestoreSession), so it cannot list its artifacts" });
    expect(graph.requests).toHaveLength(0);
  });
});

describe("bulk addition requests", () => {
  it("reports the requests that ended with errors, page by page, with no OData options", async () => {
    const { graph, api } = await start({ bulkRequestPageSize: 1 });
    const ids = Array.from({ length: 40 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
    const id = graph.createSession({
      workload: "exchange",
      status: "completed",
      restoreJobType: "bulk",
      artifacts: [{ id: "m1", status: "succeeded" }],
      bulkRequests: [
        { id: "b1", displayName: "EXO-BulkRestoreArtifacts", status: "completedWithErrors", error: { code: "BulkRestoreInvalidCreateRequestUserEmail", message: "2 of 40 users could not be resolved." }, directoryObjectIds: ids },
        { id: "b2", status: "completed", directoryObjectIds: ids.slice(0, 3) },
      ],
    }).id;
    const bulk = await listBulkIssues(api, asSession(graph, id));
    expect(bulk).toEqual({ requestsWithErrors: 1, issues: [{ id: "b1", displayName: "EXO-BulkRestoreArtifacts", status: "completedWithErrors", errorCode: "BulkRestoreInvalidCreateRequestUserEmail", errorMessage: "2 of 40 users could not be resolved.", requestedCount: 40 }] });
    expect(graph.requests).toHaveLength(2);
    expect(status400(graph)).toBe(0);
    // fetchFailureDetail of a bulk restore carries them beside the artifacts.
    expect(await fetchFailureDetail(api, asSession(graph, id))).toMatchObject({ available: true, failedArtifacts: [], omittedCount: 0, bulkIssues: bulk.issues });
  });
});

describe("owners' names from the directory (getByIds)", () => {
  const directory = [
    { id: ADELE, type: "user" as const, displayName: "Adele Vance", userPrincipalName: "adele.vance@contoso.onmicrosoft.com", mail: "AdeleV@contoso.com" },
    { id: ALEX, type: "user" as const, displayName: "Alex Wilber", userPrincipalName: "alex.wilber@contoso.onmicrosoft.com" },
  ];

  it("names users with User.Read.All, a request per 1,000 distinct ids", async () => {
    const { graph, api } = await start({ directoryObjects: directory }, [READ, "User.Read.All"]);
    const filler = Array.from({ length: 1_500 }, (_, i) => `10000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
    const lookup = await lookUpDirectoryNames(api, [ADELE, ALEX.toUpperCase(), ADELE, "not-a-guid", ...filler]);
    expect(lookup).toEqual({
      ok: true,
      requests: 2,
      names: new Map([
        [ADELE, { name: "Adele Vance", address: "adele.vance@contoso.onmicrosoft.com" }],
        [ALEX, { name: "Alex Wilber", address: "alex.wilber@contoso.onmicrosoft.com" }],
      ]),
    });
    expect(graph.requests.filter((r) => r.method === "POST" && r.path.endsWith("/directoryObjects/getByIds"))).toHaveLength(2);
  });

  it("without a directory permission, says so and what to grant to whom, and names nobody", async () => {
    const { api } = await start({ directoryObjects: directory });
    const lookup = await lookUpDirectoryNames(api, [ADELE]);
    expect(lookup).toMatchObject({ ok: false, reason: "forbidden", requests: 1 });
    expect(!lookup.ok && lookup.message).toMatch(/Graph answered 403 Authorization_RequestDenied .*grant the identity \(object id [0-9a-f-]{36}\) User\.Read\.All \(or Directory\.Read\.All, .*\): restorewatch grant-graph-permission --principal-id [0-9a-f-]{36} --role User\.Read\.All$/);
  });
});

import { Client } from "@microsoft/microsoft-graph-client";
import { afterEach, describe, expect, it } from "vitest";
import { GrantPermissionError, grantGraphPermission, type GraphRequester } from "../../shared/graph/appRoleGrant";
import { createDirectoryState, directoryRoutes, GRAPH_APP_ROLES, type DirectoryState } from "../../local/emulators/graph/directoryRoutes";
import { GraphEmulator } from "../../local/emulators/graph/graphEmulator";
import type { GraphRoute } from "../../local/emulators/graph/graphRoutes";
import { TokenIssuer, type IssueOptions } from "../../local/emulators/tokens";
import { loadTestTls } from "../../local/emulators/tls";

const IDENTITY = { id: "a3c9e1f2-7b4d-4e6a-9c1b-2d8f0e5a7b63", appId: "d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6", displayName: "id-restorewatch-x7k2" };
/** restorewatch's app registration (GRAPH_CLIENT_ID) and its service principal in this tenant. */
const APP = { id: "6e5d4c3b-2a19-4f08-9e7d-6c5b4a392817", appId: "3f2a9c1e-8b7d-4e6f-a5c4-1d2e3f4a5b6c", displayName: "restorewatch" };
const READ_ROLE_ID = "87853aa5-0372-4710-b34b-cef27bb7156e";
const READ_WRITE_ROLE_ID = "bebd0841-a3d8-4313-a51d-731112c8ee41";
/** What `az login` as a Privileged Role Administrator yields once consented, reduced to what matters. */
const ADMIN_SCOPES = "Application.Read.All AppRoleAssignment.ReadWrite.All";

const issuer = new TokenIssuer();
const running: GraphEmulator[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.stop()));
});

interface Harness {
  readonly emulator: GraphEmulator;
  readonly state: DirectoryState;
  readonly graphSpId: string;
  readonly lines: string[];
  run(options?: { token?: IssueOptions; principalId?: string; appId?: string; role?: string }): ReturnType<typeof grantGraphPermission>;
  posts(): number;
}

async function start(state: DirectoryState = createDirectoryState([IDENTITY]), before: GraphRoute[] = []): Promise<Harness> {
  const emulator = await GraphEmulator.start({ tls: loadTestTls(), issuer, routes: [...before, directoryRoutes(state)] });
  running.push(emulator);
  const graphSp = state.servicePrincipals.find((sp) => sp.appId === "00000003-0000-0000-c000-000000000000");
  if (!graphSp) throw new Error("the directory has no Microsoft Graph service principal");
  const lines: string[] = [];
  return {
    emulator,
    state,
    graphSpId: graphSp.id,
    lines,
    run: (options = {}) =>
      grantGraphPermission({
        ...(options.appId !== undefined ? { appId: options.appId } : { principalId: options.principalId ?? IDENTITY.id }),
        graph: requester(emulator, options.token ?? { scp: ADMIN_SCOPES }),
        log: (line) => lines.push(line),
        ...(options.role !== undefined && { role: options.role }),
      }),
    posts: () => emulator.requests.filter((r) => r.method === "POST").length,
  };
}

/** The operator's side: the Microsoft Graph SDK against the emulator, with a token for the given permissions. */
function requester(emulator: GraphEmulator, token: IssueOptions): GraphRequester {
  const client = Client.initWithMiddleware({
    authProvider: { getAccessToken: async () => issuer.issue(token).token },
    baseUrl: emulator.url,
    customHosts: new Set(["127.0.0.1"]),
  });
  return {
    get: (path) => client.api(path).get() as Promise<unknown>,
    post: (path, body) => client.api(path).post(body) as Promise<unknown>,
  };
}

async function failure(promise: Promise<unknown>): Promise<GrantPermissionError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GrantPermissionError);
  return error as GrantPermissionError;
}

describe("grant-graph-permission against the Graph emulator", () => {
  it("first run assigns BackupRestore-Restore.Read.All to the managed identity", async () => {
    const h = await start();

    const result = await h.run();

    expect(result.assigned).toBe(true);
    expect(h.state.appRoleAssignments).toEqual([
      expect.objectContaining({ id: result.assignmentId, principalId: IDENTITY.id, resourceId: h.graphSpId, appRoleId: READ_ROLE_ID }),
    ]);
    expect(h.posts()).toBe(1);
    expect(h.lines.join("\n")).toContain(IDENTITY.displayName);
    expect(h.lines.at(-1)).toMatch(/^Assigned BackupRestore-Restore\.Read\.All .*restart the function app/);
    // The Graph service principal was looked up by Microsoft Graph's app id, not by name.
    expect(decodeURIComponent(h.emulator.requests[0]?.path ?? "")).toContain("$filter=appId eq '00000003-0000-0000-c000-000000000000'");
  });

  it("second run finds the assignment and writes nothing", async () => {
    const h = await start();
    const first = await h.run();
    h.lines.length = 0;

    const second = await h.run();

    expect(second).toEqual({ assigned: false, assignmentId: first.assignmentId });
    expect(h.posts()).toBe(1);
    expect(h.state.appRoleAssignments).toHaveLength(1);
    expect(h.lines.at(-1)).toContain("already assigned");
  });

  it("pages through the identity's other assignments before deciding", async () => {
    const state = createDirectoryState([IDENTITY]);
    state.pageSize = 2; // three other assignments, then the one we look for: it is on the second page
    const h = await start(state);
    const others = GRAPH_APP_ROLES.filter((r) => !r.value.startsWith("BackupRestore"));
    for (const role of others) state.appRoleAssignments.push(assignment(h.graphSpId, role.id));
    state.appRoleAssignments.push(assignment(h.graphSpId, READ_ROLE_ID, "existing-on-last-page"));

    const result = await h.run();

    expect(result).toEqual({ assigned: false, assignmentId: "existing-on-last-page" });
    expect(h.posts()).toBe(0);
    expect(h.emulator.requestCount(/appRoleAssignments\?\$skiptoken=/)).toBe(1);
  });

  it("an assignment of the same role on another API does not count", async () => {
    const other = { id: "0c9d8e7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f", appId: "11111111-2222-4333-8444-555555555555", displayName: "Contoso API", servicePrincipalType: "Application" as const, appRoles: [] };
    const state = createDirectoryState([IDENTITY]);
    state.servicePrincipals.push(other);
    const h = await start(state);
    state.appRoleAssignments.push(assignment(other.id, READ_ROLE_ID));

    const result = await h.run();

    expect(result.assigned).toBe(true);
    expect(h.posts()).toBe(1);
  });

  it("someone else assigning it between the check and the write is not an error", async () => {
    const state = createDirectoryState([IDENTITY]);
    const graphSpId = state.servicePrincipals[0]?.id ?? "";
    // Just before the POST reaches the directory, another admin's grant lands.
    const race: GraphRoute = (request) => {
      if (request.method === "POST") state.appRoleAssignments.push(assignment(graphSpId, READ_ROLE_ID, "granted-by-someone-else"));
      return undefined;
    };
    const h = await start(state, [race]);

    const result = await h.run();

    expect(result).toEqual({ assigned: false, assignmentId: "granted-by-someone-else" });
    expect(h.state.appRoleAssignments).toHaveLength(1);
    expect(h.lines.at(-1)).toContain("assigned concurrently");
  });

  it("can grant another role by its value (the ReadWrite one, if a team chooses it)", async () => {
    const h = await start();

    const result = await h.run({ role: "BackupRestore-Restore.ReadWrite.All" });

    expect(result.assigned).toBe(true);
    expect(h.state.appRoleAssignments[0]?.appRoleId).toBe(READ_WRITE_ROLE_ID);
  });

  it("works with an application token too (an automation principal with the app roles)", async () => {
    const h = await start();

    const result = await h.run({ token: { roles: ["Application.Read.All", "AppRoleAssignment.ReadWrite.All"] } });

    expect(result.assigned).toBe(true);
  });

  describe("--app-id: the service principal of an app id (GRAPH_CLIENT_ID, or a managed identity's client id)", () => {
    function withApp(): DirectoryState {
      const state = createDirectoryState([IDENTITY]);
      state.servicePrincipals.push({ ...APP, servicePrincipalType: "Application", appRoles: [] });
      return state;
    }

    it("looks the app registration's service principal up by app id and assigns the role to it", async () => {
      const h = await start(withApp());

      const result = await h.run({ appId: APP.appId });

      expect(result.assigned).toBe(true);
      expect(h.state.appRoleAssignments).toEqual([expect.objectContaining({ id: result.assignmentId, principalId: APP.id, resourceId: h.graphSpId, appRoleId: READ_ROLE_ID })]);
      expect(decodeURIComponent(h.emulator.requests[1]?.path ?? "")).toContain(`/servicePrincipals?$filter=appId eq '${APP.appId}'`);
      expect(h.lines.join("\n")).toContain(`Granting to restorewatch (Application), object id ${APP.id}, app id ${APP.appId}`);
      // Idempotent by app id too.
      expect(await h.run({ appId: APP.appId })).toEqual({ assigned: false, assignmentId: result.assignmentId });
      expect(h.posts()).toBe(1);
    });

    it("a managed identity's client id finds the identity's service principal", async () => {
      const h = await start(withApp());

      const result = await h.run({ appId: IDENTITY.appId.toUpperCase() });

      expect(result.assigned).toBe(true);
      expect(h.state.appRoleAssignments[0]?.principalId).toBe(IDENTITY.id);
    });

    it("an app with no service principal in this tenant: says how to create one, writes nothing", async () => {
      const h = await start(withApp());
      const elsewhere = "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e";

      const error = await failure(h.run({ appId: elsewhere }));

      expect(error.reason).toBe("appServicePrincipalNotFound");
      expect(error.message).toBe(`app id ${elsewhere} has no service principal in this tenant: create it (az ad sp create --id ${elsewhere}), or consent to the multi-tenant app in this tenant, then run this again`);
      expect(h.posts()).toBe(0);
    });

    it("an app id that is not a GUID is refused before calling Graph", async () => {
      const h = await start(withApp());

      const error = await failure(h.run({ appId: "restorewatch" }));

      expect(error.reason).toBe("invalidAppId");
      expect(h.emulator.requests).toHaveLength(0);
    });
  });

  describe("clear one-line errors", () => {
    it("missing AppRoleAssignment.ReadWrite.All: names the Entra role and permissions needed, writes nothing", async () => {
      const h = await start();

      const error = await failure(h.run({ token: { scp: "Application.Read.All" } }));

      expect(error.reason).toBe("forbidden");
      expect(error.isAuthFailure).toBe(true);
      expect(error.status).toBe(403);
      expect(error.message).not.toMatch(/\n/);
      expect(error.message).toContain("Privileged Role Administrator");
      expect(error.message).toContain("AppRoleAssignment.ReadWrite.All");
      expect(error.message).toContain("Application.Read.All");
      expect(error.message).toContain("when assigning BackupRestore-Restore.Read.All");
      expect(h.state.appRoleAssignments).toEqual([]);
    });

    it("no directory read permission at all: fails on the first read with the same guidance", async () => {
      const h = await start();

      const error = await failure(h.run({ token: { scp: "User.Read" } }));

      expect(error.reason).toBe("forbidden");
      expect(error.message).toContain("when reading Microsoft Graph's service principal");
      expect(error.message).toContain("Privileged Role Administrator");
      expect(h.posts()).toBe(0);
    });

    it("a client id instead of the principal (object) id: says which id to pass", async () => {
      const h = await start();

      const error = await failure(h.run({ principalId: IDENTITY.appId }));

      expect(error.reason).toBe("principalNotFound");
      expect(error.message).toBe(
        `no service principal with object id ${IDENTITY.appId}: pass the managed identity's principal (object) id, not its client id (azd output MANAGED_IDENTITY_PRINCIPAL_ID, or: az identity show -g <group> -n <identity> --query principalId -o tsv)`,
      );
      expect(h.posts()).toBe(0);
    });

    it("something that is not a GUID is refused before calling Graph", async () => {
      const h = await start();

      const error = await failure(h.run({ principalId: "id-restorewatch-x7k2" }));

      expect(error.reason).toBe("invalidPrincipalId");
      expect(h.emulator.requests).toHaveLength(0);
    });

    it("an unknown role value", async () => {
      const h = await start();

      const error = await failure(h.run({ role: "BackupRestore-Restore.Read" }));

      expect(error.reason).toBe("roleNotFound");
      expect(error.message).toContain("'BackupRestore-Restore.Read'");
      expect(h.posts()).toBe(0);
    });
  });
});

function assignment(resourceId: string, appRoleId: string, id: string = crypto.randomUUID()): DirectoryState["appRoleAssignments"][number] {
  return {
    id,
    appRoleId,
    principalId: IDENTITY.id,
    principalDisplayName: IDENTITY.displayName,
    principalType: "ServicePrincipal",
    resourceId,
    resourceDisplayName: "Microsoft Graph",
    createdDateTime: "2026-01-01T00:00:00Z",
    deletedDateTime: null,
  };
}

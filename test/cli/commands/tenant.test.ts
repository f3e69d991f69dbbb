import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../../../shared/cli/main";
import { TENANTS_PARTITION } from "../../../shared/domain/tenant";
import { RunMetaStore } from "../../../shared/state/runMeta";
import { createStateTableClient, newTableCounters } from "../../../shared/state/tableClient";
import { readStateConfig } from "../../../shared/config/config";
import { useAzurite } from "../../support/useAzurite";
import { READ_ROLE, startMultiTenantRig, type MultiTenantRig } from "../../support/multiTenantRig";

const azurite = useAzurite();
let rig: MultiTenantRig;
beforeEach(async () => {
  rig = await startMultiTenantRig(azurite);
});
afterEach(async () => {
  await rig.stop();
});

async function cli(args: string[], env: Record<string, string> = rig.settings()) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (l) => out.push(l), err: (l) => err.push(l), env, processEnv: rig.processEnv, credential: rig.managedIdentity });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

/** The tenant rows as they are in the table (not through the store under test). */
async function tenantRows(env: Record<string, string> = rig.settings()): Promise<Record<string, unknown>[]> {
  const state = readStateConfig(env);
  const table = createStateTableClient(state.connection, state.tableName, () => rig.managedIdentity);
  const rows: Record<string, unknown>[] = [];
  try {
    for await (const row of table.listEntities<Record<string, unknown>>({ queryOptions: { filter: `PartitionKey eq '${TENANTS_PARTITION}'` } })) rows.push(row);
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
  }
  return rows;
}

const consentUrl = (tenantId: string): string => `${rig.entra.url}/${tenantId}/adminconsent?client_id=${rig.appId}`;

describe("restorewatch tenant", () => {
  it("add records the tenant, prints its admin-consent URL and verifies with one request as the app in that tenant; list, pause, resume and remove round-trip through the table", async () => {
    const contoso = rig.addCustomer();
    const requestsBefore = rig.graph.requests.length;

    const added = await cli(["tenant", "add", contoso.toUpperCase(), "--name", "Contoso"]);

    expect(added).toMatchObject({ code: 0, err: "" });
    expect(added.out).toContain(`recorded tenant Contoso (${contoso})`);
    expect(added.out).toContain(`  ${consentUrl(contoso)}`);
    expect(added.out).toContain(`verified: restorewatch can read the restore sessions of Contoso (${contoso})`);
    const check = rig.graph.requests.slice(requestsBefore);
    expect(check.map((r) => ({ path: r.path, tenantId: r.tenantId, appId: r.appId, status: r.status }))).toEqual([
      { path: "/v1.0/solutions/backupRestore/restoreSessions?$top=1", tenantId: contoso, appId: rig.appId, status: 200 },
    ]);
    expect(rig.entra.tokenRequests.at(-1)).toMatchObject({ tenant: contoso, clientId: rig.appId, assertionSubject: rig.miObjectId, status: 200 });

    const fabrikam = rig.addCustomer();
    expect((await cli(["tenant", "add", fabrikam, "--name=Fabrikam (EU)"])).code).toBe(0);
    // A run row for Contoso, as a failed run leaves it.
    const state = readStateConfig(rig.settings());
    const table = createStateTableClient(state.connection, state.tableName, () => rig.managedIdentity);
    await new RunMetaStore(table, contoso, newTableCounters()).write({ consecutiveFailures: 2, lastRunAt: "2026-12-01T10:00:00.000Z", lastError: "Graph answered 503" });

    const sorted = [contoso, fabrikam].sort();
    const listed = await cli(["tenant", "list"]);
    expect(listed.code).toBe(0);
    const lines = listed.out.split("\n");
    expect(lines[0]).toMatch(/^LABEL\s+TENANT ID\s+STATE\s+LAST RUN$/);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/)[1])).toEqual(sorted);
    expect(listed.out).toMatch(new RegExp(`Contoso\\s+${contoso}\\s+active\\s+2026-12-01T10:00:00.000Z failed \\(2 in a row: Graph answered 503\\)`));
    expect(listed.out).toMatch(new RegExp(`Fabrikam \\(EU\\)\\s+${fabrikam}\\s+active\\s+never`));

    expect(await cli(["tenant", "pause", contoso])).toMatchObject({ code: 0, out: `tenant Contoso (${contoso}) paused: not polled until restorewatch tenant resume ${contoso}` });
    const json = JSON.parse((await cli(["tenant", "list", "--json"])).out) as { tenantId: string; name: string; paused: boolean; lastRun?: { consecutiveFailures: number } }[];
    expect(json.map((t) => [t.tenantId, t.name, t.paused, t.lastRun?.consecutiveFailures])).toEqual(
      sorted.map((id) => (id === contoso ? [contoso, "Contoso", true, 2] : [fabrikam, "Fabrikam (EU)", false, undefined])),
    );
    expect((await cli(["tenant", "resume", contoso])).code).toBe(0);
    expect((await tenantRows()).find((r) => r["rowKey"] === contoso)).toMatchObject({ name: "Contoso", paused: false });

    expect(await cli(["tenant", "remove", contoso])).toMatchObject({ code: 0, out: `removed tenant Contoso (${contoso}): no longer polled; its state is kept` });
    expect((await tenantRows()).map((r) => r["rowKey"])).toEqual([fabrikam]);
    // The removed tenant's state stays.
    expect((await new RunMetaStore(table, contoso, newTableCounters()).read()).meta.consecutiveFailures).toBe(2);
    for (const verb of ["pause", "resume", "remove", "verify"]) {
      expect(await cli(["tenant", verb, contoso])).toMatchObject({ code: 1, err: `restorewatch: no tenant ${contoso} is recorded (restorewatch tenant list shows the tenants)` });
    }
  });

  it("add before consent records the tenant, prints the consent URL and says consent is missing (exit 3); without the permission it names BackupRestore-Restore.Read.All; verify passes once granted", async () => {
    const tenantId = rig.addCustomer(null);

    const added = await cli(["tenant", "add", tenantId, "--name", "Northwind"]);

    expect(added.code).toBe(3);
    expect(added.out).toContain(consentUrl(tenantId));
    expect(added.err).toContain(`not verified: admin consent not given yet, or withdrawn, in tenant Northwind (${tenantId}): restorewatch's app registration has no service principal there (AADSTS7000229); open ${consentUrl(tenantId)}`);
    expect(added.err).toContain(`the tenant stays recorded: once that is fixed, check with restorewatch tenant verify ${tenantId}`);
    expect((await tenantRows()).map((r) => [r["rowKey"], r["name"]])).toEqual([[tenantId, "Northwind"]]);
    expect(rig.graph.requests.filter((r) => r.tenantId === tenantId)).toEqual([]);

    // Consented, but the app registration did not require the restore permission.
    const principal = rig.entra.provision(rig.appId, tenantId, { roles: ["User.Read.All"] });
    const denied = await cli(["tenant", "verify", tenantId]);
    expect(denied.code).toBe(3);
    expect(denied.err).toMatch(/^not verified: the permission BackupRestore-Restore\.Read\.All is missing: Graph answered 403 /);
    expect(denied.err).toContain(`refused restorewatch's app registration (service principal object id ${principal.objectId}, app id ${rig.appId})`);
    expect(denied.err).toContain(`opens ${consentUrl(tenantId)} again`);

    principal.roles.push(READ_ROLE);
    expect(await cli(["tenant", "verify", tenantId])).toMatchObject({ code: 0, out: `verified: restorewatch can read the restore sessions of Northwind (${tenantId})` });
  });

  it("add from a machine without the managed identity records the tenant and says the check runs in Azure, at its first poll", async () => {
    const tenantId = rig.addCustomer();
    const out: string[] = [];
    const err: string[] = [];
    // What ManagedIdentityCredential gives on a workstation: no identity endpoint here.
    const noIdentity = { getToken: () => Promise.reject(Object.assign(new Error("ManagedIdentityCredential: no managed identity endpoint found"), { name: "CredentialUnavailableError" })) };
    const code = await runCli(["tenant", "add", tenantId, "--name", "Contoso"], { out: (l) => out.push(l), err: (l) => err.push(l), env: rig.settings(), processEnv: rig.processEnv, credential: noIdentity });
    expect(code).not.toBe(0);
    expect(err.join("\n")).toMatch(/not verified: this machine has no managed identity to sign in with.*first poll in Azure is the check: restorewatch tenant list/);
    expect((await tenantRows()).map((r) => r["rowKey"])).toEqual([tenantId]);
  });

  it("add is refused, with nothing written, in managed-identity mode, for an id that is not a GUID, without --name, and for a tenant already recorded", async () => {
    const tenantId = rig.addCustomer();
    const { GRAPH_CLIENT_ID: _app, GRAPH_TENANT_ID: _home, AZURE_AUTHORITY_HOST: _authority, ...managedIdentityMode } = rig.settings();

    expect(await cli(["tenant", "add", tenantId, "--name", "Contoso"], managedIdentityMode)).toEqual({
      code: 2,
      out: "",
      err: `restorewatch: GRAPH_CLIENT_ID is required to sign in to tenant ${tenantId}: a managed identity signs in to its own tenant only`,
    });
    const notGuid = await cli(["tenant", "add", "contoso.onmicrosoft.com", "--name", "Contoso"]);
    expect(notGuid.code).toBe(64);
    expect(notGuid.err).toMatch(/^restorewatch: 'contoso\.onmicrosoft\.com' is not a tenant id: give the customer's Microsoft Entra tenant id, a GUID/);
    expect(await cli(["tenant", "add", tenantId])).toMatchObject({ code: 64, err: expect.stringContaining("the tenant needs a label: --name <label>") });
    expect(await cli(["tenant", "add", tenantId, "--name", "two\nlines"])).toMatchObject({ code: 64, err: expect.stringContaining("one line of text") });
    expect(await tenantRows()).toEqual([]);

    expect((await cli(["tenant", "add", tenantId, "--name", "Contoso"])).code).toBe(0);
    const requests = rig.graph.requests.length;
    const duplicate = await cli(["tenant", "add", tenantId.toUpperCase(), "--name", "Contoso again"]);
    expect(duplicate).toEqual({ code: 1, out: "", err: `restorewatch: tenant ${tenantId} is already recorded as 'Contoso': nothing changed (restorewatch tenant list shows it)` });
    expect((await tenantRows()).map((r) => [r["rowKey"], r["name"]])).toEqual([[tenantId, "Contoso"]]);
    expect(rig.graph.requests.length).toBe(requests);
  });

  it("tenant list with no tenant says the home tenant is watched; 'tenant' alone names its commands; the commands need only the state storage", async () => {
    const empty = await cli(["tenant", "list"], { AzureWebJobsStorage: azurite.connectionString, STATE_TABLE: `rw${randomUUID().replace(/-/g, "").slice(0, 20)}` });
    expect(empty).toMatchObject({ code: 0, out: expect.stringMatching(/^no tenant recorded: restorewatch watches its home tenant only/) });
    const group = await cli(["tenant"]);
    expect(group.code).toBe(64);
    expect(group.err).toContain("restorewatch tenant add <tenantId> --name <label>");
    expect((await cli(["tenant", "--help"])).code).toBe(0);
    expect(await cli(["help", "tenant", "add"])).toMatchObject({ code: 0, out: expect.stringMatching(/^usage: restorewatch tenant add <tenantId> --name <label>/) });
    expect(await cli(["tenant", "frobnicate"])).toMatchObject({ code: 64 });
  });
});

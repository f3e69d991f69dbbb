import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../shared/config/config";
import { ConfigError } from "../../shared/domain/errors";
import { RestoreAccessDeniedError } from "../../shared/graph/restoreAccessDenied";
import { createGraphCredential } from "../../shared/identity/credentials";
import { createPollDeps } from "../../shared/pipeline/createPollDeps";
import type { Logger } from "../../shared/domain/logger";
import { runPoll } from "../../shared/pipeline/poll";
import { EntraEmulator, type EmulatedServicePrincipal } from "../../local/emulators/entraEmulator";
import { GraphEmulator } from "../../local/emulators/graph/graphEmulator";
import { ManagedIdentityEndpoint } from "../../local/emulators/managedIdentityEndpoint";
import { GRAPH_AUDIENCE, TEST_TENANT_ID, TOKEN_EXCHANGE_AUDIENCE, TokenIssuer, entraIssuer } from "../../local/emulators/tokens";
import { useAzurite } from "../support/useAzurite";
import { READ_ROLE } from "../support/pipelineHarness";
import { RecordingChannel } from "../support/recordingChannel";
import { loadTestTls } from "../../local/emulators/tls";

/*
 * The whole chain in both identity modes, with the real @azure/identity credentials: settings as Azure
 * gives them -> loadConfig -> createPollDeps -> runPoll, against Azurite, the managed-identity endpoint,
 * the Entra token endpoint and Graph emulators. One issuer signs the identity's tokens and assertions and
 * Entra's tokens, and every Graph emulator trusts it, so Graph tells principals apart only by their
 * claims: allowedAppIds decides whom it serves.
 *
 * MSAL keeps the managed-identity source (IDENTITY_ENDPOINT, read on first use) and its tokens per
 * process, so this file has one identity endpoint, started before any credential is used.
 */

const issuer = new TokenIssuer();
const MI_CLIENT_ID = randomUUID();
const APP_CLIENT_ID = randomUUID();
/** Another application: the tenant's Backup Storage controller, when Graph serves only that. */
const CONTROLLER_APP_ID = randomUUID();
const IDENTITY_ENV = ["IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT", "MSI_ENDPOINT", "MSI_SECRET", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_AUTHORITY_HOST"] as const;

const azurite = useAzurite();
let identity: ManagedIdentityEndpoint;
let entra: EntraEmulator;
let appPrincipal: EmulatedServicePrincipal;
const savedEnv: Partial<Record<string, string>> = {};
const graphs: GraphEmulator[] = [];

beforeAll(async () => {
  identity = await ManagedIdentityEndpoint.start({ issuer, clientId: MI_CLIENT_ID, tenantId: TEST_TENANT_ID, roles: [READ_ROLE] });
  entra = await EntraEmulator.start({ tls: loadTestTls(), assertionIssuer: issuer, tokenIssuer: issuer });
  // As infra/README.md sets it up: the app, its service principal, a FIC trusting the identity, the grant.
  entra.registerApp({ appId: APP_CLIENT_ID, homeTenantId: TEST_TENANT_ID });
  appPrincipal = entra.provision(APP_CLIENT_ID, TEST_TENANT_ID, { roles: [READ_ROLE] });
  entra.addFederatedCredential(APP_CLIENT_ID, { name: "restorewatch-uami", issuer: entraIssuer(TEST_TENANT_ID), subject: identity.objectId, audiences: [TOKEN_EXCHANGE_AUDIENCE] });
  // The SDK reads the identity endpoint from the process environment; nothing else of the identity's
  // settings goes there, so the authority must reach the credential through loadConfig.
  for (const name of IDENTITY_ENV) {
    savedEnv[name] = process.env[name];
    delete process.env[name];
  }
  process.env["IDENTITY_ENDPOINT"] = identity.endpoint;
  process.env["IDENTITY_HEADER"] = identity.secret;
});

afterEach(async () => {
  await Promise.all(graphs.splice(0).map((g) => g.stop()));
});

afterAll(async () => {
  for (const name of IDENTITY_ENV) {
    const value = savedEnv[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await Promise.all([identity.stop(), entra.stop()]);
});

async function startGraph(allowedAppIds: readonly string[]): Promise<GraphEmulator> {
  const graph = await GraphEmulator.start({ tls: loadTestTls(), issuer, allowedAppIds });
  graphs.push(graph);
  graph.createSession({ workload: "exchange", status: "completed", artifacts: [] });
  graph.createSession({ workload: "sharePoint", status: "failed", artifacts: [{ id: "site-1", status: "failed", error: { code: "ArtifactCannotBeRestored", message: "Preservation lock." } }] });
  return graph;
}

/** The app settings as the function app would have them in Azure, plus the mode's own. */
function azureSettings(graph: GraphEmulator, modeSettings: Record<string, string>): Record<string, string> {
  return {
    AZURE_CLIENT_ID: MI_CLIENT_ID,
    IDENTITY_ENDPOINT: identity.endpoint,
    IDENTITY_HEADER: identity.secret,
    AzureWebJobsStorage: azurite.connectionString,
    STATE_TABLE: `rw${randomUUID().replace(/-/g, "").slice(0, 20)}`,
    GRAPH_ENDPOINT: graph.url,
    GRAPH_MAX_RETRIES: "1",
    ALERT_BASELINE_SINCE: "2020-01-01T00:00:00Z",
    ...modeSettings,
  };
}

function buildRun(settings: Record<string, string>) {
  const config = loadConfig(settings, { requireChannel: false });
  const channel = new RecordingChannel();
  const logs: string[] = [];
  const log: Logger = { info: (m) => logs.push(m), warn: (m) => logs.push(`WARN ${m}`), error: (m) => logs.push(`ERROR ${m}`) };
  // The process environment's opt-in: tokens may go to these two emulators (Graph, and Entra for the assertion).
  const emulatorOrigins = [settings["GRAPH_ENDPOINT"], settings["AZURE_AUTHORITY_HOST"]].filter((origin): origin is string => origin !== undefined);
  return { config, channel, logs, emulatorOrigins, run: () => runPoll(createPollDeps({ config, channels: [channel], graphBaseDelayInMs: 10, emulatorOrigins }), { log }) };
}

interface Mode {
  readonly name: string;
  settings(): Record<string, string>;
  /** Who Graph must see calling: the token's appid and oid. */
  caller(): { appId: string; objectId: string };
  /** How the refused principal is named in the 403 message. */
  refusedPrincipal(): string;
}

const MODES: Mode[] = [
  {
    name: "managed identity",
    settings: () => ({}),
    caller: () => ({ appId: MI_CLIENT_ID, objectId: identity.objectId }),
    refusedPrincipal: () => `refused restorewatch's managed identity (object id ${identity.objectId}, client id ${MI_CLIENT_ID})`,
  },
  {
    name: "app registration trusting the managed identity",
    settings: () => ({ GRAPH_CLIENT_ID: APP_CLIENT_ID, GRAPH_TENANT_ID: TEST_TENANT_ID, AZURE_AUTHORITY_HOST: entra.url }),
    caller: () => ({ appId: APP_CLIENT_ID, objectId: appPrincipal.objectId }),
    refusedPrincipal: () => `refused restorewatch's app registration (service principal object id ${appPrincipal.objectId}, app id ${APP_CLIENT_ID})`,
  },
];

describe.each(MODES)("signed in to Graph as the $name", (mode) => {
  it("alerts on the failed session, and Graph saw this principal's token only", async () => {
    const caller = mode.caller();
    // Graph serves only the mode's principal: a token of the other one would be refused.
    const graph = await startGraph([caller.appId]);
    const entraPostsBefore = entra.tokenRequests.length;
    const { channel, run } = buildRun(azureSettings(graph, mode.settings()));

    const summary = await run();

    expect(summary).toMatchObject({ tenantId: TEST_TENANT_ID, alertsRecorded: 1 });
    expect(channel.sent.flatMap((s) => s.alerts.map((a) => a.session.status))).toEqual(["failed"]);
    expect(graph.requests.length).toBeGreaterThan(0);
    expect(graph.requests.filter((r) => !r.authorized || r.status !== 200)).toEqual([]);
    expect(new Set(graph.requests.map((r) => `${r.appId}/${r.objectId}`))).toEqual(new Set([`${caller.appId}/${caller.objectId}`]));

    const entraPosts = entra.tokenRequests.slice(entraPostsBefore);
    if (mode.settings()["GRAPH_CLIENT_ID"] === undefined) {
      expect(entraPosts).toEqual([]);
      expect(identity.requests).toContainEqual({ resource: GRAPH_AUDIENCE, clientId: MI_CLIENT_ID, headerOk: true });
    } else {
      // The identity made the assertion; Entra exchanged it for the app's Graph token in GRAPH_TENANT_ID.
      expect(identity.requests).toContainEqual({ resource: TOKEN_EXCHANGE_AUDIENCE, clientId: MI_CLIENT_ID, headerOk: true });
      expect(entraPosts).toEqual([{ tenant: TEST_TENANT_ID, clientId: APP_CLIENT_ID, scope: `${GRAPH_AUDIENCE}/.default`, assertionSubject: identity.objectId, status: 200 }]);
      expect(entra.metadataRequests).toContain(TEST_TENANT_ID);
    }
  });

  it("Graph's 403 becomes one message naming the permission, the principal refused, the grant command and the controller way out", async () => {
    const caller = mode.caller();
    const graph = await startGraph([CONTROLLER_APP_ID]);
    const { run } = buildRun(azureSettings(graph, mode.settings()));

    const error: unknown = await run().then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(RestoreAccessDeniedError);
    const message = (error as Error).message;
    expect(message).toMatch(/^Graph answered 403 Forbidden for \/v1\.0\/solutions\/backupRestore\/restoreSessions: /);
    expect(message).toContain(mode.refusedPrincipal());
    expect(message).toContain(`application permission BackupRestore-Restore.Read.All: restorewatch grant-graph-permission --principal-id ${caller.objectId}`);
    expect(message).toContain("Microsoft 365 Backup may accept only the tenant's registered Backup Storage controller app");
    expect(message).toContain("GRAPH_CLIENT_ID");
    expect(message).toContain("infra/README.md");
    expect((error as RestoreAccessDeniedError).principal).toEqual({ kind: mode.settings()["GRAPH_CLIENT_ID"] === undefined ? "managedIdentity" : "appRegistration", ...caller });
    expect(graph.requests.map((r) => [r.appId, r.status])).toEqual([[caller.appId, 403]]);
  });
});

it("an app registration whose federated credential trusts another subject cannot sign in: the run fails with Entra's AADSTS700213, and Graph is never called", async () => {
  const misconfigured = entra.registerApp({ homeTenantId: TEST_TENANT_ID });
  entra.provision(misconfigured.appId, TEST_TENANT_ID, { roles: [READ_ROLE] });
  // The identity's client id where its object (principal) id belongs: a mistake Entra accepts at creation.
  entra.addFederatedCredential(misconfigured.appId, { name: "wrong-subject", issuer: entraIssuer(TEST_TENANT_ID), subject: MI_CLIENT_ID, audiences: [TOKEN_EXCHANGE_AUDIENCE] });
  const graph = await startGraph([misconfigured.appId]);
  const { run } = buildRun(azureSettings(graph, { GRAPH_CLIENT_ID: misconfigured.appId, GRAPH_TENANT_ID: TEST_TENANT_ID, AZURE_AUTHORITY_HOST: entra.url }));

  await expect(run()).rejects.toThrow(/could not get a token for Microsoft Graph: .*AADSTS700213/);
  expect(entra.tokenRequests.at(-1)).toMatchObject({ clientId: misconfigured.appId, status: 401, errorCode: 700213 });
  expect(graph.requests).toEqual([]);
});

it("the tenant is a parameter of the Graph credential: a multi-tenant app signs in to a customer tenant that consented; the managed identity refuses any tenant", async () => {
  const customer = randomUUID();
  entra.addTenant(customer);
  const multiTenant = entra.registerApp({ homeTenantId: TEST_TENANT_ID, multiTenant: true });
  entra.addFederatedCredential(multiTenant.appId, { name: "restorewatch-uami", issuer: entraIssuer(TEST_TENANT_ID), subject: identity.objectId, audiences: [TOKEN_EXCHANGE_AUDIENCE] });
  const consented = entra.provision(multiTenant.appId, customer, { roles: [READ_ROLE] });
  const graph = await startGraph([multiTenant.appId]);
  const { config, emulatorOrigins } = buildRun(azureSettings(graph, { GRAPH_CLIENT_ID: multiTenant.appId, GRAPH_TENANT_ID: TEST_TENANT_ID, AZURE_AUTHORITY_HOST: entra.url }));
  // The assertion goes to the authority host: a host that is not Microsoft's must be an emulator the process trusts.
  expect(() => createGraphCredential(config.identity, customer)).toThrow(/^AZURE_AUTHORITY_HOST must be a Microsoft Entra login host/);

  const token = await createGraphCredential(config.identity, customer, { emulatorOrigins }).getToken(`${GRAPH_AUDIENCE}/.default`);
  expect(issuer.verify(token?.token ?? "")).toMatchObject({ ok: true, claims: { tid: customer, appid: multiTenant.appId, oid: consented.objectId, roles: [READ_ROLE] } });
  // GRAPH_TENANT_ID, where this app has no service principal.
  await expect(createGraphCredential(config.identity, undefined, { emulatorOrigins }).getToken(`${GRAPH_AUDIENCE}/.default`)).rejects.toThrow(/AADSTS7000229/);

  const { config: managedIdentityConfig } = buildRun(azureSettings(graph, {}));
  expect(() => createGraphCredential(managedIdentityConfig.identity, customer)).toThrow(ConfigError);
  expect(() => createGraphCredential(managedIdentityConfig.identity, customer)).toThrow(`GRAPH_CLIENT_ID is required to sign in to tenant ${customer}`);
});

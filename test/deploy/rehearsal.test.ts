import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { TableClient } from "@azure/data-tables";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildFunctionsHostBundle } from "../../local/functionsHost/bundle";
import { buildDeployPackage } from "../../scripts/deployPackage";
import { AcsEmailEmulator } from "../../local/emulators/acsEmailEmulator";
import { GraphEmulator, type EmulatedSession } from "../../local/emulators/graph/graphEmulator";
import { EntraEmulator } from "../../local/emulators/entraEmulator";
import { ManagedIdentityEndpoint } from "../../local/emulators/managedIdentityEndpoint";
import { TeamsReceiver } from "../../local/emulators/teamsReceiver";
import { GRAPH_AUDIENCE, TokenIssuer } from "../../local/emulators/tokens";
import { deployedKeyVaults, loadCompiledTemplate, siteAppSettings, standInPlatform, type ArmValue } from "../support/arm";
import { startAzuriteTable, type AzuriteTable } from "../../local/emulators/azurite";
import { FunctionsHostProcess, type HostReadyMessage } from "../support/functionsHostProcess";
import { resolveKeyVaultReferences, type KeyVaultResolution } from "../support/keyVaultReferences";
import { loadTestTls } from "../../local/emulators/tls";

/**
 * A rehearsal of the deployed app. The deploy package as shipped (`npm run package`), unzipped into an
 * empty folder, runs in the emulated Functions host on plain node with the app settings Azure would give
 * it from the compiled infra/main.bicep; the platform stand-in points only the endpoints at local
 * stand-ins. The timer then fires on its real schedule (sped up) and the run records and delivers an alert.
 */

const READ_ROLE = "BackupRestore-Restore.Read.All";
const STORAGE_AUDIENCE = "https://storage.azure.com";
const MINUTE_MS = 60_000;

/** The stand-in platform's tenant, where the identity and the restore sessions live. */
const TENANT_ID = standInPlatform().tenantId;
/** The user-assigned identity the stand-in platform gives the deployment. */
const IDENTITY = { clientId: "5c7e0d1a-8f2b-4c3d-9e4f-0a1b2c3d4e5f", principalId: "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a" } as const;
/** An Azure-managed email domain's shape: <id>.azurecomm.net. */
const EMAIL_SENDER_DOMAIN = "d3f1c2b4-rehearsal.azurecomm.net";
const ALERT_EMAIL_TO = "backup-admins@contoso.com";
/**
 * What only the real Functions host would use: blob and queue storage (timer locks, the deployment
 * container) and Application Insights. Neither the emulated host nor the package calls them; they point
 * at loopback port 9 (discard), so that an unexpected use fails here instead of reaching Azure.
 */
const HOST_ONLY_ENDPOINT = "https://127.0.0.1:9";
/** A 5-minute occurrence comes within a second of real time. */
const CLOCK_SPEED = 300;

/** The session the test alert's sample names (shared/pipeline/testAlert.ts). */
const SAMPLE_SESSION_ID = "00000000-0000-0000-0000-000000000000";

/** Settings every rehearsal adds on top of the ARM settings (each identity mode adds its own too). */
const ADDED_IN_EVERY_MODE = ["GRAPH_ENDPOINT", "RESTOREWATCH_EMULATOR_ORIGINS", "TEAMS_WEBHOOK_ALLOWED_HOSTS", "NODE_EXTRA_CA_CERTS", "PATH"] as const;
/** The app registration of the second identity mode (deployment parameter graphAppClientId). */
const APP_CLIENT_ID = "2b6d4f80-1c3e-4a5b-8d7c-9e0f1a2b3c4d";

interface StandInIdentity {
  readonly clientId: string;
  readonly principalId: string;
}

/** The local services that hand the app its tokens, as the platform (and Entra ID) provide them. */
interface TokenService {
  /** What the platform puts in the app's environment for it (not app settings). */
  readonly environment: Readonly<Record<string, string>>;
  /** Origins of these services that receive tokens (the emulator opt-in, beside the Graph emulator's). */
  readonly emulatorOrigins: readonly string[];
  /** The app id whose tokens the Graph emulator accepts, and no other. */
  readonly graphCaller: string;
  stop(): Promise<void>;
}

/** How the deployed app gets its tokens: one case of the rehearsal. */
interface IdentityMode {
  readonly name: string;
  /** Bicep parameters of this mode, beside the channels' and the baseline. */
  readonly parameters: Readonly<Record<string, ArmValue>>;
  /** The names of the settings startTokenService adds: with ADDED_IN_EVERY_MODE, all the rehearsal adds. */
  readonly addedSettings: readonly string[];
  /** What the template sets for Graph sign-in in this mode (undefined: not set). */
  readonly graphSignIn: { readonly GRAPH_CLIENT_ID?: string; readonly GRAPH_TENANT_ID?: string };
  startTokenService(context: { readonly issuer: TokenIssuer; readonly identity: StandInIdentity; readonly tenantId: string }): Promise<TokenService>;
}

const IDENTITY_MODES: readonly IdentityMode[] = [
  {
    name: "user-assigned managed identity",
    parameters: {},
    addedSettings: ["IDENTITY_ENDPOINT", "IDENTITY_HEADER"],
    graphSignIn: {},
    async startTokenService({ issuer, identity, tenantId }) {
      // Serves only the deployment's identity: a request for any other client id gets 400.
      const endpoint = await ManagedIdentityEndpoint.start({ issuer, roles: [READ_ROLE], clientId: identity.clientId, objectId: identity.principalId, tenantId });
      return { environment: { IDENTITY_ENDPOINT: endpoint.endpoint, IDENTITY_HEADER: endpoint.secret }, emulatorOrigins: [], graphCaller: identity.clientId, stop: () => endpoint.stop() };
    },
  },
  {
    name: "app registration trusting the managed identity",
    parameters: { graphAppClientId: APP_CLIENT_ID },
    // AZURE_AUTHORITY_HOST: an endpoint, as GRAPH_ENDPOINT is (in Azure the default, Microsoft Entra ID, applies).
    addedSettings: ["IDENTITY_ENDPOINT", "IDENTITY_HEADER", "AZURE_AUTHORITY_HOST"],
    graphSignIn: { GRAPH_CLIENT_ID: APP_CLIENT_ID, GRAPH_TENANT_ID: TENANT_ID },
    async startTokenService({ issuer, identity, tenantId }) {
      // The identity holds no Graph role here: only the app registration does, as infra/README.md sets it up.
      const endpoint = await ManagedIdentityEndpoint.start({ issuer, roles: [], clientId: identity.clientId, objectId: identity.principalId, tenantId });
      const entra = await EntraEmulator.start({ tls: loadTestTls(), assertionIssuer: issuer, tokenIssuer: issuer });
      entra.registerApp({ appId: APP_CLIENT_ID, homeTenantId: tenantId });
      entra.provision(APP_CLIENT_ID, tenantId, { roles: [READ_ROLE] });
      entra.addFederatedCredential(APP_CLIENT_ID, { name: "restorewatch-uami", issuer: `https://login.microsoftonline.com/${tenantId}/v2.0`, subject: identity.principalId, audiences: ["api://AzureADTokenExchange"] });
      return {
        environment: { IDENTITY_ENDPOINT: endpoint.endpoint, IDENTITY_HEADER: endpoint.secret, AZURE_AUTHORITY_HOST: entra.url },
        emulatorOrigins: [entra.url],
        graphCaller: APP_CLIENT_ID,
        stop: async () => {
          await Promise.all([endpoint.stop(), entra.stop()]);
        },
      };
    },
  },
];

/** A restore session that failed after the baseline time, in the simulated tenant before the run. */
function failedSession(graph: GraphEmulator, completedAt: Date): EmulatedSession {
  return graph.createSession({
    workload: "sharePoint",
    status: "failed",
    createdDateTime: new Date(completedAt.getTime() - 20 * MINUTE_MS).toISOString(),
    completedDateTime: completedAt.toISOString(),
    lastModifiedDateTime: completedAt.toISOString(),
    artifacts: [{ id: "site-1", status: "failed", name: "Finance", webUrl: "https://contoso.sharepoint.com/sites/finance", error: { code: "ArtifactCannotBeRestored", message: "Restore of Finance failed." } }],
  });
}

/** Query Tables, the account's table list, with the given Authorization header (or none). */
async function listTables(tableEndpoint: string, authorization?: string): Promise<Response> {
  return fetch(`${tableEndpoint}/Tables`, {
    headers: { accept: "application/json;odata=nometadata", "x-ms-version": "2019-02-02", "x-ms-date": new Date().toUTCString(), ...(authorization && { authorization }) },
  });
}

/** Status, error code and (for a refused token) Azurite's reason. */
async function refusal(response: Response): Promise<{ status: number; code: string | null; detail?: string }> {
  const detail = /<AuthenticationErrorDetail>([^<]*)<\/AuthenticationErrorDetail>/.exec(await response.text())?.[1];
  return { status: response.status, code: response.headers.get("x-ms-error-code"), ...(detail !== undefined && { detail }) };
}

describe.each(IDENTITY_MODES)("rehearsal of the deployed app ($name)", (mode) => {
  const cleanup: (() => Promise<unknown> | void)[] = [];
  const issuer = new TokenIssuer();
  let azurite: AzuriteTable;
  let graph: GraphEmulator;
  let acs: AcsEmailEmulator;
  let teams: TeamsReceiver;
  let armSettings: Record<string, string>;
  let keyVault: KeyVaultResolution;
  /** Every setting the rehearsal adds to or overrides in the ARM settings. */
  let added: Record<string, string>;
  let unpacked: string;
  let host: FunctionsHostProcess;
  let ready: HostReadyMessage;
  let session: EmulatedSession;
  let testAlertAnswer: { status: number; body: unknown };

  beforeAll(async () => {
    const work = mkdtempSync(path.join(tmpdir(), "restorewatch-rehearsal-"));
    cleanup.push(() => rmSync(work, { recursive: true, force: true }));
    const tls = loadTestTls();
    const [pkg, hostJs] = await Promise.all([buildDeployPackage(path.join(work, "out")), buildFunctionsHostBundle(path.join(work, "functions-host.js"))]);
    unpacked = path.join(work, "wwwroot");
    execFileSync("unzip", ["-q", pkg.zipPath, "-d", unpacked]);

    const tokenService = await mode.startTokenService({ issuer, identity: IDENTITY, tenantId: TENANT_ID });
    cleanup.push(() => tokenService.stop());
    [azurite, graph, acs, teams] = await Promise.all([
      startAzuriteTable({ oauth: { certPath: tls.certPath, keyPath: tls.keyPath } }),
      // Graph accepts only the mode's principal: the run succeeds only with the token the mode should use.
      GraphEmulator.start({ tls, issuer, allowedAppIds: [tokenService.graphCaller] }),
      AcsEmailEmulator.start({ tls, issuer, linkedSenderDomains: [EMAIL_SENDER_DOMAIN], retryAfterSeconds: 0 }),
      TeamsReceiver.start({ tls }),
    ]);
    cleanup.push(() => azurite.stop(), () => graph.stop(), () => acs.stop(), () => teams.stop());

    const platform = standInPlatform({
      tenantId: TENANT_ID,
      identity: IDENTITY,
      storageEndpoints: { blob: `${HOST_ONLY_ENDPOINT}/blob/`, queue: `${HOST_ONLY_ENDPOINT}/queue/`, table: `${azurite.tableEndpoint}/` },
      appInsightsConnectionString: `InstrumentationKey=00000000-0000-4000-8000-000000000a1a;IngestionEndpoint=${HOST_ONLY_ENDPOINT}/`,
      acsHostName: new URL(acs.endpoint).host,
      emailSenderDomain: EMAIL_SENDER_DOMAIN,
    });
    const now = Date.now();
    const parameters = { alertEmailTo: ALERT_EMAIL_TO, teamsWebhookUrl: teams.url, alertBaselineSince: new Date(now - 60 * MINUTE_MS).toISOString(), ...mode.parameters };
    const { template } = loadCompiledTemplate();
    armSettings = siteAppSettings(template, { parameters, platform });
    keyVault = resolveKeyVaultReferences(armSettings, deployedKeyVaults(template, { parameters, platform }));
    added = {
      // Not an app setting in Azure, where the code's default (Microsoft Graph) applies.
      GRAPH_ENDPOINT: graph.url,
      // The process environment's opt-in to send tokens to these emulators (unset in Azure).
      RESTOREWATCH_EMULATOR_ORIGINS: [graph.url, ...tokenService.emulatorOrigins].join(","),
      // The one non-endpoint setting: the Teams receiver listens on 127.0.0.1, which the app's webhook
      // URL validation refuses unless this setting names it.
      TEAMS_WEBHOOK_ALLOWED_HOSTS: new URL(teams.url).host,
      ...tokenService.environment,
      // Test plumbing: the stand-ins' self-signed certificate, and a PATH.
      NODE_EXTRA_CA_CERTS: tls.certPath,
      PATH: process.env["PATH"] ?? "",
    };

    session = failedSession(graph, new Date(now - 10 * MINUTE_MS));
    host = FunctionsHostProcess.start({ hostJs, appDir: unpacked, env: { ...keyVault.settings, ...added }, speed: CLOCK_SPEED });
    cleanup.push(() => host.stop());
    ready = await host.ready;
    await host.firstFired();
    // The operator's check after a deployment: the test alert, sent by the app with its identity and its resolved settings.
    const testAlert = await fetch(ready.http.functions.find((fn) => fn.name === "opsTestAlert")?.url ?? "", { method: "POST", headers: { "x-functions-key": ready.http.keys.master } });
    testAlertAnswer = { status: testAlert.status, body: await testAlert.json() };
    // Stopped before anything is read: a run still in flight (the sped-up schedule may start another) finishes first.
    await host.stop();
  }, 60_000);

  afterAll(async () => {
    const failures: unknown[] = [];
    for (const step of cleanup.reverse()) await Promise.resolve().then(step).catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw new AggregateError(failures, "rehearsal clean-up failed");
  });

  it("takes every setting from the ARM template but the endpoints it cannot know", () => {
    expect(Object.keys(added).sort()).toEqual([...ADDED_IN_EVERY_MODE, ...mode.addedSettings].sort());
    expect(Object.keys(added).filter((name) => name in armSettings)).toEqual([]); // all added, none overridden

    // Storage through the identity: the table endpoint and client id, and no connection string.
    expect(armSettings).toMatchObject({
      AzureWebJobsStorage__credential: "managedidentity",
      AzureWebJobsStorage__clientId: IDENTITY.clientId,
      AzureWebJobsStorage__tableServiceUri: `${azurite.tableEndpoint}/`,
      AZURE_CLIENT_ID: IDENTITY.clientId,
      POLL_SCHEDULE: "0 */5 * * * *",
      NODE_OPTIONS: "--enable-source-maps",
      ACS_ENDPOINT: acs.endpoint,
      ALERT_EMAIL_FROM: `DoNotReply@${EMAIL_SENDER_DOMAIN}`,
      ALERT_EMAIL_TO,
    });
    expect(Object.keys(armSettings).filter((name) => name === "AzureWebJobsStorage" || name === "STATE_STORAGE")).toEqual([]);
    // Graph sign-in: the managed identity, or (graphAppClientId) the app registration in the deployment's tenant.
    expect({ GRAPH_CLIENT_ID: armSettings["GRAPH_CLIENT_ID"], GRAPH_TENANT_ID: armSettings["GRAPH_TENANT_ID"] }).toEqual({ GRAPH_CLIENT_ID: undefined, GRAPH_TENANT_ID: undefined, ...mode.graphSignIn });

    // The Teams webhook URL is in no setting: a Key Vault reference, resolved as App Service would.
    expect(armSettings["TEAMS_WEBHOOK_URL"]).toMatch(/^@Microsoft\.KeyVault\(SecretUri=https:\/\/kv-[a-z0-9-]+\.vault\.azure\.net\/secrets\/teams-webhook-url\)$/);
    expect(keyVault.unresolved).toEqual([]);
    expect(keyVault.resolved).toEqual(["TEAMS_WEBHOOK_URL"]);
    expect(keyVault.settings["TEAMS_WEBHOOK_URL"]).toBe(teams.url);
  });

  it("reaches the state table only with a bearer token from the identity: Azurite refuses a request without a valid one", async () => {
    // Azurite's basic OAuth checks a token's issuer, audience and lifetime, not its signature: any issuer's token will do.
    const probe = new TokenIssuer();
    const bearer = (audience: string, lifetimeInSeconds = 600): string => `Bearer ${probe.issue({ audience, tenantId: TENANT_ID, lifetimeInSeconds }).token}`;
    expect(await refusal(await listTables(azurite.tableEndpoint))).toEqual({ status: 403, code: "AuthorizationFailure" });
    expect(await refusal(await listTables(azurite.tableEndpoint, bearer(GRAPH_AUDIENCE)))).toEqual({ status: 403, code: "AuthenticationFailed", detail: "Invalid token audience." });
    expect(await refusal(await listTables(azurite.tableEndpoint, bearer(STORAGE_AUDIENCE, -60)))).toEqual({ status: 403, code: "AuthenticationFailed", detail: "Lifetime validation failed. The token is expired." });
    const accepted = await listTables(azurite.tableEndpoint, bearer(STORAGE_AUDIENCE));
    expect(accepted.status).toBe(200);
    // The app created its table, with the only credential it has: its identity's storage token.
    expect(await accepted.json()).toEqual({ value: [{ TableName: armSettings["STATE_TABLE"] }] });
    expect(issuer.issued.filter((claims) => claims.aud === STORAGE_AUDIENCE).length).toBeGreaterThan(0);
  });

  it("runs the unpacked package on plain node, with source maps on from NODE_OPTIONS before the app loads", () => {
    expect(ready.entryFiles).toEqual([path.join(unpacked, "index.js")]);
    expect(ready.sourceMapsEnabledAtStart).toBe(true);
    expect(ready.functions).toEqual([
      { name: "pollRestoreSessions", triggerType: "timerTrigger", schedule: "%POLL_SCHEDULE%", runOnStartup: false },
      { name: "opsTestAlert", triggerType: "httpTrigger", runOnStartup: false },
      { name: "pollTenant", triggerType: "queueTrigger", runOnStartup: false },
      { name: "tenantPollPoison", triggerType: "queueTrigger", runOnStartup: false },
    ]);
  });

  it("fires the timer on its schedule, records the failed session's alert and delivers it by email and to Teams", async () => {
    expect(host.fired.length, host.printed).toBeGreaterThan(0);
    for (const fired of host.fired) expect(fired, host.printed).toMatchObject({ name: "pollRestoreSessions", reason: "schedule", isPastDue: false, ok: true });
    // An occurrence of 0 */5 * * * * on the host's (sped-up) clock.
    const scheduledAt = new Date(host.fired[0]?.scheduledAt ?? Number.NaN);
    expect([scheduledAt.getUTCMinutes() % 5, scheduledAt.getUTCSeconds(), scheduledAt.getUTCMilliseconds()]).toEqual([0, 0, 0]);

    // Read back through a table client of the test's own (the account key; the app has none).
    const table = TableClient.fromConnectionString(azurite.connectionString, armSettings["STATE_TABLE"] ?? "");
    const alerts = [];
    for await (const entity of table.listEntities<Record<string, unknown>>({ queryOptions: { filter: "RowKey ge 'alert_' and RowKey lt 'alert`'" } })) alerts.push(entity);
    expect(alerts).toHaveLength(1);
    const [alert] = alerts;
    expect(alert).toMatchObject({ partitionKey: TENANT_ID, rowKey: `alert_${session.id}_failed`, kind: "status", status: "failed", sessionId: session.id, pending: false });
    const deliveries = JSON.parse(String(alert?.["deliveries"])) as Record<string, { state: string; messageId?: string }>;
    expect(deliveries).toEqual({ email: expect.objectContaining({ state: "delivered" }), teams: expect.objectContaining({ state: "delivered" }) });

    // The test alert's email and card (the sample session's) are checked below.
    const emails = acs.messages.filter((message) => !message.plainText?.includes(SAMPLE_SESSION_ID));
    expect(emails).toHaveLength(1);
    const [email] = emails;
    expect(email).toMatchObject({ sender: `DoNotReply@${EMAIL_SENDER_DOMAIN}`, recipients: { to: [ALERT_EMAIL_TO] }, auth: "bearer" });
    expect(email?.plainText).toContain(session.id);
    expect(acs.operations.get(email?.operationId ?? "")?.status).toBe("Succeeded");
    expect(deliveries["email"]?.messageId).toBe(email?.operationId);

    const posts = teams.posts.filter((post) => !JSON.stringify(post.body).includes(SAMPLE_SESSION_ID));
    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatchObject({ answeredWith: 202 });
    expect(JSON.stringify(posts[0]?.body)).toContain(session.id);
  });

  it("sends the test alert through both channels when the operator calls opsTestAlert with the master key", () => {
    expect(testAlertAnswer.status).toBe(200);
    const sampleEmails = acs.messages.filter((message) => message.plainText?.includes(SAMPLE_SESSION_ID));
    expect(sampleEmails).toHaveLength(1);
    // ACS with the deployment's identity, Teams at the URL the Key Vault reference resolved to.
    expect(sampleEmails[0]).toMatchObject({ sender: `DoNotReply@${EMAIL_SENDER_DOMAIN}`, recipients: { to: [ALERT_EMAIL_TO] }, auth: "bearer" });
    expect(teams.posts.filter((post) => JSON.stringify(post.body).includes(SAMPLE_SESSION_ID))).toHaveLength(1);
    expect(testAlertAnswer.body).toEqual({
      alertId: expect.any(String),
      channels: [
        { channel: "email", outcome: "delivered", messageId: sampleEmails[0]?.operationId },
        { channel: "teams", outcome: "delivered", messageId: expect.stringMatching(/^HTTP 202/) },
      ],
    });
  });
});

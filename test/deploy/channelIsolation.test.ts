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
import { ManagedIdentityEndpoint } from "../../local/emulators/managedIdentityEndpoint";
import { TeamsReceiver } from "../../local/emulators/teamsReceiver";
import { TokenIssuer } from "../../local/emulators/tokens";
import { deployedKeyVaults, loadCompiledTemplate, siteAppSettings, standInPlatform } from "../support/arm";
import { startAzuriteTable, type AzuriteTable } from "../../local/emulators/azurite";
import { FunctionsHostProcess } from "../support/functionsHostProcess";
import { resolveKeyVaultReferences, type KeyVaultResolution } from "../support/keyVaultReferences";
import { loadTestTls } from "../../local/emulators/tls";

/**
 * Channel isolation in the deployed app: the deploy package in the emulated Functions host, with the
 * app settings of the compiled infra/main.bicep (as test/deploy/rehearsal.test.ts runs it), where the
 * identity cannot read the Key Vault, so TEAMS_WEBHOOK_URL still holds its reference. The run still
 * records the failed session and emails it, with a notice naming the setting. Then access is granted
 * and the app restarts (as App Service does when a reference is fixed): the held alert goes to Teams once.
 */
const READ_ROLE = "BackupRestore-Restore.Read.All";
const MINUTE_MS = 60_000;
const IDENTITY = { clientId: "5c7e0d1a-8f2b-4c3d-9e4f-0a1b2c3d4e5f", principalId: "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a" } as const;
const TENANT_ID = standInPlatform().tenantId;
const EMAIL_SENDER_DOMAIN = "d3f1c2b4-rehearsal.azurecomm.net";
/** Blob, queue and Application Insights: used only by the real host; loopback port 9 (discard). */
const HOST_ONLY_ENDPOINT = "https://127.0.0.1:9";

describe("channel isolation in the deployed app: Teams' Key Vault reference does not resolve", () => {
  const cleanup: (() => Promise<unknown> | void)[] = [];
  const issuer = new TokenIssuer();
  let azurite: AzuriteTable;
  let acs: AcsEmailEmulator;
  let teams: TeamsReceiver;
  let stateTable: string;
  let session: EmulatedSession;
  let denied: KeyVaultResolution;
  let granted: KeyVaultResolution;
  let hostJs: string;
  let appDir: string;
  let env: Record<string, string>;

  /** Starts the app with these settings, waits for its first timer run, and stops it (a run in flight finishes first). */
  async function runApp(settings: Record<string, string>): Promise<FunctionsHostProcess> {
    const host = FunctionsHostProcess.start({ hostJs, appDir, env: { ...settings, ...env }, speed: 300 });
    cleanup.push(() => host.stop());
    await host.ready;
    await host.firstFired();
    await host.stop();
    return host;
  }

  beforeAll(async () => {
    const work = mkdtempSync(path.join(tmpdir(), "restorewatch-isolation-"));
    cleanup.push(() => rmSync(work, { recursive: true, force: true }));
    const tls = loadTestTls();
    const [pkg, bundle] = await Promise.all([buildDeployPackage(path.join(work, "out")), buildFunctionsHostBundle(path.join(work, "functions-host.js"))]);
    hostJs = bundle;
    appDir = path.join(work, "wwwroot");
    execFileSync("unzip", ["-q", pkg.zipPath, "-d", appDir]);

    const identityEndpoint = await ManagedIdentityEndpoint.start({ issuer, roles: [READ_ROLE], clientId: IDENTITY.clientId, objectId: IDENTITY.principalId, tenantId: TENANT_ID });
    cleanup.push(() => identityEndpoint.stop());
    let graph: GraphEmulator;
    [azurite, graph, acs, teams] = await Promise.all([
      startAzuriteTable({ oauth: { certPath: tls.certPath, keyPath: tls.keyPath } }),
      GraphEmulator.start({ tls, issuer, allowedAppIds: [IDENTITY.clientId] }),
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
    const options = { parameters: { alertEmailTo: "backup-admins@contoso.com", teamsWebhookUrl: teams.url, alertBaselineSince: new Date(Date.now() - 60 * MINUTE_MS).toISOString() }, platform };
    const { template } = loadCompiledTemplate();
    const armSettings = siteAppSettings(template, options);
    stateTable = armSettings["STATE_TABLE"] ?? "";
    const vaults = deployedKeyVaults(template, options);
    // The identity lacks Key Vault Secrets User: App Service leaves the reference as the setting's value.
    denied = resolveKeyVaultReferences(armSettings, vaults.map((vault) => ({ ...vault, accessDenied: true })));
    granted = resolveKeyVaultReferences(armSettings, vaults);
    env = {
      GRAPH_ENDPOINT: graph.url,
      RESTOREWATCH_EMULATOR_ORIGINS: graph.url,
      TEAMS_WEBHOOK_ALLOWED_HOSTS: new URL(teams.url).host,
      IDENTITY_ENDPOINT: identityEndpoint.endpoint,
      IDENTITY_HEADER: identityEndpoint.secret,
      NODE_EXTRA_CA_CERTS: tls.certPath,
      PATH: process.env["PATH"] ?? "",
    };
    const completedAt = new Date(Date.now() - 10 * MINUTE_MS);
    session = graph.createSession({
      workload: "sharePoint",
      status: "failed",
      createdDateTime: new Date(completedAt.getTime() - 20 * MINUTE_MS).toISOString(),
      completedDateTime: completedAt.toISOString(),
      lastModifiedDateTime: completedAt.toISOString(),
      artifacts: [{ id: "site-1", status: "failed", name: "Finance", webUrl: "https://contoso.sharepoint.com/sites/finance", error: { code: "ArtifactCannotBeRestored", message: "Restore of Finance failed." } }],
    });
  }, 90_000);

  afterAll(async () => {
    const failures: unknown[] = [];
    for (const step of cleanup.reverse()) await Promise.resolve().then(step).catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw new AggregateError(failures, "clean-up failed");
  });

  it("emails the alert with a notice naming TEAMS_WEBHOOK_URL and records it; once the vault is readable, Teams gets the held alert once", async () => {
    expect(denied.unresolved).toEqual([expect.objectContaining({ setting: "TEAMS_WEBHOOK_URL", status: "AccessToKeyVaultDenied" })]);
    expect(denied.settings["TEAMS_WEBHOOK_URL"]).toMatch(/^@Microsoft\.KeyVault\(/);

    const first = await runApp(denied.settings);
    // The run succeeds (email is usable): no failed invocation, the summary names the disabled channel.
    for (const fired of first.fired) expect(fired, first.printed).toMatchObject({ name: "pollRestoreSessions", ok: true });
    expect(first.printed).toMatch(/restorewatch run .* alertsRecorded=1 .*channelsDisabled=teams/);
    expect(first.printed).not.toContain(teams.secret);

    const alertEmails = acs.messages.filter((m) => m.plainText?.includes(session.id));
    expect(alertEmails).toHaveLength(1);
    const notices = acs.messages.filter((m) => m.subject.includes("cannot send alerts to Teams"));
    expect(notices).toHaveLength(1);
    expect(notices[0]?.subject).toBe("[restorewatch] restorewatch cannot send alerts to Teams: check TEAMS_WEBHOOK_URL");
    expect(notices[0]?.plainText).toMatch(/TEAMS_WEBHOOK_URL is a Key Vault reference that did not resolve[\s\S]*Key Vault Secrets User/);
    expect(teams.posts).toEqual([]);

    const table = TableClient.fromConnectionString(azurite.connectionString, stateTable);
    const alertRow = await table.getEntity<Record<string, unknown>>(TENANT_ID, `alert_${session.id}_failed`);
    expect(alertRow).toMatchObject({ pending: true });
    expect(JSON.parse(String(alertRow["deliveries"]))).toEqual({ email: expect.objectContaining({ state: "delivered" }), teams: { state: "pending", attempts: 0 } });

    // Key Vault Secrets User granted; the platform resolves the reference on the restart.
    expect(granted.unresolved).toEqual([]);
    const second = await runApp(granted.settings);
    for (const fired of second.fired) expect(fired, second.printed).toMatchObject({ ok: true });
    const alertPosts = teams.posts.filter((p) => p.answeredWith === 202 && JSON.stringify(p.body).includes(session.id));
    expect(alertPosts).toHaveLength(1);
    expect(acs.messages.filter((m) => m.plainText?.includes(session.id))).toHaveLength(1);
    expect(acs.messages.filter((m) => m.subject.includes("sends alerts to Teams again"))).toHaveLength(1);
    const after = await table.getEntity<Record<string, unknown>>(TENANT_ID, `alert_${session.id}_failed`);
    expect(after).toMatchObject({ pending: false });
    expect(JSON.parse(String(after["deliveries"]))).toMatchObject({ teams: { state: "delivered", attempts: 1 } });
  });
});

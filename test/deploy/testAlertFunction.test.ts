import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { TableServiceClient } from "@azure/data-tables";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildFunctionsHostBundle } from "../../local/functionsHost/bundle";
import { buildDeployPackage } from "../../scripts/deployPackage";
import { ACS_AUDIENCE, AcsEmailEmulator } from "../../local/emulators/acsEmailEmulator";
import { ManagedIdentityEndpoint } from "../../local/emulators/managedIdentityEndpoint";
import { TeamsReceiver } from "../../local/emulators/teamsReceiver";
import { TokenIssuer } from "../../local/emulators/tokens";
import { startAzuriteTable, type AzuriteTable } from "../../local/emulators/azurite";
import { loadTestTls } from "../../local/emulators/tls";
import { FunctionsHostProcess, type HostReadyMessage } from "../support/functionsHostProcess";
import type { TestAlertResult } from "../../shared/pipeline/testAlert";

/**
 * The test alert from the deployed app: the deploy package as shipped runs in the emulated Functions
 * host, which serves its HTTP function with the host's keys; an operator's POST to /api/ops/test-alert
 * with the master key makes the app send the sample through ACS (with the app's managed identity) and
 * the Teams webhook, and answer with each channel's result.
 */

const ALERT_EMAIL_TO = "backup-admins@contoso.com";
const EMAIL_FROM = "DoNotReply@restorewatch-test.contoso.com";
/** Never fires while the tests run: the test alert must not need (or cause) a poll. */
const NEVER_IN_THE_TEST = "0 0 0 1 1 *";

describe("the opsTestAlert function through the emulated host", () => {
  const cleanup: (() => Promise<unknown> | void)[] = [];
  const issuer = new TokenIssuer();
  const clientId = randomUUID();
  let work: string;
  let appDir: string;
  let hostJs: string;
  let azurite: AzuriteTable;
  let acs: AcsEmailEmulator;
  let teams: TeamsReceiver;
  let settings: Record<string, string>;
  let host: FunctionsHostProcess;
  let ready: HostReadyMessage;
  let url: string;

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), "restorewatch-test-alert-"));
    cleanup.push(() => rmSync(work, { recursive: true, force: true }));
    const tls = loadTestTls();
    const [pkg, bundle] = await Promise.all([buildDeployPackage(path.join(work, "out")), buildFunctionsHostBundle(path.join(work, "functions-host.js"))]);
    appDir = pkg.appDir;
    hostJs = bundle;
    const identity = await ManagedIdentityEndpoint.start({ issuer, roles: [], clientId });
    cleanup.push(() => identity.stop());
    [azurite, acs, teams] = await Promise.all([startAzuriteTable(), AcsEmailEmulator.start({ tls, issuer, retryAfterSeconds: 0 }), TeamsReceiver.start({ tls })]);
    cleanup.push(() => azurite.stop(), () => acs.stop(), () => teams.stop());
    settings = {
      FUNCTIONS_WORKER_RUNTIME: "node",
      AzureWebJobsStorage: azurite.connectionString,
      POLL_SCHEDULE: NEVER_IN_THE_TEST,
      GRAPH_ENDPOINT: "https://127.0.0.1:9",
      AZURE_CLIENT_ID: clientId,
      IDENTITY_ENDPOINT: identity.endpoint,
      IDENTITY_HEADER: identity.secret,
      ACS_ENDPOINT: acs.endpoint,
      ALERT_EMAIL_FROM: EMAIL_FROM,
      ALERT_EMAIL_TO,
      TEAMS_WEBHOOK_URL: teams.url,
      TEAMS_WEBHOOK_ALLOWED_HOSTS: new URL(teams.url).host,
      NODE_EXTRA_CA_CERTS: tls.certPath,
      PATH: process.env["PATH"] ?? "",
    };
    host = FunctionsHostProcess.start({ hostJs, appDir, env: settings });
    cleanup.push(() => host.stop());
    ready = await host.ready;
    url = ready.http.functions.find((fn) => fn.name === "opsTestAlert")?.url ?? "";
  }, 60_000);

  afterAll(async () => {
    const failures: unknown[] = [];
    for (const step of cleanup.reverse()) await Promise.resolve().then(step).catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw new AggregateError(failures, "clean-up failed");
  });

  const post = (key: string | undefined, target = url): Promise<Response> => fetch(target, { method: "POST", headers: key === undefined ? {} : { "x-functions-key": key } });
  const sent = (): { emails: number; posts: number } => ({ emails: acs.messages.length, posts: teams.posts.length });

  it("registers the function at /api/ops/test-alert, POST only, admin level", () => {
    expect(ready.functions.map((fn) => [fn.name, fn.triggerType])).toEqual([
      ["pollRestoreSessions", "timerTrigger"],
      ["opsTestAlert", "httpTrigger"],
      ["pollTenant", "queueTrigger"],
      ["tenantPollPoison", "queueTrigger"],
    ]);
    expect(ready.http.functions).toEqual([{ name: "opsTestAlert", url: `${ready.http.url}/api/ops/test-alert`, methods: ["POST"], authLevel: "admin" }]);
    expect(ready.http.functionErrors).toEqual({});
  });

  it("refuses a call without the master key (401) and a GET (404, as the host routes by method), sending nothing", async () => {
    const statuses = await Promise.all([
      post(undefined),
      post(ready.http.keys.functions["opsTestAlert"]?.["default"]),
      post(ready.http.keys.host["default"]),
      post("not-a-key"),
      fetch(url, { headers: { "x-functions-key": ready.http.keys.master } }),
    ]).then((responses) => responses.map((r) => r.status));
    expect(statuses).toEqual([401, 401, 401, 401, 404]);
    expect(sent()).toEqual({ emails: 0, posts: 0 });
  });

  it("sends the sample by email (with the app's identity) and to Teams, and answers 200 with each channel's result", async () => {
    const response = await post(ready.http.keys.master);
    const body = (await response.json()) as TestAlertResult;
    expect(response.status, host.printed).toBe(200);
    expect(sent()).toEqual({ emails: 1, posts: 1 });
    const [email] = acs.messages;
    expect(email).toMatchObject({ sender: EMAIL_FROM, recipients: { to: [ALERT_EMAIL_TO] }, auth: "bearer" });
    expect(email?.subject).toMatch(/^\[restorewatch\] SharePoint restore failed/);
    // The ACS token came from the app's own identity (the endpoint serves that client id only).
    expect(issuer.issued.filter((claims) => claims.aud === ACS_AUDIENCE).length).toBeGreaterThan(0);
    expect(JSON.stringify(teams.posts[0]?.body)).toContain("HR Policies (sample)");
    expect(body).toEqual({
      alertId: expect.stringMatching(/^test-\d{8}T\d{9}Z$/),
      channels: [
        { channel: "email", outcome: "delivered", messageId: email?.operationId },
        { channel: "teams", outcome: "delivered", messageId: expect.stringMatching(/^HTTP 202/) },
      ],
    });
    expect(host.printed).toMatch(/\[opsTestAlert\] test alert test-\S+: email: delivered/);
  });

  it("still sends the email when Teams answers 500, and names Teams as failed by its host only (502)", async () => {
    const before = sent();
    // The workflow's error echoes the URL it was called on: neither the answer nor the log may repeat it.
    teams.respondWith(1, { status: 500, body: `{"error":{"code":"InternalServerError","message":"run failed for ${teams.url}"}}` });
    const response = await post(undefined, `${url}?code=${encodeURIComponent(ready.http.keys.master)}`);
    const text = await response.text();
    expect(response.status).toBe(502);
    expect(sent()).toEqual({ emails: before.emails + 1, posts: before.posts + 1 });
    const body = JSON.parse(text) as TestAlertResult;
    expect(body.channels.map((c) => [c.channel, c.outcome])).toEqual([
      ["email", "delivered"],
      ["teams", "failed"],
    ]);
    const failed = body.channels[1];
    expect(failed).toMatchObject({ retryable: true, error: expect.stringContaining("HTTP 500") });
    for (const printed of [text, host.printed]) {
      expect(printed).not.toContain(teams.secret);
      expect(printed).not.toContain(teams.workflowId);
    }
  });

  it("answers 502 naming Teams when its webhook does not answer at all, the email going out", async () => {
    const before = sent();
    // A webhook URL nobody listens on any more: connection refused.
    const stopped = await TeamsReceiver.start({ tls: loadTestTls() });
    const down = { url: stopped.url, secret: stopped.secret };
    await stopped.stop();
    const other = FunctionsHostProcess.start({ hostJs, appDir, env: { ...settings, TEAMS_WEBHOOK_URL: down.url, TEAMS_WEBHOOK_ALLOWED_HOSTS: new URL(down.url).host } });
    try {
      const otherReady = await other.ready;
      const response = await fetch(otherReady.http.functions[0]?.url ?? "", { method: "POST", headers: { "x-functions-key": otherReady.http.keys.master } });
      const text = await response.text();
      expect(response.status, other.printed).toBe(502);
      expect((JSON.parse(text) as TestAlertResult).channels).toEqual([
        { channel: "email", outcome: "delivered", messageId: expect.any(String) },
        { channel: "teams", outcome: "failed", retryable: true, error: expect.stringContaining(`POST to https://${new URL(down.url).host}/… failed`) },
      ]);
      expect(text).not.toContain(down.secret);
      expect(acs.messages.length).toBe(before.emails + 1);
    } finally {
      await other.stop();
    }
  });

  it("an unresolved Key Vault reference for Teams: the email goes out, Teams is reported disabled naming the setting (502)", async () => {
    const before = sent();
    const reference = "@Microsoft.KeyVault(SecretUri=https://kv-restorewatch.vault.azure.net/secrets/teams-webhook-url)";
    const other = FunctionsHostProcess.start({ hostJs, appDir, env: { ...settings, TEAMS_WEBHOOK_URL: reference } });
    try {
      const otherReady = await other.ready;
      const response = await fetch(otherReady.http.functions[0]?.url ?? "", { method: "POST", headers: { "x-functions-key": otherReady.http.keys.master } });
      const text = await response.text();
      expect(response.status, other.printed).toBe(502);
      expect((JSON.parse(text) as TestAlertResult).channels).toEqual([
        { channel: "email", outcome: "delivered", messageId: expect.any(String) },
        { channel: "teams", outcome: "disabled", reason: expect.stringContaining("TEAMS_WEBHOOK_URL is a Key Vault reference that did not resolve"), fix: expect.stringContaining("Key Vault") },
      ]);
      expect(text).not.toContain("kv-restorewatch");
      expect(sent()).toEqual({ emails: before.emails + 1, posts: before.posts });
    } finally {
      await other.stop();
    }
  });

  it("answers 500 naming the setting when no channel is configured, sending nothing", async () => {
    const before = sent();
    const { ACS_ENDPOINT: _a, ALERT_EMAIL_FROM: _f, ALERT_EMAIL_TO: _t, TEAMS_WEBHOOK_URL: _w, ...noChannel } = settings;
    const other = FunctionsHostProcess.start({ hostJs, appDir, env: noChannel });
    try {
      const otherReady = await other.ready;
      const response = await fetch(otherReady.http.functions[0]?.url ?? "", { method: "POST", headers: { "x-functions-key": otherReady.http.keys.master } });
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ error: "configuration", message: expect.stringMatching(/^ALERT_EMAIL_TO no alert channel is configured/), channels: [] });
    } finally {
      await other.stop();
    }
    expect(sent()).toEqual(before);
  });

  it("leaves the state alone: no poll ran and no table was created", async () => {
    expect(host.fired).toEqual([]);
    const tables: string[] = [];
    for await (const table of TableServiceClient.fromConnectionString(azurite.connectionString, { allowInsecureConnection: true }).listTables()) tables.push(table.name ?? "");
    expect(tables).toEqual([]);
  });
});

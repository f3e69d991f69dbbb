import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AcsEmailEmulator } from "../../local/emulators/acsEmailEmulator";
import { AppInsightsEmulator, MONITOR_AUDIENCE, type TelemetryRow } from "../../local/emulators/appInsightsEmulator";
import { GraphEmulator, type EmulatedSession } from "../../local/emulators/graph/graphEmulator";
import { ManagedIdentityEndpoint } from "../../local/emulators/managedIdentityEndpoint";
import { TeamsReceiver } from "../../local/emulators/teamsReceiver";
import { TokenIssuer } from "../../local/emulators/tokens";
import { loadTestTls } from "../../local/emulators/tls";
import { buildFunctionsHostBundle } from "../../local/functionsHost/bundle";
import { buildDeployPackage } from "../../scripts/deployPackage";
import { FunctionsHostProcess } from "../support/functionsHostProcess";
import { READ_ROLE } from "../support/pipelineHarness";
import { useAzurite } from "../support/useAzurite";

/**
 * The deploy package in the emulated Functions host, with APPLICATIONINSIGHTS_CONNECTION_STRING and
 * APPLICATIONINSIGHTS_AUTHENTICATION_STRING as infra/main.bicep sets them: the first invocation's
 * records reach the ingestion emulator with the managed identity's token, tagged with the invocation.
 */
const azurite = useAzurite();
const cleanup: (() => Promise<unknown> | void)[] = [];
let ai: AppInsightsEmulator;
let teams: TeamsReceiver;
let session: EmulatedSession;
let identity: ManagedIdentityEndpoint;
let host: FunctionsHostProcess;

beforeAll(async () => {
  const work = mkdtempSync(path.join(tmpdir(), "restorewatch-telemetry-"));
  cleanup.push(() => rmSync(work, { recursive: true, force: true }));
  const tls = loadTestTls();
  const [pkg, hostJs] = await Promise.all([buildDeployPackage(path.join(work, "out")), buildFunctionsHostBundle(path.join(work, "functions-host.js"))]);
  const issuer = new TokenIssuer();
  const clientId = randomUUID();
  const graph = await GraphEmulator.start({ tls, issuer });
  identity = await ManagedIdentityEndpoint.start({ issuer, roles: [READ_ROLE], clientId });
  const acs = await AcsEmailEmulator.start({ tls, issuer });
  teams = await TeamsReceiver.start({ tls });
  ai = await AppInsightsEmulator.start({ tls, issuer });
  cleanup.push(() => graph.stop(), () => identity.stop(), () => acs.stop(), () => teams.stop(), () => ai.stop());
  session = graph.createSession({ workload: "exchange", status: "failed", artifacts: [{ id: "m-1", status: "failed", error: { code: "ArtifactNotFound", message: "Not found." } }] });
  const env = {
    FUNCTIONS_WORKER_RUNTIME: "node",
    AzureWebJobsStorage: azurite.connectionString,
    STATE_TABLE: `rw${randomUUID().replace(/-/g, "").slice(0, 20)}`,
    POLL_SCHEDULE: "0 */5 * * * *",
    GRAPH_ENDPOINT: graph.url,
    RESTOREWATCH_EMULATOR_ORIGINS: [graph.url, ai.origin].join(","),
    AZURE_CLIENT_ID: clientId,
    IDENTITY_ENDPOINT: identity.endpoint,
    IDENTITY_HEADER: identity.secret,
    ACS_ENDPOINT: acs.endpoint,
    ALERT_EMAIL_FROM: "DoNotReply@contoso.com",
    ALERT_EMAIL_TO: "backup-admins@contoso.com",
    TEAMS_WEBHOOK_URL: teams.url,
    TEAMS_WEBHOOK_ALLOWED_HOSTS: "127.0.0.1",
    ALERT_BASELINE_SINCE: "2000-01-01T00:00:00Z",
    APPLICATIONINSIGHTS_CONNECTION_STRING: ai.connectionString,
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: `ClientId=${clientId};Authorization=AAD`,
    WEBSITE_SITE_NAME: "func-restorewatch-local",
    NODE_EXTRA_CA_CERTS: tls.certPath,
    PATH: process.env["PATH"] ?? "",
  };
  host = FunctionsHostProcess.start({ hostJs, appDir: pkg.appDir, env, speed: 300 });
  cleanup.push(() => host.stop());
  await host.ready;
  await host.firstFired();
  await host.stop();
}, 90_000);

afterAll(async () => {
  for (const step of cleanup.reverse()) await Promise.resolve().then(step).catch(() => undefined);
});

const first = (rows: readonly TelemetryRow[]): TelemetryRow[] => rows.filter((r) => r.operation_Id === rows[0]?.operation_Id);

describe("telemetry from the emulated Functions host", () => {
  it("sends the first invocation's records in one request, with the managed identity's token for Azure Monitor", () => {
    expect(host.fired[0], host.printed).toMatchObject({ ok: true });
    expect(ai.requests[0]).toMatchObject({ path: "/v2.1/track", bearer: true, status: 200 });
    expect(identity.requests.some((r) => r.resource?.startsWith(MONITOR_AUDIENCE) && r.clientId !== undefined)).toBe(true);
    const rows = first(ai.rows);
    expect(rows.every((r) => r.operation_Name === "pollRestoreSessions" && r.cloud_RoleName === "func-restorewatch-local" && /^[0-9a-f]{32}$/.test(r.operation_Id ?? ""))).toBe(true);
    const names = rows.filter((r) => r.table === "customEvents").map((r) => `${r.name}${r.customDimensions["channel"] ? `:${r.customDimensions["channel"]}` : ""}`);
    expect(names.sort()).toEqual(["RestorewatchAlert", "RestorewatchDelivery:email", "RestorewatchDelivery:teams", "RestorewatchRun"]);
    const alert = rows.find((r) => r.name === "RestorewatchAlert");
    expect(alert?.customDimensions).toMatchObject({ sessionId: session.id, workload: "exchange", status: "failed", alertKind: "status" });
    const targets = new Set(rows.filter((r) => r.table === "dependencies").map((r) => r.type));
    expect([...targets].sort()).toEqual(["Azure table", "HTTP"]);
    expect(JSON.stringify(ai.rows)).not.toContain(teams.secret);
  });
});

import { afterEach, describe, expect, it } from "vitest";
import { AppInsightsEmulator, MONITOR_AUDIENCE, type TelemetryRow } from "../../local/emulators/appInsightsEmulator";
import { TEST_TENANT_ID, TokenIssuer } from "../../local/emulators/tokens";
import { loadTestTls } from "../../local/emulators/tls";
import { DIMENSION_VALUES } from "../../shared/domain/telemetry";
import { runPoll } from "../../shared/pipeline/poll";
import { SilenceStore } from "../../shared/state/silences";
import { newTableCounters } from "../../shared/state/tableClient";
import { createTelemetry } from "../../shared/telemetry/createTelemetry";
import type { TelemetryRecorder } from "../../shared/telemetry/recorder";
import { startDeliveryRig, type Rig } from "../support/deliveryRig";
import { useAzurite } from "../support/useAzurite";

/**
 * The records an operator queries, end to end: Graph emulator → pipeline → Azurite → ACS and Teams
 * emulators, with the recorder exporting to the Application Insights ingestion emulator (Entra token,
 * /v2.1/track), which stores them as customEvents and dependencies rows.
 */
const azurite = useAzurite();
const running: { stop(): Promise<void> }[] = [];
/** Every row any test of this file captured, for the check of declared values. */
const allRows: TelemetryRow[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((part) => part.stop()));
});

interface Setup {
  readonly ai: AppInsightsEmulator;
  readonly telemetry: TelemetryRecorder;
  readonly warnings: string[];
  readonly issuer: TokenIssuer;
}

async function startAppInsights(env: Record<string, string> = {}): Promise<Setup> {
  const issuer = new TokenIssuer();
  const ai = await AppInsightsEmulator.start({ tls: loadTestTls(), issuer });
  running.push(ai);
  running.push({ stop: async () => void allRows.push(...ai.rows) });
  const warnings: string[] = [];
  const telemetry = createTelemetry({
    env: { APPLICATIONINSIGHTS_CONNECTION_STRING: ai.connectionString, APPLICATIONINSIGHTS_AUTHENTICATION_STRING: "ClientId=5d0c8bd6-6b1e-4d0e-9a38-2f4f3e0b7c11;Authorization=AAD", ...env },
    credentialFor: () => issuer.credential({ audience: MONITOR_AUDIENCE }),
    emulatorOrigins: [ai.origin],
    log: { warn: (m) => warnings.push(m) },
  });
  expect(telemetry.enabled).toBe(true);
  return { ai, telemetry, warnings, issuer };
}

const events = (rows: readonly TelemetryRow[], name: string): TelemetryRow[] => rows.filter((r) => r.table === "customEvents" && r.name === name);
const dims = (row: TelemetryRow | undefined): Readonly<Record<string, string>> => row?.customDimensions ?? {};

/** Polls once as an invocation would: records tagged with its operation, flushed when it ends. */
async function invocation(setup: Setup, rig: Rig, operationId: string): Promise<Awaited<ReturnType<Rig["poll"]>>> {
  try {
    return await setup.telemetry.withOperation({ id: operationId, name: "pollRestoreSessions" }, () => rig.poll());
  } finally {
    await setup.telemetry.flush(rig.h.log);
  }
}

describe("telemetry records", () => {
  it("a failing session yields one run record, one alert record, one delivery record per channel, and the dependencies", async () => {
    const setup = await startAppInsights({ WEBSITE_SITE_NAME: "func-restorewatch-test" });
    const rig = await startDeliveryRig(azurite, running, { telemetry: setup.telemetry });
    await invocation(setup, rig, "0af7651916cd43dd8448eb211c80319c"); // baseline
    const baselineRows = setup.ai.rows.length;
    const sessionId = rig.fail("sharePoint");
    const summary = await invocation(setup, rig, "4bf92f3577b34da6a3ce929d0e0e4736");
    expect(summary.delivery).toMatchObject({ alertsDelivered: 1 });

    const rows = setup.ai.rows.slice(baselineRows);
    expect(rows.every((r) => r.operation_Id === "4bf92f3577b34da6a3ce929d0e0e4736" && r.operation_Name === "pollRestoreSessions" && r.cloud_RoleName === "func-restorewatch-test")).toBe(true);
    const [run, ...otherRuns] = events(rows, "RestorewatchRun");
    expect(otherRuns).toEqual([]);
    expect(dims(run)).toMatchObject({
      tenantId: TEST_TENANT_ID,
      runId: summary.runId,
      outcome: "succeeded",
      baseline: "false",
      dryRun: "false",
      sessionsSeen: String(summary.sessionsSeen),
      alertsRecorded: "1",
      alertsDelivered: "1",
      alertsRetrying: "0",
      alertsDeadLettered: "0",
      graphRequests: String(summary.graphRequests),
      graphThrottled: "0",
      tableTransactions: String(summary.tableTransactions),
    });
    expect(Number(dims(run)["graphBytes"])).toBeGreaterThan(0);
    expect(dims(run)["durationMs"]).toMatch(/^\d+$/);

    const alerts = events(rows, "RestorewatchAlert");
    expect(alerts).toHaveLength(1);
    expect(dims(alerts[0])).toMatchObject({ tenantId: TEST_TENANT_ID, runId: summary.runId, alertId: `${sessionId}_failed`, sessionId, workload: "sharePoint", status: "failed", alertKind: "status", detailAvailable: "true", failedArtifacts: "1" });

    const deliveries = events(rows, "RestorewatchDelivery");
    expect(deliveries.map((d) => dims(d)["channel"]).sort()).toEqual(["email", "teams"]);
    for (const delivery of deliveries) {
      expect(dims(delivery)).toMatchObject({ tenantId: TEST_TENANT_ID, runId: summary.runId, alertId: `${sessionId}_failed`, sessionId, workload: "sharePoint", outcome: "delivered", attempt: "1", messageAlerts: "1" });
      expect(dims(delivery)["durationMs"]).toMatch(/^\d+$/);
    }

    const dependencies = rows.filter((r) => r.table === "dependencies");
    const byTarget = (origin: string): TelemetryRow[] => dependencies.filter((d) => d.target === new URL(origin).host);
    const graphCalls = byTarget(rig.h.graph.url);
    expect(graphCalls.some((d) => d.name === "GET /v1.0/solutions/backupRestore/restoreSessions" && d.type === "HTTP" && d.resultCode === "200" && d.success === true)).toBe(true);
    expect(graphCalls).toHaveLength(summary.graphRequests);
    expect(dependencies.filter((d) => d.type === "Azure table").length).toBeGreaterThan(0);
    expect(byTarget(rig.acs.endpoint).some((d) => d.name.startsWith("PUT /emails:send") || d.name.startsWith("POST /emails:send"))).toBe(true);
    const teamsCalls = byTarget(rig.teams.url);
    expect(teamsCalls).toHaveLength(1);
    expect(teamsCalls[0]).toMatchObject({ resultCode: "202", success: true, data: `${new URL(rig.teams.url).origin}/…` });
    for (const d of dependencies) {
      expect(d.duration).toBeGreaterThanOrEqual(0);
      expect(d.data ?? "").not.toContain("?");
    }

    // Nothing secret in any record: no token, no webhook URL or signature, no workflow path.
    const everything = JSON.stringify(setup.ai.rows);
    for (const secret of [rig.teams.secret, rig.teams.workflowId, "Bearer", "eyJ"]) expect(everything).not.toContain(secret);
    expect(setup.ai.requests.every((r) => r.path === "/v2.1/track" && r.bearer && r.status === 200)).toBe(true);
    // One request per invocation.
    expect(setup.ai.requests).toHaveLength(2);
    expect(setup.warnings).toEqual([]);
  });

  it("records a dead-lettered delivery with its error, the webhook named by its host only", async () => {
    const setup = await startAppInsights();
    const rig = await startDeliveryRig(azurite, running, { telemetry: setup.telemetry });
    await invocation(setup, rig, "1".repeat(32));
    rig.fail("exchange");
    rig.teams.respondWith(1, { status: 400, body: `Bad card for ${rig.teams.url}` });
    const summary = await invocation(setup, rig, "2".repeat(32));
    expect(summary.delivery).toMatchObject({ alertsDeadLettered: 1 });
    const teams = events(setup.ai.rows, "RestorewatchDelivery").find((d) => dims(d)["channel"] === "teams");
    expect(dims(teams)).toMatchObject({ outcome: "deadLettered", attempt: "1", workload: "exchange" });
    expect(dims(teams)["error"]).toContain("HTTP 400");
    expect(JSON.stringify(setup.ai.rows)).not.toContain(rig.teams.secret);
    expect(dims(events(setup.ai.rows, "RestorewatchRun").at(-1))).toMatchObject({ outcome: "succeeded", alertsDeadLettered: "1" });
  });

  it("a channel refused at send time: a held delivery record (no attempt counted) and the run's channelsDisabled", async () => {
    const setup = await startAppInsights();
    const rig = await startDeliveryRig(azurite, running, { telemetry: setup.telemetry });
    await invocation(setup, rig, "6".repeat(32));
    // The workflow was deleted: Teams answers 404, a settings problem, not the alert's.
    rig.reconfigure({ TEAMS_WEBHOOK_URL: rig.teams.url.replace(rig.teams.workflowId, "0".repeat(32)) });
    const sessionId = rig.fail("oneDrive");
    const summary = await invocation(setup, rig, "7".repeat(32));
    expect(summary.channelsDisabled).toEqual(["teams"]);
    const rows = setup.ai.rows.filter((r) => r.operation_Id === "7".repeat(32));
    const deliveries = events(rows, "RestorewatchDelivery").map(dims);
    expect(deliveries.map((d) => [d["channel"], d["outcome"], d["attempt"], d["sessionId"]]).sort()).toEqual([
      ["email", "delivered", "1", sessionId],
      ["teams", "held", "0", sessionId],
    ]);
    expect(deliveries.find((d) => d["channel"] === "teams")?.["error"]).toMatch(/TEAMS_WEBHOOK_URL was refused by the channel: HTTP 404/);
    expect(dims(events(rows, "RestorewatchRun")[0])).toMatchObject({ outcome: "succeeded", channelsDisabled: "teams", alertsDelivered: "1" });
  });

  it("no usable channel: the failed run's record still has the run's counts and the disabled channels", async () => {
    const setup = await startAppInsights();
    const rig = await startDeliveryRig(azurite, running, { telemetry: setup.telemetry });
    await invocation(setup, rig, "8".repeat(32));
    rig.reconfigure({ TEAMS_WEBHOOK_URL: "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/teams)", ALERT_EMAIL_FROM: "not-an-address" });
    rig.fail("exchange");
    await expect(invocation(setup, rig, "9".repeat(32))).rejects.toThrow(/no alert channel is usable/);
    const [run, ...others] = events(setup.ai.rows.filter((r) => r.operation_Id === "9".repeat(32)), "RestorewatchRun");
    expect(others).toEqual([]);
    expect(dims(run)).toMatchObject({ outcome: "failed", tenantId: TEST_TENANT_ID, baseline: "false", alertsRecorded: "1", channelsDisabled: "email,teams" });
    expect(Number(dims(run)["sessionsSeen"])).toBeGreaterThan(0);
    expect(dims(run)["error"]).toMatch(/no alert channel is usable/);
  });

  it("a silenced alert: one silenced delivery record per configured channel, a channel disabled by its settings included", async () => {
    const setup = await startAppInsights();
    const rig = await startDeliveryRig(azurite, running, { telemetry: setup.telemetry });
    await invocation(setup, rig, "a".repeat(32));
    rig.reconfigure({ TEAMS_WEBHOOK_URL: "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/teams)" });
    await new SilenceStore(rig.h.table(), TEST_TENANT_ID, newTableCounters()).add({ until: new Date(rig.clock.now + 86_400_000).toISOString(), workload: "exchange", comment: "migration" }, new Date(rig.clock.now));
    const sessionId = rig.fail("exchange");
    await invocation(setup, rig, "b".repeat(32));
    const rows = setup.ai.rows.filter((r) => r.operation_Id === "b".repeat(32));
    expect(dims(events(rows, "RestorewatchAlert")[0])).toMatchObject({ sessionId, silencedBy: expect.any(String) });
    expect(events(rows, "RestorewatchDelivery").map((d) => [dims(d)["channel"], dims(d)["outcome"], dims(d)["attempt"]]).sort()).toEqual([
      ["email", "silenced", "0"],
      ["teams", "silenced", "0"],
    ]);
  });

  it("every value a query compares with a literal is one of the declared values (DIMENSION_VALUES), across the records above", () => {
    const seen = allRows.filter((r) => r.table === "customEvents");
    expect(seen.length).toBeGreaterThan(0);
    for (const row of seen)
      for (const [field, value] of Object.entries(row.customDimensions ?? {})) {
        const values = DIMENSION_VALUES[field];
        if (values) expect(values, `${row.name}.${field}`).toContain(value);
      }
  });

  it("records a failed run, with its error and the tenant", async () => {
    const setup = await startAppInsights();
    const rig = await startDeliveryRig(azurite, running, { telemetry: setup.telemetry });
    // A token without the restore role: Graph answers 403.
    const deps = rig.h.deps({ credential: rig.h.issuer.credential({ roles: [] }), telemetry: setup.telemetry });
    await expect(setup.telemetry.withOperation({ id: "3".repeat(32) }, () => runPoll(deps, { log: rig.h.log }))).rejects.toThrow(/403/);
    await setup.telemetry.flush(rig.h.log);
    const runs = events(setup.ai.rows, "RestorewatchRun");
    expect(runs).toHaveLength(1);
    expect(dims(runs[0])).toMatchObject({ tenantId: TEST_TENANT_ID, outcome: "failed" });
    expect(dims(runs[0])["error"]).toMatch(/403/);
    expect(setup.ai.rows.some((r) => r.table === "dependencies" && r.resultCode === "403")).toBe(true);
  });

  it.each([403, 503])("an ingestion endpoint answering %i does not fail the run: one warning, with the status", async (status) => {
    const setup = await startAppInsights();
    const rig = await startDeliveryRig(azurite, running, { telemetry: setup.telemetry });
    await invocation(setup, rig, "4".repeat(32)); // baseline, exported
    const stored = setup.ai.rows.length;
    setup.ai.respondWith(2, { status });
    rig.fail();
    const summary = await invocation(setup, rig, "5".repeat(32));
    expect(summary.alertsRecorded).toBe(1);
    expect(rig.delivered()).toEqual({ emails: 1, teamsPosts: 1 });
    // 503 is retried once (both refused here); 403 is not retried.
    expect(setup.ai.requests.slice(1).map((r) => r.status)).toEqual(status === 503 ? [503, 503] : [403]);
    const warnings = rig.h.logs.filter((line) => line.startsWith("WARN telemetry:"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`HTTP ${status}`);
    expect(warnings[0]).not.toMatch(/Bearer|eyJ/);
    expect(setup.ai.rows).toHaveLength(stored);
  });

  it("sends the items a partial answer (206) asks to retry once more, and they are stored", async () => {
    const setup = await startAppInsights();
    const rig = await startDeliveryRig(azurite, running, { telemetry: setup.telemetry });
    setup.ai.respondWith(1, { itemStatus: 503 });
    await invocation(setup, rig, "6".repeat(32));
    expect(setup.ai.requests.map((r) => r.status)).toEqual([206, 200]);
    expect(events(setup.ai.rows, "RestorewatchRun")).toHaveLength(1);
    expect(rig.h.logs.filter((line) => line.startsWith("WARN telemetry:"))).toEqual([]);
  });

  it("is refused on /v2/track without Entra ID, as with DisableLocalAuth, and says so once", async () => {
    const issuer = new TokenIssuer();
    const ai = await AppInsightsEmulator.start({ tls: loadTestTls(), issuer });
    running.push(ai);
    const warnings: string[] = [];
    const telemetry = createTelemetry({ env: { APPLICATIONINSIGHTS_CONNECTION_STRING: ai.connectionString }, credentialFor: () => issuer.credential(), log: { warn: (m) => warnings.push(m) } });
    telemetry.track("run", { runId: "r1", outcome: "succeeded" });
    await telemetry.flush({ warn: (m) => warnings.push(m) });
    expect(ai.requests).toEqual([{ path: "/v2/track", status: 400, bearer: false, items: 1 }]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/HTTP 400: Authentication not supported/);
  });
});

import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { compileMeasuredPolls, runMeasuredPoll, type MeasuredPolls, type MeasuredRun } from "../../perf/pollProcess";
import { AcsEmailEmulator } from "../../local/emulators/acsEmailEmulator";
import { GraphEmulator } from "../../local/emulators/graph/graphEmulator";
import { ManagedIdentityEndpoint } from "../../local/emulators/managedIdentityEndpoint";
import { bulkTenant } from "../../local/simulatedTenant";
import { TeamsReceiver } from "../../local/emulators/teamsReceiver";
import { TokenIssuer } from "../../local/emulators/tokens";
import { useAzurite } from "../support/useAzurite";
import { READ_ROLE } from "../support/pipelineHarness";
import { loadTestTls } from "../../local/emulators/tls";

/**
 * Issue 6's load case: a tenant of 50,000 sessions in which 500 turn failed in one run. The pipeline
 * runs in a process of its own (perf/measuredPoll.ts compiled to JavaScript, configured like the function) so its peak RSS
 * is its own; the emulators and Azurite run outside it.
 */
const SESSIONS = 50_000;
const TURNING_FAILED = 500;
const SMALLEST_FLEX_INSTANCE_BYTES = 512 * 1024 * 1024;
const FUNCTION_TIMEOUT_MS = 10 * 60_000; // host.json functionTimeout

const azurite = useAzurite();
let polls: MeasuredPolls;
const stops: (() => Promise<void>)[] = [];
beforeAll(() => {
  polls = compileMeasuredPolls("load-test");
});
afterAll(async () => {
  await Promise.all(stops.map((stop) => stop()));
});

it(`a ${SESSIONS.toLocaleString("en")}-session tenant with ${TURNING_FAILED} failing in one run: one digest per channel, within the rate limits, the time limit and 512 MB`, async () => {
  const tls = loadTestTls();
  const issuer = new TokenIssuer();
  const graph = await GraphEmulator.start({ tls, issuer, pageSize: 100, artifactPageSize: 100 });
  const clientId = randomUUID();
  const identity = await ManagedIdentityEndpoint.start({ issuer, roles: [READ_ROLE], clientId });
  const acs = await AcsEmailEmulator.start({ tls, managedDomainLimits: true });
  const teams = await TeamsReceiver.start({ tls });
  stops.push(() => graph.stop(), () => identity.stop(), () => acs.stop(), () => teams.stop());

  bulkTenant(graph, { sessions: SESSIONS - TURNING_FAILED, failedFraction: 0 });
  const turning = Array.from({ length: TURNING_FAILED }, (_, i) =>
    graph.createSession({ workload: (["exchange", "sharePoint", "oneDrive"] as const)[i % 3] ?? "exchange", status: "active", artifacts: [{ id: `item-${i}`, status: "inProgress" }] }).id,
  );
  const env = {
    AzureWebJobsStorage: azurite.connectionString,
    STATE_TABLE: `rwload${randomUUID().replace(/-/g, "").slice(0, 12)}`,
    GRAPH_ENDPOINT: graph.url,
    RESTOREWATCH_EMULATOR_ORIGINS: graph.url,
    AZURE_CLIENT_ID: clientId,
    IDENTITY_ENDPOINT: identity.endpoint,
    IDENTITY_HEADER: identity.secret,
    ACS_CONNECTION_STRING: acs.connectionString,
    ALERT_EMAIL_FROM: "DoNotReply@0c1d2e3f.azurecomm.net", // an Azure-managed domain: 5 a minute, 10 an hour
    ALERT_EMAIL_TO: "backup-admins@contoso.com",
    TEAMS_WEBHOOK_URL: teams.url,
    TEAMS_WEBHOOK_ALLOWED_HOSTS: "127.0.0.1",
  };
  const ca = process.env["NODE_EXTRA_CA_CERTS"] as string;

  const baseline = await runMeasuredPoll(polls, env, ca);
  expect(baseline.summary).toMatchObject({ baseline: true, sessionsSeen: SESSIONS, alertsRecorded: 0 });

  for (const [i, id] of turning.entries()) {
    graph.updateSession(id, {
      status: "failed",
      completedDateTime: new Date().toISOString(),
      error: { code: "ArtifactCannotBeRestored", message: `Session ${i} could not be restored.` },
      artifacts: [{ id: `item-${i}`, status: "failed", error: { code: "ArtifactCannotBeRestored", message: `Item ${i} is locked.` } }],
    });
  }
  const burst: MeasuredRun = await runMeasuredPoll(polls, env, ca);
  report("baseline", baseline);
  report("500 failures", burst);

  expect(burst.summary).toMatchObject({ sessionsSeen: SESSIONS, alertsRecorded: TURNING_FAILED, delivery: { messagesDelivered: 2, alertsDelivered: TURNING_FAILED } });
  // One digest per channel: within the Azure-managed domain's 5 a minute, and ACS never had to say 429.
  expect(acs.messages).toHaveLength(1);
  expect(acs.requests.some((r) => r.status === 429)).toBe(false);
  expect(teams.posts).toHaveLength(1);
  const email = acs.messages[0]?.plainText ?? "";
  for (const id of turning) expect(email.includes(id), `session ${id} in the digest email`).toBe(true);
  const card = JSON.stringify(teams.posts[0]?.body);
  const shown = turning.filter((id) => card.includes(id)).length;
  expect(shown + Number(/and (\d+) more restore sessions/.exec(card)?.[1] ?? 0)).toBe(TURNING_FAILED);
  expect(teams.posts[0]?.bytes).toBeLessThan(28 * 1024);

  for (const run of [baseline, burst]) {
    expect(run.maxRssBytes).toBeLessThan(SMALLEST_FLEX_INSTANCE_BYTES);
    expect(run.wallMs).toBeLessThan(FUNCTION_TIMEOUT_MS);
  }
}, 15 * 60_000);

function report(label: string, run: MeasuredRun): void {
  console.log(
    `load ${label}: ${Math.round(run.wallMs)} ms, peak RSS ${(run.maxRssBytes / 1024 / 1024).toFixed(0)} MB, Graph requests ${run.graph.requests}, ` +
      `table query pages ${run.table.queryPages}, transactions ${run.table.transactions}, point operations ${run.table.pointOperations}`,
  );
}

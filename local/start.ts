import { fork, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { AcsEmailEmulator } from "./emulators/acsEmailEmulator";
import { AppInsightsEmulator } from "./emulators/appInsightsEmulator";
import { GraphEmulator } from "./emulators/graph/graphEmulator";
import { ManagedIdentityEndpoint } from "./emulators/managedIdentityEndpoint";
import { SimulatedTenant } from "./simulatedTenant";
import { TeamsReceiver } from "./emulators/teamsReceiver";
import { TokenIssuer } from "./emulators/tokens";
import { startAzuriteQueue, startAzuriteTable, type AzuriteQueue, type AzuriteTable } from "./emulators/azurite";
import { ensureTestTls } from "./emulators/tls";
import { buildDeployPackage } from "../scripts/deployPackage";
import { buildFunctionsHostBundle } from "./functionsHost/bundle";
import { OutboxCapture } from "./outboxCapture";

/**
 * `npm start`: restorewatch on one machine, on embedded defaults. Starts Azurite (data in
 * <data-dir>/azurite, kept across restarts), a Graph emulator holding a simulated tenant whose
 * restore sessions move through their lifecycle, the App Service managed-identity endpoint, an ACS
 * Email emulator and a Teams Workflows receiver (what they receive is written to <data-dir>/outbox),
 * an Application Insights ingestion emulator (the telemetry records, as rows, in outbox/telemetry.jsonl),
 * then builds the deploy package (`npm run package`: what Azure runs) and runs it through the emulated
 * Functions host, on plain Node as the worker runs it, on a sped-up clock.
 */
const USAGE = `usage: npm start [-- --ticks <n>] [--speed <n>] [--data-dir <dir>] [--seed <n>] [--port <n>]

  --ticks <n>     stop after n runs of the function (for scripts); default: run until Ctrl+C
  --speed <n>     clock speed-up of the emulated host; default 30 (the 5-minute schedule fires every 10 s)
  --data-dir <d>  where Azurite's data, the TLS certificate and the outbox go; default .local
  --seed <n>      seed of the simulated tenant; default: a new one each start
  --port <n>      port of the app's HTTP functions (the test alert); default 7071, or a free one when taken`;

const READ_ROLE = "BackupRestore-Restore.Read.All";
/** Lets the app name the users behind failed restores (POST /directoryObjects/getByIds); groups come back by id only. */
const USER_READ_ROLE = "User.Read.All";
const ROOT = path.resolve(__dirname, "..");

interface Parts {
  azurite?: AzuriteTable;
  /** The fan-out's tenant-poll queues (used once tenants are recorded). */
  azuriteQueue?: AzuriteQueue;
  graph?: GraphEmulator;
  identity?: ManagedIdentityEndpoint;
  acs?: AcsEmailEmulator;
  teams?: TeamsReceiver;
  appInsights?: AppInsightsEmulator;
  host?: ChildProcess;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { ticks: { type: "string" }, speed: { type: "string" }, "data-dir": { type: "string" }, seed: { type: "string" }, port: { type: "string" }, help: { type: "boolean" } },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const ticks = values.ticks === undefined ? undefined : positiveInteger("--ticks", values.ticks);
  const speed = values.speed === undefined ? 30 : Number(values.speed);
  if (!(speed > 0)) throw new Error(`--speed must be a positive number, not '${values.speed}'`);
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : positiveInteger("--seed", values.seed);
  const dataDir = path.resolve(values["data-dir"] ?? path.join(ROOT, ".local"));
  mkdirSync(dataDir, { recursive: true });

  const parts: Parts = {};
  let shuttingDown: Promise<number> | undefined;
  const shutdown = (code: number): Promise<number> => (shuttingDown ??= stopAll(parts).then(() => code));
  process.on("SIGINT", () => void shutdown(0).then((code) => process.exit(code)));
  process.on("SIGTERM", () => void shutdown(0).then((code) => process.exit(code)));

  try {
    const [pkg, hostJs] = await Promise.all([buildDeployPackage(path.join(dataDir, "deploy")), buildFunctionsHostBundle(path.join(dataDir, "functions-host.js"))]);
    const tls = await ensureTestTls(path.join(dataDir, "tls"));
    parts.azurite = await startAzuriteTable({ location: path.join(dataDir, "azurite") });
    parts.azuriteQueue = await startAzuriteQueue({ location: path.join(dataDir, "azurite-queue") });
    const issuer = new TokenIssuer();
    parts.graph = await GraphEmulator.start({ tls, issuer, pageSize: 10 });
    const tenant = new SimulatedTenant(parts.graph, { seed });
    tenant.seed();
    const clientId = randomUUID();
    parts.identity = await ManagedIdentityEndpoint.start({ issuer, roles: [READ_ROLE, USER_READ_ROLE], clientId });
    parts.acs = await AcsEmailEmulator.start({ tls, issuer });
    parts.teams = await TeamsReceiver.start({ tls });
    parts.appInsights = await AppInsightsEmulator.start({ tls, issuer });
    const outbox = new OutboxCapture(path.join(dataDir, "outbox"));

    // The app's settings, as the host would read them from local.settings.json; no secret is real.
    const settings: Record<string, string> = {
      FUNCTIONS_WORKER_RUNTIME: "node",
      AzureWebJobsStorage: parts.azurite.connectionString,
      POLL_SCHEDULE: "0 */5 * * * *",
      GRAPH_ENDPOINT: parts.graph.url,
      RESTOREWATCH_EMULATOR_ORIGINS: [parts.graph.url, parts.appInsights.origin].join(","),
      AZURE_CLIENT_ID: clientId,
      IDENTITY_ENDPOINT: parts.identity.endpoint,
      IDENTITY_HEADER: parts.identity.secret,
      ACS_ENDPOINT: parts.acs.endpoint,
      ALERT_EMAIL_FROM: "DoNotReply@restorewatch-demo.contoso.com",
      ALERT_EMAIL_TO: "backup-admins@contoso.com",
      TEAMS_WEBHOOK_URL: parts.teams.url,
      TEAMS_WEBHOOK_ALLOWED_HOSTS: "127.0.0.1",
      // The demo alerts on the simulated tenant's past failures too, instead of recording a silent baseline.
      ALERT_BASELINE_SINCE: "2000-01-01T00:00:00Z",
      // The app's send limits count real time, but the sped-up clock runs ~30x more polls per real hour
      // than Azure would: the custom-domain email limit (100/h) would start deferring alerts after
      // about 40 minutes of demo. Deferral under the limits is covered by the delivery tests.
      ALERT_EMAIL_RATE_LIMIT: "off",
      TEAMS_RATE_LIMIT: "off",
      // Telemetry as infra/main.bicep sets it: Entra ID with the app's identity (local auth off).
      APPLICATIONINSIGHTS_CONNECTION_STRING: parts.appInsights.connectionString,
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: `ClientId=${clientId};Authorization=AAD`,
      // The fan-out's queue as infra/main.bicep connects it (identity-based); the emulated host maps it to Azurite.
      TenantQueue__queueServiceUri: parts.azuriteQueue.queueEndpoint,
      TenantQueue__credential: "managedidentity",
      TenantQueue__clientId: clientId,
    };
    console.log(`restorewatch local run: simulated tenant (seed ${seed}) with ${parts.graph.sessions().length} restore sessions; Azurite data in ${displayPath(path.join(dataDir, "azurite"))}`);
    console.log(`Captured emails and Teams posts: ${path.join(dataDir, "outbox", "index.html")}`);
    const telemetryFile = path.join(dataDir, "outbox", "telemetry.jsonl");
    writeFileSync(telemetryFile, "");
    console.log(`Telemetry (customEvents and dependencies rows, as Application Insights stores them): ${telemetryFile}`);
    console.log(ticks === undefined ? "Press Ctrl+C to stop." : `Stopping after ${ticks} run(s).`);

    let runs = 0;
    let failedRuns = 0;
    const emailsSeen = { count: 0 };
    const postsSeen = { count: 0 };
    const rowsSeen = { count: 0 };
    const capture = (): void => {
      const acs = parts.acs as AcsEmailEmulator;
      const teams = parts.teams as TeamsReceiver;
      for (const message of acs.messages.slice(emailsSeen.count)) {
        const item = outbox.addEmail(message);
        console.log(`  ✉ email to ${message.recipients.to.join(", ")}: ${message.subject} → outbox/${item.files[0]}`);
      }
      emailsSeen.count = acs.messages.length;
      for (const post of teams.posts.slice(postsSeen.count)) {
        if (typeof post.answeredWith !== "number" || post.answeredWith >= 300) continue;
        const item = outbox.addTeamsPost(post.body);
        console.log(`  ▣ Teams card: ${item.title} → outbox/${item.files[0]}`);
      }
      postsSeen.count = teams.posts.length;
      const rows = (parts.appInsights as AppInsightsEmulator).rows;
      const fresh = rows.slice(rowsSeen.count);
      if (fresh.length > 0) appendFileSync(telemetryFile, fresh.map((row) => `${JSON.stringify(row)}\n`).join(""));
      rowsSeen.count = rows.length;
    };

    const exitCode = await new Promise<number>((resolve, reject) => {
      const portArgs = values.port === undefined ? [] : ["--port", values.port];
      const host = fork(hostJs, ["--app", pkg.appDir, "--speed", String(speed), "--no-local-settings", ...portArgs], {
        cwd: pkg.appDir,
        env: { ...process.env, ...settings, NODE_EXTRA_CA_CERTS: tls.certPath },
        execArgv: [],
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      });
      parts.host = host;
      host.on("message", (message: { type?: string; ok?: boolean; isPastDue?: boolean; http?: HostHttp }) => {
        if (message.type === "ready" && message.http) printTestAlertCommand(message.http);
        if (message.type !== "fired") return;
        runs++;
        if (!message.ok) failedRuns++;
        capture();
        if (ticks !== undefined && runs >= ticks) {
          writeSummary(dataDir, parts.graph as GraphEmulator, outbox, { runs, failedRuns, pids: [parts.azurite?.process.pid, host.pid].filter((pid): pid is number => pid !== undefined) });
          resolve(failedRuns === 0 ? 0 : 1);
          return;
        }
        // The tenant moves on between runs: sessions progress, fail or finish; new ones appear.
        const changed = tenant.tick();
        for (const change of changed.changed) if (change.to === "failed" || change.to === "completedWithError") console.log(`  (tenant) session ${change.id} turned ${change.to}`);
      });
      host.once("exit", (code, signal) => {
        if (shuttingDown) return;
        // Ctrl+C reaches the whole process group: the host may stop (cleanly, code 0) before this process hears of it.
        if (code === 0) resolve(0);
        else reject(new Error(`the Functions host exited (${signal ?? `code ${code}`}) before it was asked to stop`));
      });
      host.once("error", reject);
    });
    return await shutdown(exitCode);
  } catch (error) {
    console.error(`npm start: ${error instanceof Error ? error.message : String(error)}`);
    await shutdown(1);
    return 1;
  }
}

/** What the emulated host reports of its HTTP functions when it is ready (local/functionsHost/main.ts). */
interface HostHttp {
  readonly keys: { readonly master: string };
  readonly functions: readonly { readonly name: string; readonly url: string }[];
}

/** The test alert from the running app, as an operator sends it after a deployment (README "Test alert from the deployed app"). */
function printTestAlertCommand(http: HostHttp): void {
  const testAlert = http.functions.find((fn) => fn.name === "opsTestAlert");
  if (!testAlert) return;
  console.log(`Test alert from the app (the master key is new at each start; captured emails and cards show after the next run):`);
  console.log(`  curl -sS -X POST "${testAlert.url}" -H "x-functions-key: ${http.keys.master}"`);
}

/** What the tenant has that should have been alerted, and what was captured (scripts and tests read it). */
function writeSummary(dataDir: string, graph: GraphEmulator, outbox: OutboxCapture, facts: { runs: number; failedRuns: number; pids: number[] }): void {
  const alertable = graph.sessions().filter((s) => s.status === "failed" || s.status === "completedWithError").map((s) => s.id);
  writeFileSync(path.join(dataDir, "outbox", "run-summary.json"), `${JSON.stringify({ ...facts, alertable, captured: outbox.captured }, null, 2)}\n`);
}

/** Stops the host first (it finishes a running invocation), then the emulators and Azurite. */
async function stopAll(parts: Parts): Promise<void> {
  const host = parts.host;
  if (host && host.exitCode === null && host.signalCode === null) {
    const exited = new Promise<void>((resolve) => host.once("exit", () => resolve()));
    if (host.connected) host.send({ type: "stop" });
    else host.kill("SIGTERM");
    const timer = setTimeout(() => host.kill("SIGKILL"), 30_000);
    await exited;
    clearTimeout(timer);
  }
  await Promise.all([parts.graph?.stop(), parts.identity?.stop(), parts.acs?.stop(), parts.teams?.stop(), parts.appInsights?.stop()]);
  await Promise.all([parts.azurite?.stop(), parts.azuriteQueue?.stop()]);
}

/** Relative to the working directory when inside it, else absolute. */
function displayPath(target: string): string {
  const relative = path.relative(process.cwd(), target);
  return relative === "" ? "." : relative.startsWith("..") || path.isAbsolute(relative) ? target : relative;
}

function positiveInteger(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || (flag === "--ticks" && value < 1)) throw new Error(`${flag} must be a whole number${flag === "--ticks" ? " of at least 1" : ""}, not '${text}'`);
  return value;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`npm start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);

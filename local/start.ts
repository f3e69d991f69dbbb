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
import { EXCHANGE_TEAM_ROUTE, describeTenantsDemo, startTenantsDemo, type TenantsDemo } from "./tenantsDemo";

/**
 * `npm start`: restorewatch on one machine, on embedded defaults. Starts Azurite (data in
 * <data-dir>/azurite, kept across restarts), a Graph emulator holding a simulated tenant whose
 * restore sessions move through their lifecycle, the App Service managed-identity endpoint, an ACS
 * Email emulator and a Teams Workflows receiver (what they receive is written to <data-dir>/outbox),
 * an Application Insights ingestion emulator (the telemetry records, as rows, in outbox/telemetry.jsonl),
 * then builds the deploy package (`npm run package`: what Azure runs) and runs it through the emulated
 * Functions host, on plain Node as the worker runs it, on a sped-up clock. With --tenants n, an MSP's
 * deployment instead: n customer tenants and a route (local/tenantsDemo.ts), polled through the queue fan-out.
 */
const USAGE = `usage: npm start [-- --ticks <n>] [--speed <n>] [--data-dir <dir>] [--seed <n>] [--port <n>] [--tenants <n>]

  --ticks <n>     stop after n runs of the function (for scripts); default: run until Ctrl+C
  --speed <n>     clock speed-up of the emulated host; default 30 (the 5-minute schedule fires every 10 s)
  --data-dir <d>  where Azurite's data, the TLS certificate and the outbox go; default .local
  --seed <n>      seed of the simulated tenant; default: a new one each start
  --port <n>      port of the app's HTTP functions (the test alert); default 7071, or a free one when taken
  --tenants <n>   watch n simulated customer tenants (1-10) through the multi-tenant app registration and
                  the queue fan-out, with a route sending Exchange alerts to the Exchange team; default:
                  the home tenant only`;

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
  /** --tenants: the Entra and Key Vault emulators, the Exchange team's Teams workflow, the customers. */
  tenants?: TenantsDemo;
  host?: ChildProcess;
}

/** What the host reports on its IPC channel (local/functionsHost/main.ts). */
interface HostMessage {
  type?: string;
  name?: string;
  ok?: boolean;
  outcome?: "completed" | "retried" | "poisoned";
  http?: HostHttp;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { ticks: { type: "string" }, speed: { type: "string" }, "data-dir": { type: "string" }, seed: { type: "string" }, port: { type: "string" }, tenants: { type: "string" }, help: { type: "boolean" } },
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
  const tenantCount = values.tenants === undefined ? undefined : positiveInteger("--tenants", values.tenants);
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
    const clientId = randomUUID();
    // With --tenants, Graph's roles are the app registration's in each tenant: the identity itself has none.
    parts.identity = await ManagedIdentityEndpoint.start({ issuer, roles: tenantCount === undefined ? [READ_ROLE, USER_READ_ROLE] : [], clientId });
    // The home tenant's simulated sessions (single-tenant), or the customers' (--tenants).
    const tenant = tenantCount === undefined ? new SimulatedTenant(parts.graph, { seed }) : undefined;
    tenant?.seed();
    if (tenantCount !== undefined) parts.tenants = await startTenantsDemo({ count: tenantCount, seed, tls, issuer, graph: parts.graph, identity: parts.identity, azurite: parts.azurite });
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
    const demo = parts.tenants;
    if (demo) {
      // App-registration mode (GRAPH_CLIENT_ID, federated from the managed identity), routes' webhooks in Key Vault.
      Object.assign(settings, demo.settings, { RESTOREWATCH_EMULATOR_ORIGINS: [settings["RESTOREWATCH_EMULATOR_ORIGINS"], ...demo.emulatorOrigins].join(",") });
      console.log(`restorewatch local run: ${demo.customers.length} customer tenant(s) (seed ${seed}), ${demo.sessions().length} restore sessions, watched through the multi-tenant app registration ${demo.appId} (federated from the managed identity) and the queue fan-out; Azurite data in ${displayPath(path.join(dataDir, "azurite"))}`);
      await describeTenantsDemo(settings, (line) => console.log(line));
    } else {
      console.log(`restorewatch local run: simulated tenant (seed ${seed}) with ${parts.graph.sessions().length} restore sessions; Azurite data in ${displayPath(path.join(dataDir, "azurite"))}`);
    }
    console.log(`Captured emails and Teams posts: ${path.join(dataDir, "outbox", "index.html")}`);
    const telemetryFile = path.join(dataDir, "outbox", "telemetry.jsonl");
    writeFileSync(telemetryFile, "");
    console.log(`Telemetry (customEvents and dependencies rows, as Application Insights stores them): ${telemetryFile}`);
    console.log(ticks === undefined ? "Press Ctrl+C to stop." : `Stopping after ${ticks} run(s).`);

    let runs = 0;
    let failedRuns = 0;
    let failedPolls = 0;
    const emailsSeen = { count: 0 };
    const rowsSeen = { count: 0 };
    // Teams workflows: the default route's, and with --tenants the Exchange team's (named in the outbox).
    const workflows = [{ receiver: parts.teams, label: demo ? "default route" : undefined, seen: 0 }, ...(demo ? [{ receiver: demo.exchangeTeams, label: `route ${EXCHANGE_TEAM_ROUTE}`, seen: 0 }] : [])];
    const capture = (): void => {
      const acs = parts.acs as AcsEmailEmulator;
      for (const message of acs.messages.slice(emailsSeen.count)) {
        const item = outbox.addEmail(message);
        console.log(`  ✉ email to ${message.recipients.to.join(", ")}: ${message.subject} → outbox/${item.files[0]}`);
      }
      emailsSeen.count = acs.messages.length;
      for (const workflow of workflows) {
        const posts = workflow.receiver.posts;
        for (const post of posts.slice(workflow.seen)) {
          if (typeof post.answeredWith !== "number" || post.answeredWith >= 300) continue;
          const item = outbox.addTeamsPost(post.body, new Date(), workflow.label);
          console.log(`  ▣ Teams card${workflow.label ? ` (${workflow.label})` : ""}: ${item.title} → outbox/${item.files[0]}`);
        }
        workflow.seen = posts.length;
      }
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
      // A cycle is done when its timer run is, and (--tenants) each tenant's poll it enqueued: cycleDoneAt[k]
      // is how many tenant polls must have ended (completed or poisoned) by the end of cycle k.
      const cycleDoneAt: number[] = [];
      let pollsEnded = 0;
      let cyclesDone = 0;
      const settle = (): void => {
        const finished = (): boolean => ticks !== undefined && cyclesDone >= ticks;
        while (!finished() && cyclesDone < cycleDoneAt.length && pollsEnded >= (cycleDoneAt[cyclesDone] ?? 0)) {
          cyclesDone++;
          capture();
          if (finished()) {
            const pids = [parts.azurite?.process.pid, host.pid].filter((pid): pid is number => pid !== undefined);
            writeSummary(dataDir, parts.graph as GraphEmulator, outbox, { runs, failedRuns, ...(demo && { failedPolls }), pids }, demo);
            resolve(failedRuns + failedPolls === 0 ? 0 : 1);
            return;
          }
          // The tenants move on between runs: sessions progress, fail or finish; new ones appear.
          const ticked = demo ? demo.tick().map(({ customer, result }) => ({ who: customer.name, result })) : [{ who: "tenant", result: (tenant as SimulatedTenant).tick() }];
          for (const { who, result } of ticked) for (const change of result.changed) if (change.to === "failed" || change.to === "completedWithError") console.log(`  (${who}) session ${change.id} turned ${change.to}`);
        }
      };
      host.on("message", (message: HostMessage) => {
        if (message.type === "ready" && message.http) printTestAlertCommand(message.http);
        if (message.type === "dequeued" && message.name === "pollTenant") {
          if (message.outcome !== "completed") failedPolls++;
          if (message.outcome !== "retried") pollsEnded++;
          capture();
          settle();
        }
        if (message.type !== "fired") return;
        runs++;
        if (!message.ok) failedRuns++;
        // A failed timer run enqueued nothing to wait for.
        cycleDoneAt.push((cycleDoneAt.at(-1) ?? 0) + (message.ok && demo ? demo.customers.length : 0));
        capture();
        settle();
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

/**
 * What the tenant has that should have been alerted, and what was captured (scripts and tests read it).
 * With --tenants: the customers, and each alertable session's tenant and workload (which route it takes).
 */
function writeSummary(dataDir: string, graph: GraphEmulator, outbox: OutboxCapture, facts: { runs: number; failedRuns: number; failedPolls?: number; pids: number[] }, demo?: TenantsDemo): void {
  const failed = (status: string): boolean => status === "failed" || status === "completedWithError";
  const sessions = demo ? demo.sessions() : graph.sessions().map((session) => ({ tenantId: undefined, session }));
  const alertable = sessions.filter(({ session }) => failed(session.status));
  const tenants = demo && {
    tenants: demo.customers.map((c) => ({ tenantId: c.tenantId, name: c.name })),
    alertableSessions: alertable.map(({ tenantId, session }) => ({ id: session.id, tenantId, workload: session.workload })),
  };
  const summary = { ...facts, alertable: alertable.map(({ session }) => session.id), ...tenants, captured: outbox.captured };
  writeFileSync(path.join(dataDir, "outbox", "run-summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
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
  await Promise.all([parts.graph?.stop(), parts.identity?.stop(), parts.acs?.stop(), parts.teams?.stop(), parts.appInsights?.stop(), parts.tenants?.stop()]);
  await Promise.all([parts.azurite?.stop(), parts.azuriteQueue?.stop()]);
}

/** Relative to the working directory when inside it, else absolute. */
function displayPath(target: string): string {
  const relative = path.relative(process.cwd(), target);
  return relative === "" ? "." : relative.startsWith("..") || path.isAbsolute(relative) ? target : relative;
}

/** Most customer tenants --tenants simulates (each has its own sessions, emails and cards). */
const MAX_DEMO_TENANTS = 20;

function positiveInteger(flag: string, text: string): number {
  const value = Number(text);
  const [min, max, range] = flag === "--ticks" ? [1, Infinity, " of at least 1"] : flag === "--tenants" ? [1, MAX_DEMO_TENANTS, ` from 1 to ${MAX_DEMO_TENANTS}`] : [0, Infinity, ""];
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${flag} must be a whole number${range}, not '${text}'`);
  return value;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`npm start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);

import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { TableClient } from "@azure/data-tables";
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzuriteQueue, startAzuriteTable } from "../local/emulators/azurite";
import { EntraEmulator } from "../local/emulators/entraEmulator";
import { GraphEmulator } from "../local/emulators/graph/graphEmulator";
import type { EmulatedWorkload } from "../local/emulators/graph/model";
import { ensureTestTls } from "../local/emulators/tls";
import { TOKEN_EXCHANGE_APP_ID, TOKEN_EXCHANGE_AUDIENCE, TokenIssuer, entraIssuer } from "../local/emulators/tokens";
import { QueueService } from "../local/functionsHost/queueRest";
import { encodeMessage, readQueueOptions, type QueueOptions } from "../local/functionsHost/queueTrigger";
import { bulkTenant } from "../local/simulatedTenant";
import { loadConfig, type Config } from "../shared/config/config";
import type { Logger } from "../shared/domain/logger";
import { TENANT_QUEUE } from "../shared/domain/tenantPoll";
import { createPollDeps } from "../shared/pipeline/createPollDeps";
import { dueTenantMessages } from "../shared/pipeline/fanout";
import { createStateTableClient } from "../shared/state/tableClient";
import { TenantStore } from "../shared/state/tenantStore";
import { startLatencyProxy } from "./latencyProxy";
import { countingPolicy, runWorker, type WorkerRecord } from "./fanoutWorker";

/**
 * The fan-out bench (`npm run bench`, "Many tenants through the queue fan-out"): many tenants, each
 * its own sessions in the Graph emulator (served by the token's tid) and its own state partition;
 * the timer's enqueue on Azurite's queue; then 1, 2, 4 workers consuming that queue at once, each
 * with the host's per-instance concurrency. Run in a process of its own (perf/fanoutReport.ts starts
 * it with the test CA trusted); prints its figures as one JSON line.
 */
const ROOT = path.resolve(__dirname, "..");
const PAGE_SIZE = 100;
const STATE_PAGE_SIZE = 1000;
const LISTING = "/v1.0/solutions/backupRestore/restoreSessions";
const ROLES = ["BackupRestore-Restore.Read.All", "User.Read.All"];
/**
 * What changes in each tenant before a measured cycle: 4 sessions of its 200 (2%) finish, 2 of them
 * (1%) failed: a bulk Exchange restore whose addition request ended with errors, and a OneDrive
 * restore; a SharePoint and an Exchange restore complete. Per tenant that is 2 alerts, 2 owners to name.
 */
const CHANGES: readonly { workload: EmulatedWorkload; fails: boolean; bulk: boolean }[] = [
  { workload: "exchange", fails: true, bulk: true },
  { workload: "oneDrive", fails: true, bulk: false },
  { workload: "sharePoint", fails: false, bulk: false },
  { workload: "exchange", fails: false, bulk: false },
];

export interface FanoutBenchOptions {
  readonly tenants: number;
  readonly sessions: number;
  readonly workers: readonly number[];
  /** Added to every Graph and Table Storage request (0: none). */
  readonly latencyMs: number;
}

export interface CycleFigures {
  readonly kind: "baseline" | "measured";
  readonly workers: number;
  readonly tenantsPolled: number;
  readonly maxPollsPerTenant: number;
  /** Graph requests as the pollers counted them, and as the Graph emulator saw them (with a tenant's token). */
  readonly graphRequests: number;
  readonly graphRequestsServed: number;
  readonly graphFloor: number;
  /** The runs' own table operations (query pages, transactions, point operations) and their floor. */
  readonly tableOps: number;
  readonly tableFloor: number;
  /** The fan-out's table requests: tenant row and lease row reads and writes. */
  readonly fanoutOps: number;
  /** 409/412 answers to lease writes, and messages that found their tenant polled or held. */
  readonly leaseConflicts: number;
  readonly skipped: number;
  readonly alerts: number;
  readonly enqueueMs: number;
  readonly wallMs: number;
  /** Polls per worker, in worker order. */
  readonly perWorker: number[];
  /** CPU time during the workers' part: this process (workers, Graph and Entra emulators) and Azurite's table process. */
  readonly benchCpuMs: number;
  readonly azuriteCpuMs: number;
}

export interface FanoutBenchResult {
  readonly options: FanoutBenchOptions;
  readonly queue: Pick<QueueOptions, "batchSize" | "newBatchThreshold">;
  readonly baseline: CycleFigures;
  readonly cycles: CycleFigures[];
  readonly setupMs: number;
}

interface Tenant {
  readonly tenantId: string;
  readonly name: string;
  /** Sessions left active for the measured cycles to finish, CHANGES.length per cycle. */
  readonly inFlight: string[];
}

interface Rig {
  readonly graph: GraphEmulator;
  /** Azurite's table process's CPU time so far, in ms (from /proc; NaN where there is none). */
  readonly azuriteCpuMs: () => number;
  readonly queue: QueueService;
  readonly config: Config;
  readonly managedIdentity: ReturnType<TokenIssuer["credential"]>;
  readonly emulatorOrigins: readonly string[];
  readonly tenants: Tenant[];
  stop(): Promise<void>;
}

const quiet: Logger = { info: () => undefined, warn: (m) => console.error(m), error: (m) => console.error(m) };

export async function runFanoutBench(options: FanoutBenchOptions, progress: (line: string) => void = () => undefined): Promise<FanoutBenchResult> {
  if (!(options.tenants >= 1 && options.sessions >= CHANGES.length * (options.workers.length + 1) && options.workers.every((w) => Number.isInteger(w) && w >= 1))) throw new Error(`fan-out bench: need at least 1 tenant, ${CHANGES.length * (options.workers.length + 1)} sessions per tenant and whole worker counts`);
  const queueOptions = readQueueOptions(ROOT);
  const started = Date.now();
  const rig = await startRig(options);
  try {
    const setupMs = Date.now() - started;
    progress(`fan-out: ${options.tenants} tenants × ${options.sessions} sessions set up in ${Math.round(setupMs / 1000)} s`);
    const maxWorkers = Math.max(...options.workers);
    const baseline = await runCycle(rig, queueOptions, maxWorkers, "baseline", () => baselineFloor(options.sessions));
    progress(`fan-out: baseline with ${maxWorkers} worker(s): ${Math.round(baseline.wallMs)} ms`);
    const cycles: CycleFigures[] = [];
    for (const [index, workers] of options.workers.entries()) {
      const floors = changeTenants(rig, index);
      cycles.push(await runCycle(rig, queueOptions, workers, "measured", (tenantId) => floors.get(tenantId) ?? { graph: NaN, table: NaN }));
      progress(`fan-out: ${workers} worker(s): ${Math.round(cycles.at(-1)?.wallMs ?? 0)} ms`);
    }
    return { options, queue: { batchSize: queueOptions.batchSize, newBatchThreshold: queueOptions.newBatchThreshold }, baseline, cycles, setupMs };
  } finally {
    await rig.stop();
  }
}

/** Graph, Entra (a multi-tenant app registration federated from the managed identity), Azurite's tables and queues, the tenants. */
async function startRig(options: FanoutBenchOptions): Promise<Rig> {
  const tls = await ensureTestTls(path.join(ROOT, ".local/test-tls"));
  const issuer = new TokenIssuer();
  const [graph, entra, azurite, azuriteQueue] = await Promise.all([
    GraphEmulator.start({ tls, issuer, pageSize: PAGE_SIZE, artifactPageSize: 100 }),
    EntraEmulator.start({ tls, assertionIssuer: issuer, tokenIssuer: issuer }),
    startAzuriteTable(),
    startAzuriteQueue(),
  ]);
  const proxy = await startLatencyProxy({ host: "127.0.0.1", port: azurite.port }, options.latencyMs);
  const homeTenantId = randomUUID();
  const miObjectId = randomUUID();
  const appId = entra.registerApp({ homeTenantId, multiTenant: true }).appId;
  entra.addFederatedCredential(appId, { name: "restorewatch-uami", issuer: entraIssuer(homeTenantId), subject: miObjectId, audiences: [TOKEN_EXCHANGE_AUDIENCE] });
  const miClientId = randomUUID();
  const managedIdentity = issuer.credential({ audience: TOKEN_EXCHANGE_APP_ID, tenantId: homeTenantId, objectId: miObjectId, appId: miClientId, issuerUrl: entraIssuer(homeTenantId), subject: miObjectId });
  const tablePort = options.latencyMs > 0 ? proxy.port : azurite.port;
  const config = loadConfig(
    {
      AzureWebJobsStorage: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};TableEndpoint=http://127.0.0.1:${tablePort}/${AZURITE_ACCOUNT};`,
      STATE_TABLE: `fanout${randomUUID().replace(/-/g, "").slice(0, 16)}`,
      POLL_SCHEDULE: "0 */10 * * * *",
      GRAPH_ENDPOINT: graph.url,
      GRAPH_CLIENT_ID: appId,
      GRAPH_TENANT_ID: homeTenantId,
      AZURE_CLIENT_ID: miClientId,
      AZURE_AUTHORITY_HOST: entra.url,
      GRAPH_MAX_RETRIES: "0",
      ALERT_STUCK_AFTER: "off",
    },
    { requireChannel: false },
  );
  const tenants = await recordTenants(options, { graph, entra, appId, config });
  if (options.latencyMs > 0) graph.injectFault(/./, { status: 200, delayMs: options.latencyMs }, Number.MAX_SAFE_INTEGER);
  return {
    graph,
    azuriteCpuMs: () => processCpuMs(azurite.process.pid),
    queue: QueueService.fromConnectionString(azuriteQueue.connectionString, "bench"),
    config,
    managedIdentity,
    emulatorOrigins: [graph.url, entra.url],
    tenants,
    stop: async () => {
      graph.clearFaults();
      await Promise.all([graph.stop(), entra.stop(), proxy.stop()]);
      await Promise.all([azurite.stop(), azuriteQueue.stop()]);
    },
  };
}

/** Each tenant: consented in Entra, its sessions in Graph (history finished, in-flight ones active), its row recorded as `tenant add` does. */
async function recordTenants(options: FanoutBenchOptions, parts: { graph: GraphEmulator; entra: EntraEmulator; appId: string; config: Config }): Promise<Tenant[]> {
  const table = benchTable(parts.config);
  await table.createTable();
  const store = new TenantStore(table);
  const inFlightCount = CHANGES.length * options.workers.length;
  const tenants = Array.from({ length: options.tenants }, (_, i): Tenant => {
    const tenantId = randomUUID();
    parts.entra.addTenant(tenantId);
    parts.entra.provision(parts.appId, tenantId, { roles: ROLES });
    const sessions = parts.graph.tenant(tenantId);
    const inFlight = Array.from({ length: inFlightCount }, (_, k) => sessions.createSession({ workload: CHANGES[k % CHANGES.length]?.workload ?? "exchange", status: "active", artifacts: [{ id: `a${k}`, status: "inProgress" }] }).id);
    bulkTenant(sessions, { sessions: options.sessions - inFlight.length, failedFraction: 0 });
    return { tenantId, name: `Customer ${i + 1}`, inFlight };
  });
  await inBatches(tenants, 16, (t) => store.add({ tenantId: t.tenantId, name: t.name }).then(() => undefined));
  return tenants;
}

function benchTable(config: Config, policies: Parameters<typeof createStateTableClient>[3] = []): TableClient {
  return createStateTableClient(config.state.connection, config.state.tableName, () => {
    throw new Error("the bench's table is reached with a connection string");
  }, policies);
}

/** Finishes the next CHANGES of each tenant's in-flight sessions; each tenant's floor for the cycle. */
function changeTenants(rig: Rig, cycleIndex: number): Map<string, { graph: number; table: number }> {
  const floors = new Map<string, { graph: number; table: number }>();
  for (const tenant of rig.tenants) {
    const sessions = rig.graph.tenant(tenant.tenantId);
    let failing = 0;
    let owners = 0;
    let bulk = 0;
    CHANGES.forEach((change, k) => {
      const id = tenant.inFlight[cycleIndex * CHANGES.length + k] ?? "";
      if (!change.fails) return void sessions.updateSession(id, { status: "completed", artifacts: [{ id: `a-${id}`, status: "succeeded" }] });
      failing++;
      const owner = randomUUID();
      rig.graph.addDirectoryObject({ id: owner, type: "user", displayName: `Owner ${owner.slice(0, 8)}`, userPrincipalName: `owner.${owner.slice(0, 8)}@customer.onmicrosoft.com` });
      if (change.workload !== "sharePoint") owners++;
      if (change.bulk) bulk++;
      sessions.updateSession(id, {
        status: "failed",
        artifacts: [{ id: `a-${id}`, status: "failed", error: { code: "ArtifactCannotBeRestored", message: "Locked." }, protectionUnit: { kind: change.workload === "exchange" ? "mailbox" : "drive", directoryObjectId: owner } }],
        ...(change.bulk && { restoreJobType: "bulk" as const, bulkRequests: [{ id: randomUUID(), status: "completedWithErrors" as const, directoryObjectIds: [randomUUID(), randomUUID()], unresolvedCount: 1 }] }),
      });
    });
    // As perf/run.ts defines the floor: list pages + artifact pages + getByIds per 1,000 owners + bulk pages;
    // state query pages + one transaction per 100 changed entities (session rows and alert rows).
    const total = sessions.sessions().length;
    floors.set(tenant.tenantId, { graph: Math.ceil(total / PAGE_SIZE) + failing + Math.ceil(owners / 1000) + bulk, table: Math.ceil(total / STATE_PAGE_SIZE) + Math.ceil((CHANGES.length + failing) / 100) });
  }
  return floors;
}

/** The baseline's floor: every session new, none alertable; list pages, state query pages and one transaction per 100 rows. */
function baselineFloor(sessions: number): { graph: number; table: number } {
  return { graph: Math.ceil(sessions / PAGE_SIZE), table: Math.ceil(sessions / STATE_PAGE_SIZE) + Math.ceil(sessions / 100) };
}

/** One cycle: the timer's enqueue, then `workers` workers on the queue until it is empty; the cycle's figures. */
async function runCycle(rig: Rig, queueOptions: QueueOptions, workers: number, kind: CycleFigures["kind"], floorOf: (tenantId: string) => { graph: number; table: number }): Promise<CycleFigures> {
  const graphBefore = rig.graph.requests.length;
  const enqueueStarted = performance.now();
  const cycle = new Date();
  // What the timer does: one message per due tenant (read from the tenant rows), on the tenant queue.
  const messages = (await dueTenantMessages(benchTable(rig.config), cycle, new Date())) ?? [];
  await rig.queue.createQueue(TENANT_QUEUE);
  await inBatches(messages, 16, (m) => rig.queue.put(TENANT_QUEUE, encodeMessage(JSON.stringify(m), queueOptions)));
  const enqueueMs = performance.now() - enqueueStarted;

  const counts = Array.from({ length: workers }, () => ({ requests: 0, conflicts: 0 }));
  const started = performance.now();
  const cpuBefore = { bench: process.cpuUsage(), azurite: rig.azuriteCpuMs() };
  const records = await Promise.all(counts.map((count, w) => runWorker({ owner: `worker-${w + 1}-${randomUUID().slice(0, 8)}`, queue: rig.queue, options: queueOptions, table: benchTable(rig.config, [countingPolicy(count)]), buildDeps: (tenant) => tenantDeps(rig, tenant), log: quiet })));
  const wallMs = performance.now() - started;
  const benchCpu = process.cpuUsage(cpuBefore.bench);
  const cpu = { benchCpuMs: (benchCpu.user + benchCpu.system) / 1000, azuriteCpuMs: rig.azuriteCpuMs() - cpuBefore.azurite };
  const errors = records.flatMap((r) => r.errors);
  if (errors.length > 0) throw new Error(`fan-out bench: ${errors.length} tenant poll(s) failed:\n${errors.slice(0, 10).join("\n")}`);
  return { kind, workers, enqueueMs, wallMs, ...cpu, ...tally(rig, records, graphBefore, floorOf), ...fanoutCounts(records, counts) };
}

function tenantDeps(rig: Rig, tenant: { tenantId: string; name: string }) {
  return createPollDeps({ config: rig.config, channels: [], credential: rig.managedIdentity, emulatorOrigins: rig.emulatorOrigins, tenantId: tenant.tenantId, tenantLabel: tenant.name });
}

/**
 * Polls per tenant (by the workers' outcomes and by Graph's first listing pages per tenant token: a
 * tenant must be polled exactly once, else the bench fails), and Graph and table figures against the floor.
 */
function tally(rig: Rig, records: WorkerRecord[], graphBefore: number, floorOf: (tenantId: string) => { graph: number; table: number }) {
  const polls = new Map<string, number>();
  const listings = new Map<string, number>();
  for (const outcome of records.flatMap((r) => r.outcomes)) if (outcome.kind === "polled") polls.set(outcome.message.tenantId, (polls.get(outcome.message.tenantId) ?? 0) + 1);
  const ours = new Set(rig.tenants.map((t) => t.tenantId));
  const served = rig.graph.requests.slice(graphBefore).filter((r) => r.tenantId !== undefined && ours.has(r.tenantId));
  for (const request of served) if (request.path === LISTING && request.tenantId) listings.set(request.tenantId, (listings.get(request.tenantId) ?? 0) + 1);
  const twice = rig.tenants.filter((t) => (polls.get(t.tenantId) ?? 0) > 1 || (listings.get(t.tenantId) ?? 0) > 1);
  const never = rig.tenants.filter((t) => (polls.get(t.tenantId) ?? 0) === 0 || (listings.get(t.tenantId) ?? 0) === 0);
  if (twice.length > 0 || never.length > 0) throw new Error(`fan-out bench: ${twice.length} tenant(s) polled more than once in the cycle (${twice.slice(0, 5).map((t) => t.tenantId).join(", ")}), ${never.length} never polled (${never.slice(0, 5).map((t) => t.tenantId).join(", ")})`);
  const deps = records.flatMap((r) => [...r.deps.values()]);
  const summaries = records.flatMap((r) => r.outcomes).flatMap((o) => (o.kind === "polled" ? [o.summary] : []));
  return {
    tenantsPolled: polls.size,
    maxPollsPerTenant: Math.max(0, ...polls.values(), ...listings.values()),
    graphRequests: deps.reduce((sum, d) => sum + d.graphCounters.requests, 0),
    graphRequestsServed: served.length,
    graphFloor: rig.tenants.reduce((sum, t) => sum + floorOf(t.tenantId).graph, 0),
    tableOps: deps.reduce((sum, d) => sum + d.tableCounters.queryPages + d.tableCounters.transactions + d.tableCounters.pointOperations, 0),
    tableFloor: rig.tenants.reduce((sum, t) => sum + floorOf(t.tenantId).table, 0),
    alerts: summaries.reduce((sum, s) => sum + s.alertsRecorded, 0),
    perWorker: records.map((r) => r.outcomes.filter((o) => o.kind === "polled").length),
  };
}

function fanoutCounts(records: WorkerRecord[], counts: { requests: number; conflicts: number }[]) {
  const skipped = records.flatMap((r) => r.outcomes).filter((o) => o.kind === "skipped").length;
  const conflicts = counts.reduce((sum, c) => sum + c.conflicts, 0);
  return { fanoutOps: counts.reduce((sum, c) => sum + c.requests, 0), leaseConflicts: conflicts + skipped, skipped };
}

/** A process's CPU time (user + system) in ms, from /proc/<pid>/stat (Linux; NaN elsewhere). */
function processCpuMs(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command; in clock ticks (100 a second on Linux).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

/** Runs `work` over `items`, at most `width` at a time. */
async function inBatches<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) await work(items[next++] as T);
  }));
}

/** As a child process: `node --require tsx/cjs perf/fanoutBench.ts '<options JSON>'` prints the result as its last line. */
if (require.main === module) {
  const options = JSON.parse(process.argv[2] ?? "{}") as FanoutBenchOptions;
  runFanoutBench(options, (line) => console.error(line))
    .then((result) => console.log(JSON.stringify(result)))
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}

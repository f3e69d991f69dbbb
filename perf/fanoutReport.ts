import { spawn } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { ensureTestTls } from "../local/emulators/tls";
import type { CycleFigures, FanoutBenchOptions, FanoutBenchResult } from "./fanoutBench";

/**
 * The fan-out case of `npm run bench`: perf/fanoutBench.ts in a process of its own (the emulators'
 * test CA trusted from its start, as NODE_EXTRA_CA_CERTS must be), and its section of docs/benchmarks.md.
 */
const ROOT = path.resolve(__dirname, "..");
export const FANOUT_HEADING = "## Many tenants through the queue fan-out";
export const DEFAULT_FANOUT: FanoutBenchOptions = { tenants: 500, sessions: 200, workers: [1, 2, 4], latencyMs: 50 };

export async function measureFanout(options: FanoutBenchOptions): Promise<FanoutBenchResult> {
  const tls = await ensureTestTls(path.join(ROOT, ".local/test-tls"));
  const child = spawn(process.execPath, ["--require", "tsx/cjs", path.join(ROOT, "perf/fanoutBench.ts"), JSON.stringify(options)], {
    cwd: ROOT,
    env: { ...process.env, NODE_EXTRA_CA_CERTS: tls.certPath },
    stdio: ["ignore", "pipe", "inherit"], // its progress lines and errors go to our stderr
  });
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", resolve);
  });
  if (code !== 0) throw new Error(`the fan-out bench failed (exit code ${code}): see its output above`);
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "") as FanoutBenchResult;
}

const n = (value: number): string => Math.round(value).toLocaleString("en");

function row(c: CycleFigures, base: CycleFigures | undefined, failing: string): string {
  const speedUp = base ? `${(base.wallMs / c.wallMs).toFixed(2)}×` : "–";
  return `| ${c.kind === "baseline" ? "baseline" : `${failing} failing`} | ${c.workers} | ${n(c.tenantsPolled)} (${c.maxPollsPerTenant}) | ${n(c.graphRequests)} (${n(c.graphFloor)}) | ${n(c.tableOps)} (${n(c.tableFloor)}) | ${n(c.fanoutOps)} | ${c.leaseConflicts} | ${n(c.alerts)} | ${n(c.enqueueMs)} | ${n(c.wallMs)} | ${(c.tenantsPolled / (c.wallMs / 1000)).toFixed(1)} | ${speedUp} | ${c.perWorker.join(" / ")} | ${(c.benchCpuMs / 1000).toFixed(1)} / ${Number.isNaN(c.azuriteCpuMs) ? "–" : (c.azuriteCpuMs / 1000).toFixed(1)} |`;
}

/** The section's text (after its heading): set-up, the table, and what the figures say. */
export function renderFanout(result: FanoutBenchResult, started: Date, loadAtStart: readonly number[]): string {
  const { options, queue } = result;
  const concurrency = queue.batchSize + queue.newBatchThreshold;
  const single = result.cycles.find((c) => c.workers === 1);
  const failing = `${Number(((2 / options.sessions) * 100).toFixed(1))}%`;
  const lines = [
    `What a cycle costs with many tenants, and how it spreads over instances. Written by \`npm run bench\` (this section alone: \`npm run bench -- --fanout-only\`, ${DEFAULT_FANOUT.tenants} tenants of ${DEFAULT_FANOUT.sessions} sessions by default; \`--tenants 20 --tenant-sessions 200 --workers 1,2,4\` for a quick one).`,
    "",
    `- **Date and machine:** ${started.toISOString()}; ${os.cpus().length} × ${os.cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version}. Load average as the case started: ${loadAtStart.map((l) => l.toFixed(1)).join(", ")} (1, 5, 15 min), on ${os.cpus().length} cores: ${(loadAtStart[0] ?? 0) >= 1 ? "other processes were running on this machine meanwhile, so wall times carry their load" : "the machine was otherwise idle"}.`,
    `- **Case:** ${n(options.tenants)} tenants of ${n(options.sessions)} sessions each (${n(options.tenants * options.sessions)} in all), each tenant its own sessions in the Graph emulator (served by the token's \`tid\`), its own service principal in the Entra emulator (consented with ${"`BackupRestore-Restore.Read.All`"} and \`User.Read.All\`) and its own state partition, in one state table on Azurite. Tokens come from the multi-tenant app registration through its federated credential (the real \`ClientAssertionCredential\`), one per tenant and worker. ${options.latencyMs > 0 ? `${options.latencyMs} ms is added to every Graph and Table Storage request` : "No latency is added"} (the queue and Entra are reached directly). Set-up took ${n(result.setupMs / 1000)} s.`,
    `- **Cycles:** first every tenant's baseline (every session new, nothing alerts), with ${Math.max(...options.workers)} workers; then one measured cycle per worker count (${options.workers.join(", ")}), one after another on the same state. Before each measured cycle, 4 of each tenant's sessions finish: 2 complete and 2 fail (${failing} of the tenant's sessions), a bulk Exchange restore whose addition request ended with errors and a OneDrive restore, so each tenant raises 2 alerts, fetches 2 artifact pages, names 2 owners (one \`getByIds\`) and reads 1 bulk request page. No alert channel is configured (as in the cases above): alerts are recorded and held.`,
    `- **A cycle:** the timer's part (\`dueTenantMessages\`: the tenant rows read, one message per tenant put on Azurite's \`tenant-poll\` queue, base64 as the host sends it), then the workers, started together, until the queue is empty. A worker stands for one instance of the function app: it takes messages as the Storage Queues extension does with this repository's host.json (batchSize ${queue.batchSize}, newBatchThreshold ${queue.newBatchThreshold}: a new batch whenever no more than ${queue.newBatchThreshold} run, so at most ${concurrency} tenants at once per worker), and hands each to \`pollTenantMessage\` under its own owner id, with its own \`PollDeps\` per tenant (token cache and connections of its own). Wall time is from the workers' start until the last is done; the enqueue is timed apart.`,
    `- **Workers in one process:** the workers are consumers in the bench's Node process (beside the Graph and Entra emulators), not processes of their own: a tenant's poll spends its time waiting on Graph and Table Storage, which is what more instances multiply, and in-process workers count every request with no IPC. They share one event loop, and this machine has ${os.cpus().length} cores for that loop, Azurite's table and queue processes and anything else running: with instances in Azure each has its own CPU, so the speed-up here is a lower bound. The first poll of each tenant on a worker also fetches its token, as a fresh instance does.`,
    "- **Checks (the bench fails otherwise):** every tenant polled exactly once per cycle, counted twice: by the workers' outcomes and by Graph's first listing page per tenant token. Graph requests are counted by each poll's Graph client and, in brackets, the floor: per tenant, as above, list pages + artifact pages + `getByIds` per 1,000 owners + bulk request pages. Table operations are the runs' own (query pages, transactions, point operations; floor: state query pages + one transaction per 100 changed rows); the fan-out's own requests (tenant row, lease row read and writes: 4 per tenant) are apart. Lease conflicts: 409/412 answers to lease writes plus messages that found their tenant already polled or held.",
    "",
    "| cycle | workers | tenants polled (max polls per tenant) | Graph requests (floor) | table ops of the runs (floor) | fan-out table ops | lease conflicts | alerts | enqueue ms | wall ms | tenants/s | speed-up vs 1 worker | polls per worker | CPU s: bench process / Azurite table |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    row(result.baseline, undefined, failing),
    ...result.cycles.map((c) => row(c, single, failing)),
    "",
    explain(result),
    "",
  ];
  return lines.join("\n");
}

function explain(result: FanoutBenchResult): string {
  const measured = result.cycles;
  const atFloor = [result.baseline, ...measured].every((c) => c.graphRequests === c.graphFloor && c.graphRequestsServed === c.graphRequests);
  const perTenant = (c: CycleFigures) => ((c.tableOps - c.tableFloor) / Math.max(1, c.tenantsPolled)).toFixed(1);
  const walls = measured.map((c) => `${c.workers}: ${n(c.wallMs)} ms`).join(", ");
  const falling = measured.every((c, i) => i === 0 || c.wallMs < (measured[i - 1]?.wallMs ?? Infinity));
  return (
    `Graph: ${atFloor ? "every cycle equal to the sum of the tenants' floors, and Graph served exactly what the pollers counted" : "**not** at the floor in every cycle (see the table)"}. ` +
    `Table: the runs sit ${measured.map(perTenant).join(" / ")} operations per tenant above their floor in the measured cycles: the fixed handful the cases above name (the run-meta row read and written, the outbox queried for pending alerts, and with alerts the silences and routes read); the baseline ${perTenant(result.baseline)}: the run-meta row read and written twice, the outbox query, and the first run's retention clean-up (one query for old finished alert rows, which notes itself in the run-meta row). ` +
    `No tenant was polled twice in any cycle; lease conflicts: ${[result.baseline, ...measured].reduce((sum, c) => sum + c.leaseConflicts, 0)} (each message names a different tenant, so none are expected; the contended cases are in test/fanout). ` +
    `Wall time by workers: ${walls}; it ${falling ? "falls with each worker added" : "does **not** fall with every worker added"}. ` +
    `CPU busy during the workers' part (bench process + Azurite's table process, of the ${os.cpus().length} cores, the rest of the machine's load not counted): ${measured.map((c) => `${c.workers}: ${(((c.benchCpuMs + (Number.isNaN(c.azuriteCpuMs) ? 0 : c.azuriteCpuMs)) / c.wallMs) * 100).toFixed(0)}%`).join(", ")} of one core. ` +
    "Where that nears the cores this machine has left over, adding workers here adds contention for them, not capacity; instances in Azure bring their own CPU, and Table Storage and Graph are not one local process each, so there the polls' waiting on the network is what more instances divide."
  );
}

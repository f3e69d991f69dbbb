import { randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { GraphEmulator, type EmulatedArtifact, type EmulatedSession } from "../local/emulators/graph/graphEmulator";
import type { EmulatedProtectionUnit } from "../local/emulators/graph/model";
import { ManagedIdentityEndpoint } from "../local/emulators/managedIdentityEndpoint";
import { bulkTenant } from "../local/simulatedTenant";
import { TokenIssuer } from "../local/emulators/tokens";
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzuriteTable, type AzuriteTable } from "../local/emulators/azurite";
import { ensureTestTls } from "../local/emulators/tls";
import { startLatencyProxy } from "./latencyProxy";
import { compileMeasuredPolls, runMeasuredPoll, type MeasuredPolls, type MeasuredRun } from "./pollProcess";
import { measureStartup, renderStartup } from "./startup";
import { DEFAULT_FANOUT, FANOUT_HEADING, measureFanout, renderFanout } from "./fanoutReport";
import type { FanoutBenchOptions } from "./fanoutBench";

/**
 * `npm run bench`: the cost of a run as the tenant grows, restorewatch against a naive design, beside
 * the floor. Real pipeline, real SDKs, Azurite and the Graph emulator; each run in a process of its own.
 */
const ROOT = path.resolve(__dirname, "..");
const PAGE_SIZE = 100; // Graph documents no page size for restoreSessions; 100 is a common Graph default.
const ARTIFACT_PAGE_SIZE = 100;
const STATE_PAGE_SIZE = 1000; // the state query's page size (StateStore.readSessions)
const READ_ROLE = "BackupRestore-Restore.Read.All";
const CHANGING = [0, 0.01, 0.1] as const;

interface Case {
  readonly sessions: number;
  readonly changing: number; // fraction of sessions changing between runs
  readonly latencyMs: number;
}

/** restorewatch's peak RSS at one size: its first run, and the highest of its case runs. */
interface Memory {
  readonly sessions: number;
  readonly firstRunBytes: number;
  casesBytes: number;
}

const MEMORY_TARGET_MB = 256;
/**
 * Node sizes V8's heap from the memory it may use (the container's limit on a Flex Consumption
 * instance): old space a quarter of it. So each run gets the heap it would have on the instance size
 * infra/main.bicep deploys by default, not the one this machine's memory would give it.
 */
const INSTANCE_MEMORY_MB = Number(/param instanceMemoryMB int = (\d+)/.exec(readFileSync(path.join(ROOT, "infra/main.bicep"), "utf8"))?.[1] ?? NaN);
const NODE_ARGS = [`--max-old-space-size=${INSTANCE_MEMORY_MB / 4}`];
const LARGE = 100_000;

interface Row {
  readonly design: "restorewatch" | "naive";
  readonly runs: MeasuredRun[];
  /** The floor of each run (the same for every run of a case). */
  readonly floors: { graph: number; table: number }[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { sizes: { type: "string" }, runs: { type: "string" }, "large-runs": { type: "string" }, latency: { type: "string" }, out: { type: "string" }, "startup-only": { type: "boolean" }, ...FANOUT_FLAGS }, allowNegative: true });
  const sizes = (values.sizes ?? "1000,10000,100000").split(",").map(Number);
  const runs = Number(values.runs ?? 3);
  // At 100,000 sessions Azurite takes minutes a run (see the doc), so fewer runs there by default.
  const largeRuns = Number(values["large-runs"] ?? Math.min(runs, 2));
  const latency = Number(values.latency ?? 50);
  if (sizes.some((n) => !Number.isInteger(n) || n < 100) || !(runs >= 1) || !(largeRuns >= 1) || !(latency > 0)) throw new Error("usage: npm run bench -- [--sizes 1000,10000] [--runs 3] [--large-runs 2] [--latency 50] [--out file] [--startup-only] [--fanout-only | --no-fanout] [--tenants 500] [--tenant-sessions 200] [--workers 1,2,4]");
  if (!(INSTANCE_MEMORY_MB > 0)) throw new Error("cannot read the default instanceMemoryMB from infra/main.bicep");
  const outFile = values.out ?? path.join(ROOT, "docs/benchmarks.md");
  const fanout = fanoutOptions(values, latency);
  if (values["fanout-only"]) {
    // The fan-out case alone: only its section of an existing document is rewritten (inserted before the start-up's if new).
    const section = await fanoutSection(fanout);
    writeFileSync(outFile, replaceSection(readFileSync(outFile, "utf8"), FANOUT_HEADING, section, STARTUP_HEADING));
    console.log(`rewrote "${FANOUT_HEADING}" in ${path.relative(ROOT, outFile)}`);
    return;
  }
  if (values["startup-only"]) {
    // Minutes instead of hours: only the deploy package's section of an existing document is rewritten.
    const startup = renderStartup(await measureStartup(path.join(ROOT, ".bench/startup")));
    console.log(startup);
    writeFileSync(outFile, replaceSection(readFileSync(outFile, "utf8"), STARTUP_HEADING, `${startup}\n`));
    console.log(`rewrote "${STARTUP_HEADING}" in ${path.relative(ROOT, outFile)}`);
    return;
  }
  const started = new Date();
  const polls = compileMeasuredPolls("bench");
  const tls = await ensureTestTls(path.join(ROOT, ".local/test-tls"));
  const azurite = await startAzuriteTable();
  const sections: string[] = [];
  const baselines: string[] = [];
  const memory: Memory[] = [];
  // The deploy package, built here from the current sources, and its start-up on this Node (22).
  const startup = renderStartup(await measureStartup(path.join(ROOT, ".bench/startup")));
  let fanoutText: string | undefined;
  const write = (): void => writeFileSync(outFile, renderDoc(started, sizes, runs, largeRuns, latency, baselines, sections, memory, startup, fanoutText));
  try {
    for (const sessions of sizes) {
      memory.push(await runSize(polls, sessions, sessions >= LARGE ? largeRuns : runs, latency, tls.certPath, azurite, (text) => {
        console.log(text);
        sections.push(text);
        write(); // a long bench leaves what it has measured so far
      }, (text) => {
        console.log(text);
        baselines.push(text);
      }));
    }
  } finally {
    await azurite.stop();
  }
  if (values.fanout) fanoutText = await fanoutSection(fanout);
  console.log(startup);
  write();
  console.log(`written to ${path.relative(ROOT, outFile)} (${Math.round((Date.now() - started.getTime()) / 1000)} s)`);
}

/**
 * Every case of one tenant size on one tenant and one pair of tables: each design records its
 * baseline (every session new) once, then the cases run one after another, each run changing the
 * next share of the sessions kept in flight, so the state is always the previous run's.
 */
async function runSize(polls: MeasuredPolls, sessions: number, runs: number, latency: number, caPath: string, azurite: AzuriteTable, report: (text: string) => void, reportBaseline: (text: string) => void): Promise<Memory> {
  const cases: Case[] = CHANGING.flatMap((changing) => [0, latency].map((latencyMs) => ({ sessions, changing, latencyMs })));
  const changesPerRun = (c: Case): number => Math.round(c.sessions * c.changing);
  const inFlightNeeded = cases.reduce((sum, c) => sum + changesPerRun(c) * runs, 0);
  if (inFlightNeeded >= sessions) throw new Error(`${runs} runs of every case need ${inFlightNeeded} sessions in flight, more than the tenant's ${sessions}: use fewer runs`);

  const issuer = new TokenIssuer();
  const graph = await GraphEmulator.start({ tls: { cert: readFileSync(caPath, "utf8"), key: readFileSync(caPath.replace(/cert\.pem$/, "key.pem"), "utf8") }, issuer, pageSize: PAGE_SIZE, artifactPageSize: ARTIFACT_PAGE_SIZE });
  const clientId = randomUUID();
  // With the optional directory read, so failed mailboxes are named (one getByIds per 1,000 owners).
  const identity = await ManagedIdentityEndpoint.start({ issuer, roles: [READ_ROLE, "User.Read.All"], clientId });
  const proxy = await startLatencyProxy({ host: "127.0.0.1", port: azurite.port }, latency);
  try {
    // Finished history, plus enough sessions in flight for every run's changes.
    const inFlight = Array.from({ length: inFlightNeeded }, (_, i) =>
      graph.createSession({ workload: (["exchange", "sharePoint", "oneDrive"] as const)[i % 3] ?? "exchange", status: "active", artifacts: [{ id: `a${i}`, status: "inProgress" }] }).id,
    );
    bulkTenant(graph, { sessions: sessions - inFlight.length, failedFraction: 0 });
    const envFor = (table: string, latencyMs: number): Record<string, string> => ({
      AzureWebJobsStorage: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};TableEndpoint=http://127.0.0.1:${latencyMs > 0 ? proxy.port : azurite.port}/${AZURITE_ACCOUNT};`,
      STATE_TABLE: table,
      GRAPH_ENDPOINT: graph.url,
      RESTOREWATCH_EMULATOR_ORIGINS: graph.url,
      AZURE_CLIENT_ID: clientId,
      IDENTITY_ENDPOINT: identity.endpoint,
      IDENTITY_HEADER: identity.secret,
      ALERT_STUCK_AFTER: "off",
    });
    const tables = { restorewatch: `bench${randomUUID().replace(/-/g, "").slice(0, 16)}`, naive: `naive${randomUUID().replace(/-/g, "").slice(0, 16)}` };
    const measure = (design: keyof typeof tables, latencyMs: number): Promise<MeasuredRun> => runMeasuredPoll(polls, envFor(tables[design], latencyMs), caPath, design, NODE_ARGS);

    // Baselines (every session new), without added latency: what the first run after deployment costs.
    const baseline = await measure("restorewatch", 0);
    const naiveBaseline = await measure("naive", 0);
    reportBaseline(formatBaseline(sessions, baseline, naiveBaseline));

    const memory: Memory = { sessions, firstRunBytes: baseline.maxRssBytes, casesBytes: 0 };
    let next = 0;
    for (const c of cases) {
      graph.clearFaults();
      if (c.latencyMs > 0) graph.injectFault(/./, { status: 200, delayMs: c.latencyMs }, Number.MAX_SAFE_INTEGER);
      const ours: MeasuredRun[] = [];
      const naive: MeasuredRun[] = [];
      const floors: { graph: number; table: number }[] = [];
      for (let run = 0; run < runs; run++) {
        const changed = inFlight.slice(next, next + changesPerRun(c));
        next += changed.length;
        // One in ten changing sessions fails (an alert with its artifacts fetched, its owner named); the
        // first of them is a bulk restore whose addition request ended with errors; the rest complete.
        let failing = 0;
        let owners = 0; // mailbox and OneDrive owners to name (sites come named)
        let bulkAlerted = 0;
        changed.forEach((id, i) => {
          const fails = i % 10 === 0;
          const bulk = fails && failing === 0;
          if (fails) failing++;
          if (fails && graph.session(id)?.workload !== "sharePoint") owners++;
          if (bulk) bulkAlerted++;
          graph.updateSession(id, { status: fails ? "failed" : "completed", completedDateTime: new Date().toISOString(), artifacts: [benchArtifact(graph, id, fails)], ...(bulk && benchBulk()) });
        });
        const changedEntities = changed.length + failing; // session rows + alert rows, one partition
        floors.push({ graph: graphFloor(sessions, failing, owners, bulkAlerted), table: Math.ceil(sessions / STATE_PAGE_SIZE) + Math.ceil(changedEntities / 100) });
        ours.push(await measure("restorewatch", c.latencyMs));
        naive.push(await measure("naive", c.latencyMs));
        process.stdout.write(".");
      }
      process.stdout.write("\n");
      memory.casesBytes = Math.max(memory.casesBytes, ...ours.map((r) => r.maxRssBytes));
      report(formatCase(c, [
        { design: "restorewatch", runs: ours, floors },
        { design: "naive", runs: naive, floors },
      ]));
    }
    return memory;
  } finally {
    graph.clearFaults();
    await Promise.all([graph.stop(), identity.stop(), proxy.stop()]);
  }
}

/**
 * Graph's floor for a run: the list pages, one artifact page per session that turned alertable (each
 * has one artifact), one getByIds per 1,000 owners to name, and the bulk request page of each bulk
 * restore alerted.
 */
function graphFloor(sessions: number, failing: number, owners: number, bulkAlerted: number): number {
  return Math.ceil(sessions / PAGE_SIZE) + failing + Math.ceil(owners / 1000) + bulkAlerted;
}

/** A changing session's one artifact; a failed one names its mailbox, drive or site owner, who is in the directory. */
function benchArtifact(graph: GraphEmulator, sessionId: string, fails: boolean): EmulatedArtifact {
  if (!fails) return { id: `a-${sessionId}`, status: "succeeded" };
  const owner = randomUUID();
  graph.addDirectoryObject({ id: owner, type: "user", displayName: `Owner ${owner.slice(0, 8)}`, userPrincipalName: `owner.${owner.slice(0, 8)}@contoso.onmicrosoft.com` });
  const workload = graph.session(sessionId)?.workload ?? "exchange";
  const protectionUnit: EmulatedProtectionUnit = workload === "sharePoint" ? { kind: "site", siteId: `contoso.sharepoint.com,${owner},${owner}`, siteName: "Site", siteWebUrl: `https://contoso.sharepoint.com/sites/${owner.slice(0, 8)}` } : { kind: workload === "exchange" ? "mailbox" : "drive", directoryObjectId: owner };
  return { id: `a-${sessionId}`, status: "failed", error: { code: "ArtifactCannotBeRestored", message: "Locked." }, protectionUnit };
}

function benchBulk(): Pick<EmulatedSession, "restoreJobType" | "bulkRequests"> {
  return { restoreJobType: "bulk", bulkRequests: [{ id: randomUUID(), status: "completedWithErrors", directoryObjectIds: [randomUUID(), randomUUID()], unresolvedCount: 1 }] };
}

function formatBaseline(sessions: number, ours: MeasuredRun, naive: MeasuredRun): string {
  const mb = (run: MeasuredRun) => Math.round(run.maxRssBytes / 1048576);
  return (
    `| ${sessions.toLocaleString("en")} | restorewatch | ${ours.graph.requests} | ${ours.table.queryPages} | ${ours.table.transactions} (floor ${Math.ceil(sessions / 100)}) | ${ours.table.pointOperations} | ${Math.round(ours.wallMs).toLocaleString("en")} | ${mb(ours)} |\n` +
    `| ${sessions.toLocaleString("en")} | naive | ${naive.graph.requests} | ${naive.table.queryPages} | ${naive.table.transactions} | ${naive.table.pointOperations} | ${Math.round(naive.wallMs).toLocaleString("en")} | ${mb(naive)} |`
  );
}

function tableOps(run: MeasuredRun): number {
  return run.table.queryPages + run.table.transactions + run.table.pointOperations;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function formatCase(c: Case, rows: Row[]): string {
  const title = `### ${c.sessions.toLocaleString("en")} sessions, ${c.changing * 100}% changing between runs, ${c.latencyMs ? `${c.latencyMs} ms per request` : "no added latency"}`;
  const lines = [title, "", "| design | Graph requests (floor) | bytes from Graph | table query pages | transactions | point ops | table ops (floor) | wall ms median (min–max) | peak RSS MB |", "|---|---|---|---|---|---|---|---|---|"];
  const summarize = (row: Row) => {
    const first = row.runs[0] as MeasuredRun;
    const floor = row.floors[0] as { graph: number; table: number };
    const walls = row.runs.map((r) => r.wallMs);
    return {
      graph: first.graph.requests,
      bytes: first.graph.bytesRead,
      ops: tableOps(first),
      wall: median(walls),
      text: `| ${row.design} | ${first.graph.requests} (${floor.graph}) | ${first.graph.bytesRead.toLocaleString("en")} | ${first.table.queryPages} | ${first.table.transactions} | ${first.table.pointOperations} | ${tableOps(first)} (${floor.table}) | ${Math.round(median(walls))} (${Math.round(Math.min(...walls))}–${Math.round(Math.max(...walls))}) | ${Math.round(Math.max(...row.runs.map((r) => r.maxRssBytes)) / 1048576)} |`,
    };
  };
  const [ours, naive] = rows.map(summarize);
  for (const row of rows) lines.push(summarize(row).text);
  if (ours && naive) {
    const ratio = (a: number, b: number) => (b === 0 ? "–" : (a / b).toFixed(3));
    lines.push(`| ours/naive | ${ratio(ours.graph, naive.graph)} | ${ratio(ours.bytes, naive.bytes)} | | | | ${ratio(ours.ops, naive.ops)} | ${ratio(ours.wall, naive.wall)} | |`);
  }
  const oursRow = rows[0] as Row;
  lines.push("", explainOurs(oursRow));
  // Every run of a case changes as many sessions, so each should sit as far above its floor as the first.
  const offset = (r: MeasuredRun, i: number) => `${r.graph.requests - (oursRow.floors[i]?.graph ?? 0)}/${tableOps(r) - (oursRow.floors[i]?.table ?? 0)}`;
  const differing = oursRow.runs.filter((r, i) => offset(r, i) !== offset(oursRow.runs[0] as MeasuredRun, 0));
  if (differing.length > 0) lines.push("", `Note: ${differing.length} of ${oursRow.runs.length} runs sat at a different distance from their floor than the first; the table shows the first.`);
  lines.push("");
  return lines.join("\n");
}

/** Where restorewatch's first run of a case is above the floor, and why. */
function explainOurs(row: Row): string {
  const run = row.runs[0] as MeasuredRun;
  const floor = row.floors[0] as { graph: number; table: number };
  const alerts = run.summary.alertsRecorded;
  const transactionFloor = floor.table - Math.ceil(run.summary.sessionsSeen / STATE_PAGE_SIZE);
  const packing = Math.max(0, run.table.transactions - transactionFloor);
  const explained = 2 /* meta row: read + write */ + 1 /* outbox: pending alerts query */ + (alerts > 0 ? 2 : 0) /* silences and routes queries */ + packing;
  const extra = tableOps(run) - floor.table;
  return (
    `Graph: ${run.graph.requests === floor.graph ? "equal to the floor" : `${run.graph.requests - floor.graph} over the floor`} (${Math.ceil(run.summary.sessionsSeen / PAGE_SIZE)} list pages + ${alerts} artifact pages${alerts > 0 ? ` + getByIds per 1,000 owners + 1 bulk request page` : ""}). ` +
    `Table: ${extra === explained ? `the floor + ${explained}` : `${extra} over the floor (expected ${explained})`}: ` +
    `the run-meta row is read and written (2 point operations), the outbox is queried for pending alerts (1 page)${alerts > 0 ? ", active silences are read before alerting (1 page), the routes are read to record each alert with its receivers (1 page)" : ""}` +
    `${packing > 0 ? `, and ${packing} more transaction(s) than entities ÷ 100: a session's row and its alert row commit together, so a batch can close short of 100` : ""}. ` +
    "Not counted by either design: one create-table call per run (409 when it exists)."
  );
}

const STARTUP_HEADING = "## Start-up and package";

/**
 * The document with the section under `heading` (up to the next `## ` heading) replaced by `body`; a
 * section it does not have yet goes before the one headed `before`, when given.
 */
function replaceSection(doc: string, heading: string, body: string, before?: string): string {
  let start = doc.indexOf(`${heading}\n`);
  if (start < 0 && before !== undefined && doc.includes(`\n${before}\n`)) {
    start = doc.indexOf(`\n${before}\n`) + 1;
    return `${doc.slice(0, start)}${heading}\n\n${body}\n${doc.slice(start)}`;
  }
  if (start < 0) throw new Error(`no "${heading}" section to rewrite`);
  const next = doc.indexOf("\n## ", start + heading.length);
  return `${doc.slice(0, start)}${heading}\n\n${body}${next < 0 ? "" : doc.slice(next)}`;
}

function renderDoc(started: Date, sizes: number[], runs: number, largeRuns: number, latency: number, baselines: string[], sections: string[], memory: Memory[], startup: string, fanout: string | undefined): string {
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  const mb = (bytes: number) => Math.round(bytes / 1048576);
  const inFlightShare = CHANGING.reduce<number>((sum, share) => sum + share, 0) * 2; // a run per share, with and without latency
  const memoryRows = memory.map((m) => {
    const peak = mb(Math.max(m.firstRunBytes, m.casesBytes));
    return `| ${m.sessions.toLocaleString("en")} | ${mb(m.firstRunBytes)} | ${mb(m.casesBytes)} | ${peak < MEMORY_TARGET_MB ? "yes" : "**no**"} |`;
  });
  return `# Benchmarks

What one run of restorewatch costs as the tenant grows, against a naive design, beside the floor. Written by \`npm run bench\`; the prose around the figures is in \`perf/run.ts\`.

- **Command:** \`npm run bench\` (all of it takes about three hours here, most of it Azurite at 100,000 sessions; \`npm run bench -- --sizes 1000,10000 --runs 3 --latency 50 --no-fanout --out /tmp/bench.md\` takes minutes). The many-tenants case through the queue fan-out has its own section, below.
- **Machine:** ${os.cpus().length} × ${cpu}, ${(os.totalmem() / 1073741824).toFixed(0)} GiB, ${os.type()} ${os.release()}, Node ${process.version}.
- **Date:** ${started.toISOString()}. Sizes ${sizes.join(", ")}; ${runs} measured runs of each design per case (${largeRuns} from ${LARGE.toLocaleString("en")} sessions up), without added latency and with ${latency} ms added to every Graph and Table Storage request.
- **Setup:** Azurite (in memory) and the Graph emulator, both local; each run of either design in a Node process of its own, compiled to JavaScript like the deployed function and started like it (managed identity through the emulated \`IDENTITY_ENDPOINT\`), so the peak RSS is the run's own and nothing else's. Each run's V8 heap is sized as Node sizes it on the deployed instance (\`${NODE_ARGS.join(" ")}\`: a quarter of the ${INSTANCE_MEMORY_MB} MB that \`infra/main.bicep\` gives an instance by default), not from this machine's memory, on which V8 would let garbage pile up for longer. Graph page size ${PAGE_SIZE} (Graph documents none for this API), artifact page size ${ARTIFACT_PAGE_SIZE}, state query page size ${STATE_PAGE_SIZE}. Per size, one tenant and one table per design: each design first records a baseline (every session new), then the cases run one after another on that state. Before each run, the case's share of sessions changes (active → completed, one in ten → failed, which raises an alert, fetches its artifacts and names their owners; the first failure of each run is a bulk restore). The sessions that the cases will change are in flight (active) from the start: ${runs} runs of 0% + 1% + 10%, twice, is ${Math.round(runs * inFlightShare * 100)}% of the tenant (${largeRuns} runs from ${LARGE.toLocaleString("en")} sessions up: ${Math.round(largeRuns * inFlightShare * 100)}%), more than a tenant with a long finished history has; it costs restorewatch nothing, and it flatters the naive design, which fetches artifacts only for finished sessions.
- **Naive design** (\`perf/naivePoll.ts\`, written for the benchmark only): one table read and one write per listed session, and the artifacts of every terminal session fetched on every run. It is given what does not change its request count: the sessions of a page are handled concurrently, and each session is a partition of its own (which also spares it Azurite's partition scan, below). So its wall times are flattering; its request counts are what it costs.
- **Floors:** Graph requests = list pages + artifact pages of the sessions that turned alertable + one \`getByIds\` per 1,000 owners to name (mailbox and OneDrive owners of those failures) + the bulk request pages of the bulk restores alerted (one per run here: the first failure of each run is a bulk restore whose addition request ended with errors). Table operations = state query pages + one transaction per 100 changed entities (session rows and alert rows, one partition). Beside our figure in brackets; where ours is above, the line under the table says why.
- **Azurite's own cost:** Azurite finds an entity by scanning its partition (LokiJS indexes PartitionKey and RowKey separately), so each write to a partition of 100,000 rows costs it milliseconds, where Table Storage takes the same time at any size. restorewatch keeps a tenant's sessions in one partition, because a transaction (up to 100 rows, at one price) can only span one; so at 100,000 sessions its wall times, and above all the baseline's, are Azurite's more than restorewatch's. The request counts are the same anywhere, and they are what Azure bills and throttles.

## First run (every session new)

| sessions | design | Graph requests | table query pages | transactions | point ops | wall ms | peak RSS MB |
|---|---|---|---|---|---|---|---|
${baselines.join("\n")}

## Each case

${sections.join("\n")}
## Memory

restorewatch's peak RSS, against the target of ${MEMORY_TARGET_MB} MB for a run of 100,000 sessions. Listing streams page by page: a run holds the stored state once (one small record per session, read page by page) and, until the whole listing is in, the changes (slimmed to their records unless they raise an alert; state is written only once the listing is complete, so a run that fails halfway writes nothing). No page of Graph is kept after it is compared. The heap is sized as on the deployed instance (Setup, above); on a machine with far more memory than the instance, V8 collects later and the same run shows a few tens of MB more.

| sessions | first run MB | highest case run MB | under ${MEMORY_TARGET_MB} MB |
|---|---|---|---|
${memoryRows.join("\n")}

${fanout === undefined ? "" : `${FANOUT_HEADING}\n\n${fanout}\n`}${STARTUP_HEADING}

${startup}
`;
}

const FANOUT_FLAGS = {
  fanout: { type: "boolean", default: true },
  "fanout-only": { type: "boolean" },
  tenants: { type: "string" },
  "tenant-sessions": { type: "string" },
  workers: { type: "string" },
} as const;

/** The fan-out case's size from the flags (500 tenants of 200 sessions, 1, 2 and 4 workers by default). */
function fanoutOptions(values: { tenants?: string | undefined; "tenant-sessions"?: string | undefined; workers?: string | undefined }, latencyMs: number): FanoutBenchOptions {
  const tenants = Number(values.tenants ?? DEFAULT_FANOUT.tenants);
  const sessions = Number(values["tenant-sessions"] ?? DEFAULT_FANOUT.sessions);
  const workers = (values.workers ?? DEFAULT_FANOUT.workers.join(",")).split(",").map(Number);
  if (!Number.isInteger(tenants) || tenants < 1 || !Number.isInteger(sessions) || sessions < 100 || workers.some((w) => !Number.isInteger(w) || w < 1 || w > 16)) {
    throw new Error("usage: npm run bench -- [--fanout-only | --no-fanout] [--tenants 500] [--tenant-sessions 200 (100 or more)] [--workers 1,2,4]");
  }
  return { tenants, sessions, workers, latencyMs };
}

async function fanoutSection(options: FanoutBenchOptions): Promise<string> {
  const started = new Date();
  const load = os.loadavg();
  const section = renderFanout(await measureFanout(options), started, load);
  console.log(section);
  return section;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildDeployPackage, type DeployPackage } from "../scripts/deployPackage";

/**
 * Start-up of the deploy package, measured as a cold start pays it: each figure in a fresh Node
 * process (this Node, 22 under npm run bench), with `@azure/functions-core` provided the way the Node
 * worker provides it (a require hook installed before the app loads).
 *
 * - import: `require("<package>/index.js")`, what the host waits for before it can index the app;
 * - first invocation: the runtime the functions load on their first run (config, identity, Graph,
 *   Table Storage and channel clients), timed from the timer handler's call to its first failure
 *   (no settings are given, so it stops at configuration, after every module has loaded);
 * - each dependency: `require("<name>")` from node_modules, unbundled, to show where start-up would go
 *   if everything were loaded at once.
 */

const ROOT = path.resolve(__dirname, "..");
const PROCESSES = 7;
export const DEPENDENCIES = ["@azure/functions", "@azure/identity", "@azure/data-tables", "@microsoft/microsoft-graph-client", "@azure/communication-email"] as const;
/** The last figure measured before the package existed (docs/benchmarks.md of 2026-11-30: dist/ and node_modules, Node 20). */
export const UNBUNDLED_IMPORT_MS = 463;

export interface StartupFigures {
  readonly pkg: DeployPackage;
  readonly importMs: readonly number[];
  readonly firstInvocationMs: readonly number[];
  readonly dependencyMs: ReadonlyMap<string, readonly number[]>;
  readonly node: string;
  readonly measuredAt: Date;
  /** The machine's 1-minute load average when measuring began (other work slows every figure). */
  readonly loadAverage: number;
}

/** Installs the worker's `@azure/functions-core` stand-in and keeps the registered handlers in globalThis. */
const CORE_STUB = `
const Module = require("node:module");
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) { return request === "@azure/functions-core" ? request : resolve.call(this, request, ...rest); };
const core = new Module("@azure/functions-core");
core.filename = core.id = "@azure/functions-core";
core.loaded = true;
globalThis.__handlers = {};
core.exports = {
  version: "3.11.0",
  setProgrammingModel(model) { globalThis.__model = model; },
  getProgrammingModel() { return globalThis.__model; },
  registerFunction(metadata, callback) { globalThis.__handlers[metadata.name] = callback; return { dispose() {} }; },
  registerHook() { return { dispose() {} }; },
  log() {},
  Disposable: class { constructor(f) { this.f = f; } dispose() { this.f(); } },
};
Module._cache["@azure/functions-core"] = core;
`;

/**
 * Telemetry on, as infra/main.bicep configures it (the figures include whatever telemetry costs at
 * start-up). The first invocation stops at configuration, before any record is made: nothing is sent.
 */
const TELEMETRY_ENV = {
  APPLICATIONINSIGHTS_CONNECTION_STRING: "InstrumentationKey=00000000-0000-4000-8000-000000000001;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/",
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: "ClientId=00000000-0000-4000-8000-000000000002;Authorization=AAD",
};

export async function measureStartup(workDir: string): Promise<StartupFigures> {
  mkdirSync(workDir, { recursive: true });
  const measuredAt = new Date();
  const loadAverage = os.loadavg()[0] ?? 0;
  const pkg = await buildDeployPackage(path.join(workDir, "package"));
  const stub = path.join(workDir, "functions-core-stub.js");
  writeFileSync(stub, CORE_STUB);
  const entry = path.join(pkg.appDir, "index.js");
  const time = (script: string, env: NodeJS.ProcessEnv = {}): number => {
    const out = execFileSync(process.execPath, ["--require", stub, "-e", script], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], env: { PATH: process.env["PATH"] ?? "", ...env } });
    return Number(out.trim().split("\n").at(-1));
  };
  const importMs = repeat(() => time(`const t=process.hrtime.bigint();require(${JSON.stringify(entry)});console.log(Number(process.hrtime.bigint()-t)/1e6)`, TELEMETRY_ENV));
  // The handler app.timer registered, called as the worker would call it (a Timer, an InvocationContext).
  const firstInvocationMs = repeat(() =>
    time(
      `require(${JSON.stringify(entry)});const context={log(){},warn(){},error(){}};const t=process.hrtime.bigint();` +
        `globalThis.__handlers.pollRestoreSessions({isPastDue:false},context).catch(()=>{}).then(()=>console.log(Number(process.hrtime.bigint()-t)/1e6))`,
      TELEMETRY_ENV,
    ),
  );
  const dependencyMs = new Map(
    DEPENDENCIES.map((name) => [name, repeat(() => time(`const t=process.hrtime.bigint();require(${JSON.stringify(name)});console.log(Number(process.hrtime.bigint()-t)/1e6)`, { NODE_PATH: path.join(ROOT, "node_modules") }))] as const),
  );
  return { pkg, importMs, firstInvocationMs, dependencyMs, node: process.version, measuredAt, loadAverage };
}

function repeat(measure: () => number): number[] {
  return Array.from({ length: PROCESSES }, measure);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The "Start-up and package" section of docs/benchmarks.md. */
export function renderStartup(figures: StartupFigures): string {
  const ms = (values: readonly number[]): string => `${median(values).toFixed(0)} ms median (${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)} ms over ${values.length} processes)`;
  const kb = (bytes: number): string => `${(bytes / 1024).toLocaleString("en", { maximumFractionDigits: 0 })} KB`;
  const files = figures.pkg.files.map((f) => `| \`${f.name}\` | ${kb(f.bytes)} |`).join("\n");
  const deps = [...figures.dependencyMs].map(([name, values]) => `| \`${name}\` | ${median(values).toFixed(0)} |`).join("\n");
  return `Deploy package (\`npm run package\`): ${figures.pkg.files.length} files, ${(figures.pkg.totalBytes / 1048576).toFixed(2)} MB (zip ${(figures.pkg.zipBytes / 1048576).toFixed(2)} MB); before it, the unbundled package was 11,036 files and 43.8 MB. Targets: at most 5 files and 3 MB.

| file | size |
|---|---|
${files}

Start-up on Node ${figures.node}, each figure in a fresh process (the worker's \`@azure/functions-core\` stubbed in as it provides it), telemetry on (\`APPLICATIONINSIGHTS_CONNECTION_STRING\` and \`APPLICATIONINSIGHTS_AUTHENTICATION_STRING\` set); measured ${figures.measuredAt.toISOString()} (\`npm run bench -- --startup-only\` rewrites this section alone), load average ${figures.loadAverage.toFixed(1)} on ${os.cpus().length} cores:

- **Importing the deployed entry** (\`index.js\`, what the host waits for before it indexes the app): ${ms(figures.importMs)}. Target: under 200 ms; ${UNBUNDLED_IMPORT_MS} ms before bundling (dist/ with node_modules, Node 20).
- **The first invocation's runtime** (configuration, identity, Graph, Table Storage and channel clients, loaded by the first timer run and kept): ${ms(figures.firstInvocationMs)}.

Where start-up went before: each dependency required on its own from node_modules (median ms over ${PROCESSES} processes). The package loads only \`@azure/functions\` at start-up and the rest on the first invocation, all from one file. zod (79 ms on its own, and 447 KB of the 1.3 MB minified bundle, since its namespace API defeats tree-shaking) was replaced by the few typed field readers in \`shared/graph/jsonFields.ts\`.

| dependency | import ms |
|---|---|
${deps}`;
}

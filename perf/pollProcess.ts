import { execFile, execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import type { PollSummary } from "../shared/pipeline/poll";
import type { GraphTrafficCounters } from "../shared/graph/retryMiddleware";
import type { TableTrafficCounters } from "../shared/state/tableClient";

export interface MeasuredRun {
  readonly summary: Omit<PollSummary, "alerts"> & { alertIds: string[] };
  readonly graph: GraphTrafficCounters;
  readonly table: TableTrafficCounters;
  readonly wallMs: number;
  readonly maxRssBytes: number;
}

// Compiled (tsconfig.bench.json) into plain JavaScript like the deployed function, so the peak RSS
// is not inflated by an on-the-fly TypeScript loader.
const ROOT = path.resolve(__dirname, "..");
const COMPILED = path.join(ROOT, ".bench/perf");
const ENTRIES = { restorewatch: path.join(COMPILED, "measuredPoll.js"), naive: path.join(COMPILED, "naivePoll.js") } as const;

/** Runs the compiled perf/measuredPoll.ts (or the naive design) in a child process with these settings (and the test CA trusted). */
export async function runMeasuredPoll(env: Record<string, string>, caCertPath: string, design: keyof typeof ENTRIES = "restorewatch", nodeArgs: readonly string[] = []): Promise<MeasuredRun> {
  if (!existsSync(ENTRIES[design])) throw new Error(`${ENTRIES[design]} is missing: call compileMeasuredPolls() first`);
  const { stdout } = await promisify(execFile)(process.execPath, [...nodeArgs, ENTRIES[design]], {
    cwd: ROOT,
    env: { PATH: process.env["PATH"] ?? "", ...env, NODE_EXTRA_CA_CERTS: caCertPath },
    maxBuffer: 256 * 1024 * 1024,
  });
  const line = stdout.trim().split("\n").at(-1) ?? "";
  return JSON.parse(line) as MeasuredRun;
}

/** Compiles the measured entry points (and the code they import) into .bench/. */
export function compileMeasuredPolls(): void {
  execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(ROOT, "tsconfig.bench.json")], { cwd: ROOT, stdio: "inherit" });
}

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
const ENTRIES = { restorewatch: "perf/measuredPoll.js", naive: "perf/naivePoll.js" } as const;

/** The measured entry points, compiled into a folder of their own. */
export interface MeasuredPolls {
  readonly dir: string;
}

/**
 * Compiles the measured entry points (and the code they import) into .bench/<name>/, inside the
 * repository so they find its node_modules; a name per caller, so two callers never share files.
 */
export function compileMeasuredPolls(name: string): MeasuredPolls {
  const dir = path.join(ROOT, ".bench", name);
  execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(ROOT, "tsconfig.bench.json"), "--outDir", dir], { cwd: ROOT, stdio: "inherit" });
  return { dir };
}

/** Runs the compiled perf/measuredPoll.ts (or the naive design) in a child process with these settings (and the test CA trusted). */
export async function runMeasuredPoll(polls: MeasuredPolls, env: Record<string, string>, caCertPath: string, design: keyof typeof ENTRIES = "restorewatch", nodeArgs: readonly string[] = []): Promise<MeasuredRun> {
  const entry = path.join(polls.dir, ENTRIES[design]);
  if (!existsSync(entry)) throw new Error(`${entry} is missing: compileMeasuredPolls() did not build it`);
  const { stdout } = await promisify(execFile)(process.execPath, [...nodeArgs, entry], {
    cwd: ROOT,
    env: { PATH: process.env["PATH"] ?? "", ...env, NODE_EXTRA_CA_CERTS: caCertPath },
    maxBuffer: 256 * 1024 * 1024,
  });
  const line = stdout.trim().split("\n").at(-1) ?? "";
  return JSON.parse(line) as MeasuredRun;
}

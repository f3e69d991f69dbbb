import { execFile } from "node:child_process";
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

const ENTRIES = { restorewatch: path.resolve(__dirname, "measuredPoll.ts"), naive: path.resolve(__dirname, "naivePoll.ts") } as const;

/** Runs perf/measuredPoll.ts (or the naive design) in a child process with these settings (and the test CA trusted). */
export async function runMeasuredPoll(env: Record<string, string>, caCertPath: string, design: keyof typeof ENTRIES = "restorewatch"): Promise<MeasuredRun> {
  const { stdout } = await promisify(execFile)(process.execPath, ["--require", "tsx/cjs", ENTRIES[design]], {
    cwd: path.resolve(__dirname, ".."),
    env: { PATH: process.env["PATH"] ?? "", ...env, NODE_EXTRA_CA_CERTS: caCertPath },
    maxBuffer: 256 * 1024 * 1024,
  });
  const line = stdout.trim().split("\n").at(-1) ?? "";
  return JSON.parse(line) as MeasuredRun;
}

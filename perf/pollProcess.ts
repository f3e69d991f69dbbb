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

const ENTRY = path.resolve(__dirname, "measuredPoll.ts");

/** Runs perf/measuredPoll.ts in a child process with these settings (and the test CA trusted). */
export async function runMeasuredPoll(env: Record<string, string>, caCertPath: string): Promise<MeasuredRun> {
  const { stdout } = await promisify(execFile)(process.execPath, ["--require", "tsx/cjs", ENTRY], {
    cwd: path.resolve(__dirname, ".."),
    env: { PATH: process.env["PATH"] ?? "", ...env, NODE_EXTRA_CA_CERTS: caCertPath },
    maxBuffer: 256 * 1024 * 1024,
  });
  const line = stdout.trim().split("\n").at(-1) ?? "";
  return JSON.parse(line) as MeasuredRun;
}

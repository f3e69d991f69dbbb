import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
const CLI_MAIN = path.join(ROOT, "shared/cli/main.ts");
/** tsx's loader, so the child runs the TypeScript sources as they are (no build step). */
const TSX_LOADER = path.join(ROOT, "node_modules/tsx/dist/loader.mjs");

export interface CliProcess {
  readonly child: ChildProcess;
  /** Everything the process wrote so far (stdout and stderr), for failure messages. */
  output(): string;
  /** Resolves when the process has exited, with its exit code or the signal that ended it. */
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>;
  /** SIGKILL: no handler runs, nothing is flushed; resolves once the process is gone. */
  kill(): Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>;
}

/**
 * Runs the real `restorewatch` CLI (shared/cli/main.ts, as `node --import tsx`) in a child process
 * with exactly these settings: a clean environment (nothing of the developer's Azure login leaks in)
 * plus PATH and the test CA (NODE_EXTRA_CA_CERTS, read at process start), in an empty working folder
 * so no local.settings.json is picked up.
 */
export function startCli(args: readonly string[], settings: Readonly<Record<string, string>>, options: { readonly cwd?: string } = {}): CliProcess {
  const caCert = process.env["NODE_EXTRA_CA_CERTS"];
  if (!caCert) throw new Error("NODE_EXTRA_CA_CERTS is not set: run through vitest (test/support/globalSetup.ts)");
  const env: Record<string, string> = { PATH: process.env["PATH"] ?? "", NODE_EXTRA_CA_CERTS: caCert, ...settings };
  const cwd = options.cwd ?? mkdtempSync(path.join(os.tmpdir(), "restorewatch-cli-"));
  const child = spawn(process.execPath, ["--import", TSX_LOADER, CLI_MAIN, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
    child.once("error", reject);
  });
  return {
    child,
    output: () => output,
    exited,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      return exited;
    },
  };
}

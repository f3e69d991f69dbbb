import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { freePort } from "./freePort";

export const AZURITE_ACCOUNT = "devstoreaccount1";
/** Azurite's well-known development key (public, documented; not a secret). */
export const AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface AzuriteTable {
  readonly port: number;
  readonly connectionString: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

export interface StartAzuriteOptions {
  /** Folder for persistent data; in memory when absent. */
  readonly location?: string;
  readonly port?: number;
}

const AZURITE_TABLE_MAIN = path.resolve(__dirname, "../../node_modules/azurite/dist/src/table/main.js");

/** Starts Azurite's Table service as a child process and resolves once it listens. */
export async function startAzuriteTable(options: StartAzuriteOptions = {}): Promise<AzuriteTable> {
  const port = options.port ?? (await freePort());
  const args = [AZURITE_TABLE_MAIN, "--tableHost", "127.0.0.1", "--tablePort", String(port), "--disableTelemetry", "--skipApiVersionCheck", "--loose", "--silent"];
  args.push(...(options.location ? ["--location", options.location] : ["--inMemoryPersistence"]));
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes("successfully listens on") || output.includes("successfully started on")) {
        child.stdout?.off("data", onData);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) => reject(new Error(`Azurite exited with ${code} before listening:\n${output}`)));
    child.once("error", reject);
  });
  const connectionString =
    `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};` +
    `TableEndpoint=http://127.0.0.1:${port}/${AZURITE_ACCOUNT};`;
  return {
    port,
    connectionString,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

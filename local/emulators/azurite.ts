import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { freePort } from "./freePort";

export const AZURITE_ACCOUNT = "devstoreaccount1";
/** Azurite's well-known development key (public, documented; not a secret). */
export const AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface AzuriteTable {
  readonly port: number;
  /** The account's table endpoint, e.g. http://127.0.0.1:10002/devstoreaccount1 (https with the oauth option). */
  readonly tableEndpoint: string;
  /** Shared-key connection string of the well-known account. */
  readonly connectionString: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

export interface StartAzuriteOptions {
  /** Folder for persistent data; in memory when absent. */
  readonly location?: string;
  readonly port?: number;
  /**
   * Serve HTTPS with this certificate and accept Entra bearer tokens too (`--oauth basic`; Azurite takes
   * bearer tokens only over HTTPS). Basic means: the token must decode as a JWT with iat, nbf and exp
   * (now between nbf and exp), an issuer starting with https://sts.windows.net/ (or another Entra cloud's)
   * and the audience https://storage.azure.com[/], the storage app id or https://<account>.table.core.windows.net;
   * neither its signature nor any role is checked. Shared key still works. Absent: http, no bearer tokens.
   */
  readonly oauth?: { readonly certPath: string; readonly keyPath: string };
}

const AZURITE_TABLE_MAIN = path.resolve(__dirname, "../../node_modules/azurite/dist/src/table/main.js");

/** Starts Azurite's Table service as a child process and resolves once it listens. */
export async function startAzuriteTable(options: StartAzuriteOptions = {}): Promise<AzuriteTable> {
  const port = options.port ?? (await freePort());
  const args = [AZURITE_TABLE_MAIN, "--tableHost", "127.0.0.1", "--tablePort", String(port), "--disableTelemetry", "--skipApiVersionCheck", "--loose", "--silent"];
  args.push(...(options.location ? ["--location", options.location] : ["--inMemoryPersistence"]));
  if (options.oauth) args.push("--oauth", "basic", "--cert", options.oauth.certPath, "--key", options.oauth.keyPath);
  const protocol = options.oauth ? "https" : "http";
  const { child, isClosing } = await spawnAzurite(args);
  const tableEndpoint = `${protocol}://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  const connectionString = `DefaultEndpointsProtocol=${protocol};AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};TableEndpoint=${tableEndpoint};`;
  return {
    port,
    tableEndpoint,
    connectionString,
    process: child,
    stop: () => stopAzurite(child, isClosing),
  };
}

/**
 * SIGINT: an Azurite service closes its store on SIGINT, saving it to --location; on SIGTERM it dies
 * with up to 5 s of writes unsaved (LokiJS autosaves every 5 s), and a restart would not see them.
 */
function stopAzurite(child: ChildProcess, isClosing: () => boolean): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const force = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    // A second SIGINT would kill it mid-save (its handler runs once).
    if (!isClosing()) child.kill("SIGINT");
  });
}

/** Azurite's Queue service (the fan-out's tenant-poll queues): a child process, like the Table service. */
export interface AzuriteQueue {
  readonly port: number;
  /** The account's queue endpoint, e.g. http://127.0.0.1:10001/devstoreaccount1. */
  readonly queueEndpoint: string;
  /** Shared-key connection string of the well-known account (QueueEndpoint). */
  readonly connectionString: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

const AZURITE_QUEUE_MAIN = path.resolve(__dirname, "../../node_modules/azurite/dist/src/queue/main.js");

/** Starts Azurite's Queue service (http, shared key; in memory unless a location is given) and resolves once it listens. */
export async function startAzuriteQueue(options: { readonly location?: string; readonly port?: number } = {}): Promise<AzuriteQueue> {
  const port = options.port ?? (await freePort());
  const args = [AZURITE_QUEUE_MAIN, "--queueHost", "127.0.0.1", "--queuePort", String(port), "--disableTelemetry", "--skipApiVersionCheck", "--loose", "--silent"];
  args.push(...(options.location ? ["--location", options.location] : ["--inMemoryPersistence"]));
  const { child, isClosing } = await spawnAzurite(args);
  const queueEndpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  return {
    port,
    queueEndpoint,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};QueueEndpoint=${queueEndpoint};`,
    process: child,
    stop: () => stopAzurite(child, isClosing),
  };
}

/** Runs an Azurite service with these arguments and resolves once it listens. */
async function spawnAzurite(args: readonly string[]): Promise<{ child: ChildProcess; isClosing: () => boolean }> {
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  /** Azurite said it is closing (it got SIGINT, e.g. Ctrl+C to the process group): wait, don't signal again. */
  let closing = false;
  await new Promise<void>((resolve, reject) => {
    // Kept on after start-up: it drains the pipe, and it sees "closing".
    child.stdout?.on("data", (chunk: Buffer) => {
      const text = chunk.toString();
      if (text.includes("service is closing")) closing = true;
      if (output.length < 100_000) output += text;
      if (output.includes("successfully listens on") || output.includes("successfully started on")) resolve();
    });
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) => reject(new Error(`Azurite exited with ${code} before listening:\n${output}`)));
    child.once("error", reject);
  });
  return { child, isClosing: () => closing };
}

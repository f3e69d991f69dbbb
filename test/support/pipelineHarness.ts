import { randomUUID } from "node:crypto";
import type { TokenCredential } from "@azure/core-auth";
import { TableClient } from "@azure/data-tables";
import type { AlertChannel } from "../../shared/channels/channel";
import { loadConfig, type Config } from "../../shared/config/config";
import { createPollDeps } from "../../shared/pipeline/createPollDeps";
import type { TelemetryRecorder } from "../../shared/telemetry/recorder";
import type { Logger } from "../../shared/domain/logger";
import { runPoll, type PollOptions, type PollSummary } from "../../shared/pipeline/poll";
import { newRun, type TenantRun } from "../../shared/pipeline/pollDeps";
import type { PollDeps } from "../../shared/pipeline/poll";
import { GraphEmulator, type GraphEmulatorOptions } from "../../local/emulators/graph/graphEmulator";
import { TEST_TENANT_ID, TokenIssuer } from "../../local/emulators/tokens";
import type { AzuriteTable } from "../../local/emulators/azurite";
import { RecordingChannel } from "./recordingChannel";
import { loadTestTls } from "../../local/emulators/tls";

export const READ_ROLE = "BackupRestore-Restore.Read.All";

export interface Harness {
  readonly graph: GraphEmulator;
  readonly issuer: TokenIssuer;
  readonly channel: RecordingChannel;
  readonly tableName: string;
  readonly env: Record<string, string>;
  readonly config: Config;
  readonly logs: string[];
  /** What runs log to (into logs): pass it to runPoll. */
  readonly log: Logger;
  /** A fresh set of parts (as a new function instance would build), sharing the emulators and table. */
  deps(overrides?: { credential?: TokenCredential; channels?: AlertChannel[]; now?: () => Date; config?: Config; telemetry?: TelemetryRecorder }): PollDeps;
  poll(options?: PollOptions & { now?: Date }): Promise<PollSummary>;
  table(): TableClient;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  readonly env?: Record<string, string>;
  readonly graph?: Partial<Omit<GraphEmulatorOptions, "tls" | "issuer">>;
  readonly roles?: readonly string[];
}

/** Graph emulator + a fresh table in a running Azurite + the real pipeline, as a test drives it. */
export async function startHarness(azurite: AzuriteTable, options: HarnessOptions = {}): Promise<Harness> {
  const issuer = new TokenIssuer();
  const graph = await GraphEmulator.start({ tls: loadTestTls(), issuer, ...options.graph });
  const tableName = `rw${randomUUID().replace(/-/g, "").slice(0, 20)}`;
  const env: Record<string, string> = {
    AzureWebJobsStorage: azurite.connectionString,
    GRAPH_ENDPOINT: graph.url,
    // The emulator opt-in, for what reads the process environment (the CLI in a child process).
    RESTOREWATCH_EMULATOR_ORIGINS: graph.url,
    STATE_TABLE: tableName,
    GRAPH_MAX_RETRIES: "3",
    GRAPH_TIMEOUT_SECONDS: "5",
    ...options.env,
  };
  const config = loadConfig(env, { requireChannel: false });
  const channel = new RecordingChannel();
  const logs: string[] = [];
  const log: Logger = { info: (m) => logs.push(m), warn: (m) => logs.push(`WARN ${m}`), error: (m) => logs.push(`ERROR ${m}`) };
  const credential = issuer.credential({ roles: options.roles ?? [READ_ROLE] });
  const deps: Harness["deps"] = (overrides = {}) =>
    createPollDeps({
      config: overrides.config ?? config,
      channels: overrides.channels ?? [channel],
      credential: overrides.credential ?? credential,
      graphBaseDelayInMs: 10,
      emulatorOrigins: [graph.url],
      ...(overrides.now && { now: overrides.now }),
      ...(overrides.telemetry && { telemetry: overrides.telemetry }),
    });
  return {
    graph,
    issuer,
    channel,
    tableName,
    env,
    config,
    logs,
    log,
    deps,
    poll: ({ now, ...pollOptions } = {}) => runPoll(deps(now ? { now: () => now } : {}), { log, ...pollOptions }),
    table: () => TableClient.fromConnectionString(azurite.connectionString, tableName, { allowInsecureConnection: true }),
    stop: () => graph.stop(),
  };
}

/** A run of the harness's tenant, as the stages get it from runPoll (for testing a stage on its own). */
export function tenantRun(h: Harness, deps: PollDeps, options: PollOptions = {}): TenantRun {
  return { ...newRun(deps, { log: h.log, ...options }), tenantId: TEST_TENANT_ID };
}

/** Every row of the harness table (for assertions on what was stored). */
export async function readRows(table: TableClient): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for await (const entity of table.listEntities<Record<string, unknown>>()) rows.push(entity);
  return rows;
}

import { randomUUID } from "node:crypto";
import type { TableClient } from "@azure/data-tables";
import type { AlertChannel } from "../channels/channel";
import type { Config } from "../config/config";
import type { Logger } from "../domain/logger";
import type { GraphApi } from "../graph/graphClient";
import type { GraphTrafficCounters } from "../graph/retryMiddleware";
import type { TableTrafficCounters } from "../state/tableClient";
import type { Telemetry } from "../domain/telemetry";
import type { SecretReader } from "../identity/keyVaultSecrets";

/** Everything a run needs, built once per instance by the function, the CLI, the local host or a test. */
export interface PollDeps {
  readonly config: Config;
  readonly graph: GraphApi;
  readonly table: TableClient;
  readonly channels: readonly AlertChannel[];
  readonly graphCounters: GraphTrafficCounters;
  readonly tableCounters: TableTrafficCounters;
  /** The tenant of the state partition: GRAPH_TENANT_ID, else the tid of the Graph token. */
  readonly resolveTenant: () => Promise<string>;
  /** The operator's label of a customer tenant (`restorewatch tenant add --name`), named by its health notices; absent for the home tenant. */
  readonly tenantLabel?: string;
  /** This instance's count of failed runs, for when the state table is what fails. */
  readonly health: HealthMemory;
  /** The clock (tests move it). */
  readonly now?: () => Date;
  /** Takes the run, alert and delivery records (Application Insights customEvents); absent: none. */
  readonly telemetry?: Telemetry;
  /** Reads routes' Teams webhook URLs (KEY_VAULT_URI, the app's identity); absent: KEY_VAULT_URI is not set. */
  readonly routeSecrets?: SecretReader;
}

/**
 * What this instance knows of recent runs, for when the state table itself is what fails: the count
 * in the table survives restarts; this one keeps counting (and remembers a notice sent) while the
 * table cannot be written.
 */
export interface HealthMemory {
  consecutiveFailures: number;
  lastSuccessAt?: string;
  alertedAt?: string;
}

export interface PollOptions {
  /** Where this run's log lines go (the invocation's context in the function). */
  readonly log?: Logger;
  /** Change no state and send nothing; report the alerts that would be recorded. */
  readonly dryRun?: boolean;
  /** How long the run may take before it stops (default RUN_DEADLINE_IN_MS; tests shorten it). */
  readonly deadlineInMs?: number;
  /** Skip the delivery step (the outbox keeps the alerts for the next run). */
  readonly skipDelivery?: boolean;
}

/**
 * A run stops itself after 8 minutes, 2 before host.json's functionTimeout (10 minutes) would kill
 * it: Graph requests, table requests and sends are aborted, and the run is recorded as failed (it
 * counts toward the health notice) with time to spare. The next run picks up what was left.
 */
export const RUN_DEADLINE_IN_MS = 8 * 60_000;
/** After the deadline: time to write what was sent (delivery outcomes) or that the run failed. */
export const BOOKKEEPING_GRACE_IN_MS = 60_000;

/** One run, as every stage sees it. */
export interface RunContext {
  readonly runId: string;
  readonly now: Date;
  readonly log: Logger;
  readonly dryRun: boolean;
  readonly skipDelivery: boolean;
  readonly deadlineInMs: number;
  /** Ends the run's Graph, table and channel calls at the deadline. */
  readonly deadline: AbortSignal;
  /** Ends the bookkeeping of what was sent, a grace period after the deadline. */
  readonly bookkeeping: AbortSignal;
  /** Performance counters at the start, for the run's own figures. */
  readonly started: { readonly at: number; readonly graphRequests: number; readonly tableTransactions: number; readonly graphThrottled: number; readonly graphBytes: number };
}

/** A run of a known tenant (the state partition): what the stages after tenant resolution get. */
export interface TenantRun extends RunContext {
  readonly tenantId: string;
}

/** A step of the run: typed input to typed output, with the run's parts and context. */
export type Stage<In, Out> = (deps: PollDeps, run: TenantRun, input: In) => Promise<Out>;

const SILENT: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export function newRun(deps: PollDeps, options: PollOptions): RunContext {
  const now = deps.now?.() ?? new Date();
  const deadlineInMs = options.deadlineInMs ?? RUN_DEADLINE_IN_MS;
  return {
    runId: `${now.toISOString().replace(/[-:.]/g, "").slice(0, 15)}-${randomUUID().slice(0, 8)}`,
    now,
    log: options.log ?? SILENT,
    dryRun: options.dryRun ?? false,
    skipDelivery: options.skipDelivery ?? false,
    deadlineInMs,
    deadline: AbortSignal.timeout(deadlineInMs),
    bookkeeping: AbortSignal.timeout(deadlineInMs + BOOKKEEPING_GRACE_IN_MS),
    started: {
      at: Date.now(),
      graphRequests: deps.graphCounters.requests,
      tableTransactions: deps.tableCounters.transactions,
      graphThrottled: deps.graphCounters.throttled,
      graphBytes: deps.graphCounters.bytesRead,
    },
  };
}

/** The run's own traffic and time, from the counters. */
export function runFigures(deps: PollDeps, run: RunContext): { graphRequests: number; tableTransactions: number; durationMs: number } {
  return {
    graphRequests: deps.graphCounters.requests - run.started.graphRequests,
    tableTransactions: deps.tableCounters.transactions - run.started.tableTransactions,
    durationMs: Date.now() - run.started.at,
  };
}

/** A dry run against a table that does not exist yet reads as empty state. */
export function ignoreMissingTable<T>(run: RunContext, empty: T): (error: unknown) => T {
  return (error) => {
    if (run.dryRun && typeof error === "object" && error !== null && (error as { statusCode?: number }).statusCode === 404) return empty;
    throw error;
  };
}

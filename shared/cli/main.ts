#!/usr/bin/env node
import { parseArgs } from "node:util";
import type { TokenCredential } from "@azure/core-auth";
import { createChannels } from "../channels/createChannels";
import { loadConfig, type Config, type Env } from "../config/config";
import { GraphRequestError, errorMessage } from "../errors";
import { GRAPH_SCOPE, readTenantClaim } from "../graph/graphClient";
import { WORKLOADS, type Workload } from "../graph/restoreSession";
import { createAppCredential, createGraphCredential } from "../identity";
import { createPollDeps } from "../pipeline/createPollDeps";
import { formatSummary, runPoll } from "../pipeline/poll";
import { ROW_PREFIX } from "../state/entities";
import { Outbox } from "../state/outbox";
import { RunMetaStore } from "../state/runMeta";
import { SilenceStore } from "../state/silences";
import { createStateTableClient, ensureTable, isRestError, newTableCounters } from "../state/tableClient";
import { EXIT, UsageError, exitCodeFor } from "./exitCodes";
import { runExtraCommand } from "./extraCommands";
import { loadCliEnvironment } from "./localSettings";

const USAGE = `restorewatch: alerts for failed Microsoft 365 Backup restores

Usage:
  restorewatch poll [--once] [--dry-run] [--json]   run one poll with the function's settings
  restorewatch status [--json]                       last runs, pending and dead-lettered alerts
  restorewatch retry <alertId>                       re-queue a dead-lettered alert on every channel
  restorewatch ack <sessionId>                       acknowledge a failure: no more reminders
  restorewatch silence --workload <exchange|sharePoint|oneDrive> --until <ISO time> [--session <id>] [--comment <text>]
  restorewatch test-alert                            send a sample alert through every configured channel
  restorewatch grant-graph-permission --principal-id <objectId> | --app-id <clientId>
                                                     grant the identity BackupRestore-Restore.Read.All (run as an admin)

Settings come from the environment and, when present, local.settings.json "Values".
Exit codes: 0 ok, 1 failure, 2 configuration error, 3 authentication/permission failure, 4 Graph unreachable, 64 usage.`;

export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly env: Env;
  /** Injected in tests; by default from AZURE_CLIENT_ID or DefaultAzureCredential. */
  readonly credential?: TokenCredential;
  readonly now?: () => Date;
}

/** Runs one CLI command; returns the process exit code. Never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [verb, ...rest] = argv;
  try {
    switch (verb) {
      case "poll":
        return await poll(rest, io);
      case "status":
        return await status(rest, io);
      case "retry":
        return await retry(rest, io);
      case "ack":
        return await ack(rest, io);
      case "silence":
        return await silence(rest, io);
      case "test-alert":
      case "grant-graph-permission":
        return await runExtraCommand(verb, rest, io);
      case undefined:
      case "help":
      case "--help":
      case "-h":
        io.out(USAGE);
        return verb === undefined ? EXIT.usage : EXIT.ok;
      default:
        throw new UsageError(`unknown command '${verb}' (try: restorewatch help)`);
    }
  } catch (error) {
    io.err(`restorewatch: ${errorMessage(error)}`);
    return exitCodeFor(error);
  }
}

function parse(args: readonly string[], options: NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>["options"]>, positionals = 0) {
  try {
    const parsed = parseArgs({ args: [...args], options, allowPositionals: positionals > 0, strict: true });
    if (parsed.positionals.length !== positionals) throw new UsageError(`expected ${positionals} argument(s)`);
    return parsed;
  } catch (error) {
    throw error instanceof UsageError ? error : new UsageError(errorMessage(error));
  }
}

async function poll(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(args, { once: { type: "boolean" }, "dry-run": { type: "boolean" }, json: { type: "boolean" } });
  const dryRun = values["dry-run"] === true;
  const config = loadConfig(io.env, { requireChannel: !dryRun });
  const credential = io.credential ?? createAppCredential(config.identity.clientId);
  const log = { info: io.out, warn: (m: string) => io.err(`warning: ${m}`), error: (m: string) => io.err(`error: ${m}`) };
  const channels = dryRun ? [] : createChannels(config, credential, log);
  const deps = createPollDeps({ config, log, channels, credential, ...(io.now && { now: io.now }) });
  const summary = await runPoll(deps, { dryRun });
  if (values.json) io.out(JSON.stringify(summary, null, 2));
  else io.out(formatSummary(summary));
  return EXIT.ok;
}

/** The state partition: GRAPH_TENANT_ID, or the tenant of the app's Graph token. */
async function resolveTenant(config: Config, credential: TokenCredential): Promise<string> {
  if (config.graph.tenantId) return config.graph.tenantId;
  let token;
  try {
    token = await credential.getToken(GRAPH_SCOPE);
  } catch (error) {
    throw new GraphRequestError(`could not get a token for Microsoft Graph to learn the tenant id (or set GRAPH_TENANT_ID): ${errorMessage(error)}`, undefined, "CredentialUnavailable", GRAPH_SCOPE);
  }
  const tenantId = token ? readTenantClaim(token.token) : undefined;
  if (!tenantId) throw new GraphRequestError("the Graph token has no 'tid' claim; set GRAPH_TENANT_ID", undefined, "NoTenant", GRAPH_SCOPE);
  return tenantId;
}

async function openState(io: CliIo) {
  const config = loadConfig(io.env, { requireChannel: false });
  const credential = io.credential ?? createAppCredential(config.identity.clientId);
  const table = createStateTableClient(config.state.connection, config.state.tableName, () => credential);
  await ensureTable(table);
  const tenantId = await resolveTenant(config, createGraphCredential(config.identity, undefined, { managedIdentity: credential }));
  return { config, credential, table, tenantId, counters: newTableCounters() };
}

async function status(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(args, { json: { type: "boolean" } });
  const { table, tenantId, counters } = await openState(io);
  const { meta } = await new RunMetaStore(table, tenantId, counters).read();
  const alerts = await new Outbox(table, tenantId, counters).listAll();
  const open = alerts.filter((s) => Object.values(s.deliveries).some((d) => d.state !== "delivered" && d.state !== "silenced"));
  if (values.json) {
    io.out(JSON.stringify({ tenantId, meta, alerts: open.map((s) => ({ id: s.alert.id, recordedAt: s.alert.recordedAt, deliveries: s.deliveries })) }, null, 2));
    return EXIT.ok;
  }
  io.out(`tenant ${tenantId}: last run ${meta.lastRunAt ?? "never"}, last success ${meta.lastSuccessAt ?? "never"}, consecutive failures ${meta.consecutiveFailures}${meta.lastError ? ` (last error: ${meta.lastError})` : ""}`);
  io.out(`${alerts.length} alert record(s); ${open.length} not delivered everywhere:`);
  for (const stored of open) {
    const channels = Object.entries(stored.deliveries)
      .map(([name, d]) => `${name}=${d.state}${d.attempts ? `(${d.attempts} attempts${d.nextAttemptAt ? `, next ${d.nextAttemptAt}` : ""}${d.lastError ? `, ${d.lastError}` : ""})` : ""}`)
      .join(" ");
    io.out(`  ${stored.alert.id}  recorded ${stored.alert.recordedAt}  ${channels}`);
  }
  return EXIT.ok;
}

async function retry(args: readonly string[], io: CliIo): Promise<number> {
  const { positionals } = parse(args, {}, 1);
  const alertId = positionals[0] as string;
  const { table, tenantId, counters } = await openState(io);
  const outbox = new Outbox(table, tenantId, counters);
  const stored = await outbox.get(alertId);
  if (!stored) throw new UsageError(`no alert '${alertId}' (see restorewatch status)`);
  const requeued = Object.fromEntries(
    Object.entries(stored.deliveries).map(([name, d]) => [name, d.state === "deadLettered" || d.state === "retrying" ? { state: "pending" as const, attempts: 0, ...(d.lastError && { lastError: d.lastError }) } : d]),
  );
  if (!(await outbox.updateDeliveries(stored, requeued))) throw new Error(`alert '${alertId}' changed while re-queuing it; try again`);
  io.out(`re-queued ${alertId}: it is sent on the next run`);
  return EXIT.ok;
}

async function ack(args: readonly string[], io: CliIo): Promise<number> {
  const { positionals } = parse(args, {}, 1);
  const sessionId = positionals[0] as string;
  const { table, tenantId } = await openState(io);
  const now = (io.now?.() ?? new Date()).toISOString();
  try {
    await table.updateEntity({ partitionKey: tenantId, rowKey: ROW_PREFIX.session + sessionId, acknowledgedAt: now }, "Merge");
  } catch (error) {
    if (isRestError(error, 404)) throw new UsageError(`restorewatch has no record of session '${sessionId}'`);
    throw error;
  }
  io.out(`acknowledged ${sessionId} at ${now}: no more reminders for its current status`);
  return EXIT.ok;
}

async function silence(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(args, { workload: { type: "string" }, until: { type: "string" }, session: { type: "string" }, comment: { type: "string" } });
  const until = values.until as string | undefined;
  // Case-insensitive, as admins type it: sharepoint, SharePoint, onedrive...
  const workloadArg = values.workload as string | undefined;
  const workload = workloadArg === undefined ? undefined : Object.keys(WORKLOADS).find((name) => name.toLowerCase() === workloadArg.toLowerCase());
  if (workloadArg !== undefined && workload === undefined) throw new UsageError(`--workload must be one of ${Object.keys(WORKLOADS).join(", ")}`);
  if (workload === undefined && values.session === undefined) throw new UsageError("silence needs --workload and/or --session");
  if (until === undefined || Number.isNaN(Date.parse(until))) throw new UsageError("--until must be an ISO time, e.g. 2026-12-01T00:00:00Z");
  const now = io.now?.() ?? new Date();
  if (Date.parse(until) <= now.getTime()) throw new UsageError("--until is in the past");
  const { table, tenantId, counters } = await openState(io);
  const created = await new SilenceStore(table, tenantId, counters).add(
    {
      until: new Date(until).toISOString(),
      ...(workload !== undefined && { workload: workload as Workload }),
      ...(typeof values.session === "string" && { sessionId: values.session }),
      ...(typeof values.comment === "string" && { comment: values.comment }),
      createdBy: io.env["USER"] ?? "cli",
    },
    now,
  );
  io.out(`silence ${created.id} until ${created.until}: matching alerts are recorded but not sent`);
  return EXIT.ok;
}

if (require.main === module) {
  let env: Env;
  try {
    env = loadCliEnvironment(process.cwd(), process.env);
  } catch (error) {
    console.error(`restorewatch: ${errorMessage(error)}`);
    process.exit(exitCodeFor(error));
  }
  void runCli(process.argv.slice(2), { out: (line) => console.log(line), err: (line) => console.error(line), env }).then((code) => {
    process.exitCode = code;
  });
}

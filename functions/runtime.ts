import type { HttpResponseInit, InvocationContext } from "@azure/functions";
import type { TokenCredential } from "@azure/core-auth";
import { createChannels } from "../shared/channels/createChannels";
import { loadConfig, readChannelsConfig, readIdentityConfig, readTenantSetting } from "../shared/config/config";
import { readEmulatorOrigins } from "../shared/config/emulatorOrigins";
import { ConfigError, errorMessage } from "../shared/domain/errors";
import { createAppCredential, createIngestionCredential } from "../shared/identity/credentials";
import { createPollDeps } from "../shared/pipeline/createPollDeps";
import type { Logger } from "../shared/domain/logger";
import { NoUsableChannelError, formatSummary, runPoll, type PollDeps } from "../shared/pipeline/poll";
import { dueTenantMessages, pollTenantMessage, type TenantDepsFactory } from "../shared/pipeline/fanout";
import { recordTenantPoison } from "../shared/pipeline/tenantPoison";
import type { TenantPollMessage } from "../shared/domain/tenantPoll";
import { describeTestResult, sendTestAlert } from "../shared/pipeline/testAlert";
import { createTelemetry } from "../shared/telemetry/createTelemetry";
import type { Operation, TelemetryRecorder } from "../shared/telemetry/recorder";
import { configurationErrorResponse, testAlertResponse } from "./testAlertResponse";

/**
 * What the functions need beyond `@azure/functions`: configuration, credentials, the Graph, Table
 * Storage and channel clients. Imported lazily by the function files, so that loading the app (every
 * cold start, and the host's indexing) does not compile the SDKs; the first invocation does.
 *
 * Built on the first invocation and reused (one instance keeps its HTTP connections and token cache).
 * Configuration is validated then, so a bad setting fails the first run with a message naming it.
 */
let deps: PollDeps | undefined;
let telemetry: TelemetryRecorder | undefined;
/** Each watched tenant's parts (its Graph tenant and state partition), built on its first message and kept. */
const tenantDeps = new Map<string, PollDeps>();
/** The app's identity (one credential, so one token cache, for the home tenant and every watched one). */
let appCredential: TokenCredential | undefined;

/** This invocation's log: each run writes to the invocation that runs it. */
function invocationLog(context: InvocationContext): Logger {
  return { info: (m) => context.log(m), warn: (m) => context.warn(m), error: (m) => context.error(m) };
}

/** The timer's part in the fan-out: the occurrence it stands for, and the output binding of the tenant queue. */
export interface TimerFanout {
  readonly cycle: Date;
  readonly enqueue: (messages: TenantPollMessage[]) => void;
}

export async function runScheduledPoll(context: InvocationContext, fanout?: TimerFanout): Promise<void> {
  await underOperation(context, (log, recorder) => poll(context, log, recorder, fanout));
}

/** Runs one invocation's work as one telemetry operation, flushed before it returns. */
async function underOperation(context: InvocationContext, work: (log: Logger, recorder: TelemetryRecorder) => Promise<void>): Promise<void> {
  const log = invocationLog(context);
  const recorder = (telemetry ??= instanceTelemetry(log));
  try {
    await recorder.withOperation(operationOf(context), () => work(log, recorder));
  } finally {
    // Once per invocation, before it returns: Flex Consumption may freeze the instance right after.
    await recorder.flush(log);
  }
}

/** The home deployment's parts, built on the first invocation and reused (validating the configuration then). */
function homeDeps(log: Logger, recorder: TelemetryRecorder): PollDeps {
  if (!deps) {
    const config = loadConfig(process.env);
    const credential = (appCredential ??= createAppCredential(config.identity.clientId));
    const emulatorOrigins = readEmulatorOrigins(process.env);
    deps = createPollDeps({ config, credential, channels: createChannels(config.channels, credential, log, recorder), emulatorOrigins, telemetry: recorder });
  }
  return deps;
}

async function poll(context: InvocationContext, log: Logger, recorder: TelemetryRecorder, fanout: TimerFanout | undefined): Promise<void> {
  try {
    const home = homeDeps(log, recorder);
    // Tenants recorded: one message each on the tenant queue; none: the home tenant, as before (no queue).
    const messages = fanout ? await tenantPolls(home, fanout, log) : undefined;
    if (fanout && messages) {
      fanout.enqueue(messages);
      context.log(`restorewatch cycle ${fanout.cycle.toISOString()}: ${messages.length} tenant poll(s) enqueued`);
      return;
    }
    const summary = await runPoll(home, { log });
    context.log(formatSummary(summary));
  } catch (error) {
    // Everything was recorded, but no channel could carry an alert: the summary line still goes to the log.
    if (error instanceof NoUsableChannelError) context.log(formatSummary(error.summary));
    context.error(`restorewatch run failed: ${errorMessage(error)}`);
    throw error;
  }
}

/**
 * The messages for the recorded tenants; undefined with none recorded (no state table yet counts as
 * none). When the tenant rows cannot be read, the timer run fails (the failed-runs alert rule sees
 * it): polling the home tenant instead could alert a stale partition, or poll a recorded tenant twice.
 */
async function tenantPolls(home: PollDeps, fanout: TimerFanout, log: Logger): Promise<TenantPollMessage[] | undefined> {
  try {
    return await dueTenantMessages(home.table, fanout.cycle, new Date());
  } catch (error) {
    log.error(`could not read the recorded tenants, so no tenant is polled this cycle: ${errorMessage(error)}`);
    throw error;
  }
}

/** The queue-triggered poll of one watched tenant (functions/pollTenant.ts). */
export async function runTenantPoll(message: unknown, context: InvocationContext): Promise<void> {
  await underOperation(context, async (log, recorder) => {
    try {
      const home = homeDeps(log, recorder);
      const outcome = await pollTenantMessage({ table: home.table, depsFor: tenantDepsFactory(home, recorder) }, message, { owner: context.invocationId, log });
      if (outcome.kind === "polled") context.log(formatSummary(outcome.summary));
    } catch (error) {
      if (error instanceof NoUsableChannelError) context.log(formatSummary(error.summary));
      context.error(`restorewatch tenant poll failed (dequeue count ${dequeueCount(context)}): ${errorMessage(error)}`);
      throw error;
    }
  });
}

/** A tenant poll's message moved to the poison queue (functions/pollTenant.ts). */
export async function runTenantPoison(message: unknown, context: InvocationContext): Promise<void> {
  await underOperation(context, async (log, recorder) => {
    await recordTenantPoison(homeDeps(log, recorder), message, { log });
  });
}

/**
 * One tenant's parts (createPollDeps with the tenant): its state partition, its Graph token from the
 * app registration signed in to that tenant, its label for notices; the app's credential and channels
 * are shared. Built once per tenant and label on this instance.
 */
function tenantDepsFactory(home: PollDeps, recorder: TelemetryRecorder): TenantDepsFactory {
  return (tenant) => {
    const key = `${tenant.tenantId}|${tenant.name}`;
    let built = tenantDeps.get(key);
    if (!built) {
      const credential = (appCredential ??= createAppCredential(home.config.identity.clientId));
      built = createPollDeps({ config: home.config, credential, channels: home.channels, emulatorOrigins: readEmulatorOrigins(process.env), telemetry: recorder, tenantId: tenant.tenantId, tenantLabel: tenant.name });
      tenantDeps.set(key, built);
    }
    return built;
  };
}

/** The message's dequeue count, from the trigger metadata (1 on its first try). */
function dequeueCount(context: InvocationContext): number {
  const count = Number(context.triggerMetadata?.["dequeueCount"]);
  return Number.isFinite(count) && count > 0 ? count : 1;
}

/**
 * Application Insights from APPLICATIONINSIGHTS_CONNECTION_STRING, with the managed identity of
 * APPLICATIONINSIGHTS_AUTHENTICATION_STRING (infra/main.bicep sets both; local auth is off).
 */
function instanceTelemetry(log: Logger): TelemetryRecorder {
  const appClientId = process.env["AZURE_CLIENT_ID"]?.trim() || undefined;
  return createTelemetry({
    env: process.env,
    credentialFor: (auth) => createIngestionCredential(auth.clientId, appClientId, createAppCredential(appClientId)),
    emulatorOrigins: readEmulatorOrigins(process.env),
    log,
  });
}

/** The invocation's W3C trace id (the operation_Id of the host's `requests` row), else its invocation id. */
function operationOf(context: InvocationContext): Operation {
  const traceId = context.traceContext?.traceParent?.split("-")[1];
  return { id: traceId && /^[0-9a-f]{32}$/.test(traceId) ? traceId : context.invocationId, name: context.functionName };
}

/**
 * The test alert from the deployed app: the channel settings (with their Key Vault references as App
 * Service resolved them) and the app's identity, read on each call so that a fixed setting shows at
 * once. Only the channel settings count: a broken Graph or state setting does not stop a test of the channels.
 */
export async function runTestAlert(context: InvocationContext): Promise<HttpResponseInit> {
  const log = invocationLog(context);
  let settings;
  try {
    settings = { channels: readChannelsConfig(process.env), clientId: readIdentityConfig(process.env).clientId, tenantId: readTenantSetting(process.env) ?? "test" };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    context.error(`test alert not sent: ${error.message}`);
    return configurationErrorResponse(error.message);
  }
  const result = await sendTestAlert(settings.channels, createAppCredential(settings.clientId), { tenantId: settings.tenantId, now: new Date(), log });
  for (const channel of result.channels) (channel.outcome === "delivered" ? log.info : log.warn)(`test alert ${result.alertId}: ${describeTestResult(channel)}`);
  return testAlertResponse(result);
}

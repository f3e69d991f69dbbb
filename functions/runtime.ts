import type { HttpResponseInit, InvocationContext } from "@azure/functions";
import { createChannels } from "../shared/channels/createChannels";
import { loadConfig, readChannelsConfig, readIdentityConfig, readTenantSetting } from "../shared/config/config";
import { readEmulatorOrigins } from "../shared/config/emulatorOrigins";
import { ConfigError, errorMessage } from "../shared/domain/errors";
import { createAppCredential, createIngestionCredential } from "../shared/identity/credentials";
import { createPollDeps } from "../shared/pipeline/createPollDeps";
import type { Logger } from "../shared/domain/logger";
import { NoUsableChannelError, formatSummary, runPoll, type PollDeps } from "../shared/pipeline/poll";
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

/** This invocation's log: each run writes to the invocation that runs it. */
function invocationLog(context: InvocationContext): Logger {
  return { info: (m) => context.log(m), warn: (m) => context.warn(m), error: (m) => context.error(m) };
}

export async function runScheduledPoll(context: InvocationContext): Promise<void> {
  const log = invocationLog(context);
  const recorder = (telemetry ??= instanceTelemetry(log));
  try {
    await recorder.withOperation(operationOf(context), () => poll(context, log, recorder));
  } finally {
    // Once per invocation, before it returns: Flex Consumption may freeze the instance right after.
    await recorder.flush(log);
  }
}

async function poll(context: InvocationContext, log: Logger, recorder: TelemetryRecorder): Promise<void> {
  try {
    if (!deps) {
      const config = loadConfig(process.env);
      const credential = createAppCredential(config.identity.clientId);
      const emulatorOrigins = readEmulatorOrigins(process.env);
      deps = createPollDeps({ config, credential, channels: createChannels(config.channels, credential, log, recorder), emulatorOrigins, telemetry: recorder });
    }
    const summary = await runPoll(deps, { log });
    context.log(formatSummary(summary));
  } catch (error) {
    // Everything was recorded, but no channel could carry an alert: the summary line still goes to the log.
    if (error instanceof NoUsableChannelError) context.log(formatSummary(error.summary));
    context.error(`restorewatch run failed: ${errorMessage(error)}`);
    throw error;
  }
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

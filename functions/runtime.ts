import type { InvocationContext } from "@azure/functions";
import { createChannels } from "../shared/channels/createChannels";
import { loadConfig } from "../shared/config/config";
import { readEmulatorOrigins } from "../shared/config/emulatorOrigins";
import { errorMessage } from "../shared/domain/errors";
import { createAppCredential, createIngestionCredential } from "../shared/identity/credentials";
import { createPollDeps } from "../shared/pipeline/createPollDeps";
import type { Logger } from "../shared/domain/logger";
import { NoUsableChannelError, formatSummary, runPoll, type PollDeps } from "../shared/pipeline/poll";
import { createTelemetry } from "../shared/telemetry/createTelemetry";
import type { Operation, TelemetryRecorder } from "../shared/telemetry/recorder";

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

export async function runScheduledPoll(context: InvocationContext): Promise<void> {
  // This invocation's log: each run writes to the invocation that runs it.
  const log: Logger = { info: (m) => context.log(m), warn: (m) => context.warn(m), error: (m) => context.error(m) };
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

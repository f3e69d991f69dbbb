import type { InvocationContext } from "@azure/functions";
import { createChannels } from "../shared/channels/createChannels";
import { loadConfig } from "../shared/config/config";
import { readEmulatorOrigins } from "../shared/config/emulatorOrigins";
import { errorMessage } from "../shared/domain/errors";
import { createAppCredential } from "../shared/identity/credentials";
import { createPollDeps } from "../shared/pipeline/createPollDeps";
import type { Logger } from "../shared/domain/logger";
import { NoUsableChannelError, formatSummary, runPoll, type PollDeps } from "../shared/pipeline/poll";

/**
 * What the functions need beyond `@azure/functions`: configuration, credentials, the Graph, Table
 * Storage and channel clients. Imported lazily by the function files, so that loading the app (every
 * cold start, and the host's indexing) does not compile the SDKs; the first invocation does.
 *
 * Built on the first invocation and reused (one instance keeps its HTTP connections and token cache).
 * Configuration is validated then, so a bad setting fails the first run with a message naming it.
 */
let deps: PollDeps | undefined;

export async function runScheduledPoll(context: InvocationContext): Promise<void> {
  // This invocation's log: each run writes to the invocation that runs it.
  const log: Logger = { info: (m) => context.log(m), warn: (m) => context.warn(m), error: (m) => context.error(m) };
  try {
    if (!deps) {
      const config = loadConfig(process.env);
      const credential = createAppCredential(config.identity.clientId);
      const emulatorOrigins = readEmulatorOrigins(process.env);
      deps = createPollDeps({ config, credential, channels: createChannels(config.channels, credential, log), emulatorOrigins });
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

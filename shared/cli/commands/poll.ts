import { createChannels } from "../../channels/createChannels";
import { loadConfig } from "../../config/config";
import { readEmulatorOrigins } from "../../config/emulatorOrigins";
import { randomBytes } from "node:crypto";
import { createAppCredential, createIngestionCredential } from "../../identity/credentials";
import { createTelemetry } from "../../telemetry/createTelemetry";
import { createPollDeps } from "../../pipeline/createPollDeps";
import { NoUsableChannelError, formatSummary, runPoll, type PollSummary } from "../../pipeline/poll";
import { cliLogger, type CliCommand } from "./command";
import { EXIT } from "./exitCodes";

export const pollCommand: CliCommand = {
  name: "poll",
  usage: "poll [--once] [--dry-run] [--json]",
  summary: "run one poll with the function's settings",
  help: `Runs one poll exactly as the timer function does: lists the restore sessions, records what changed
and delivers the alerts.

  --once      one poll (the only mode; accepted for scripts)
  --dry-run   write nothing, send nothing: print the alerts that would be recorded
  --json      print the run's summary as JSON

Settings: all of the function's (see the README's settings table); --dry-run needs no alert channel.`,
  options: { once: { type: "boolean" }, "dry-run": { type: "boolean" }, json: { type: "boolean" } },
  async run({ values }, io) {
    const dryRun = values["dry-run"] === true;
    const config = loadConfig(io.env, { requireChannel: !dryRun });
    const credential = io.credential ?? createAppCredential(config.identity.clientId);
    const log = cliLogger(io);
    const emulatorOrigins = readEmulatorOrigins(io.processEnv ?? {});
    // The same records as the timer function, when the settings name Application Insights.
    const telemetry = createTelemetry({ env: io.env, credentialFor: (auth) => createIngestionCredential(auth.clientId, config.identity.clientId, credential), emulatorOrigins, log });
    const channels = dryRun ? [] : createChannels(config.channels, credential, log, telemetry);
    const deps = createPollDeps({ config, channels, credential, emulatorOrigins, telemetry, ...(io.now && { now: io.now }) });
    const print = (summary: PollSummary): void => io.out(values["json"] ? JSON.stringify(summary, null, 2) : formatSummary(summary));
    try {
      print(await telemetry.withOperation({ id: randomBytes(16).toString("hex"), name: "restorewatch poll" }, () => runPoll(deps, { log, dryRun })));
      return EXIT.ok;
    } catch (error) {
      // Recorded, but no channel could carry an alert: the summary, then the error.
      if (error instanceof NoUsableChannelError) print(error.summary);
      throw error;
    } finally {
      await telemetry.flush(log);
    }
  },
};

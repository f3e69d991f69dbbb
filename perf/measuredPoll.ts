import { createChannels } from "../shared/channels/createChannels";
import { loadConfig } from "../shared/config/config";
import { readEmulatorOrigins } from "../shared/config/emulatorOrigins";
import { errorMessage } from "../shared/domain/errors";
import { createPollDeps } from "../shared/pipeline/createPollDeps";
import type { Logger } from "../shared/domain/logger";
import { runPoll } from "../shared/pipeline/poll";

/**
 * One run of the real pipeline in a process of its own, configured like the function (settings from
 * the environment, the managed identity through IDENTITY_ENDPOINT), so its memory is measured alone.
 * Prints one JSON line: the run's summary, its table counters and the process's peak RSS.
 * Compiled by compileMeasuredPolls() (perf/pollProcess.ts): `node .bench/perf/measuredPoll.js`
 */
async function main(): Promise<void> {
  const quiet: Logger = { info: () => undefined, warn: () => undefined, error: (m) => console.error(m) };
  const config = loadConfig(process.env, { requireChannel: false });
  const deps = createPollDeps({ config, channels: createChannels(config.channels, undefined, quiet), emulatorOrigins: readEmulatorOrigins(process.env) });
  const started = process.hrtime.bigint();
  // Listing and comparing only (no writes): what a run holds in memory before it records anything.
  const summary = await runPoll(deps, { log: quiet, dryRun: process.env["BENCH_DRY_RUN"] === "1" });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const { alerts, ...rest } = summary;
  console.log(
    JSON.stringify({
      summary: { ...rest, alertIds: alerts.map((a) => a.id) },
      graph: deps.graphCounters,
      table: deps.tableCounters,
      wallMs,
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(`measured poll failed: ${errorMessage(error)}`);
  process.exit(1);
});

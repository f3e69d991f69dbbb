import type { TokenCredential } from "@azure/core-auth";
import type { ChannelsConfig } from "../config/config";
import type { Logger } from "../domain/logger";
import type { AlertChannel } from "./channel";
import { EmailChannel } from "./emailChannel";
import { FileChannel } from "./fileChannel";
import { TeamsChannel } from "./teamsChannel";
import type { DependencySink } from "../telemetry/recorder";

/** The configured channels; a channel that is not configured is simply absent (skipped, not failed). */
export function createChannels(config: ChannelsConfig, credential: TokenCredential | undefined, log: Logger, dependencies?: DependencySink): AlertChannel[] {
  const channels: AlertChannel[] = [];
  const { email, teams, outboxDir } = config;
  const recorded = dependencies ? { dependencies } : {};
  if (email) channels.push(new EmailChannel(email, { ...recorded, ...(credential && email.endpoint && { credential }) }));
  if (teams) channels.push(new TeamsChannel(teams, recorded));
  if (outboxDir) channels.push(new FileChannel(outboxDir));
  log.info(`alert channels: ${channels.map((c) => c.name).join(", ") || "(none)"}`);
  return channels;
}

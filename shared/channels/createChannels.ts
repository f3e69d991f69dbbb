import type { TokenCredential } from "@azure/core-auth";
import type { ChannelsConfig } from "../config/config";
import type { Logger } from "../domain/logger";
import type { AlertChannel } from "./channel";
import { EmailChannel } from "./emailChannel";
import { FileChannel } from "./fileChannel";
import { TeamsChannel } from "./teamsChannel";
import type { DependencySink } from "../telemetry/recorder";

/**
 * The usable channels; a channel that is not configured is simply absent (skipped, not failed), and
 * one whose settings are unusable (`config.disabled`) is logged as disabled and left out.
 */
export function createChannels(config: ChannelsConfig, credential: TokenCredential | undefined, log: Logger, dependencies?: DependencySink): AlertChannel[] {
  const channels: AlertChannel[] = [];
  const { email, teams, outboxDir } = config;
  const recorded = dependencies ? { dependencies } : {};
  if (email) channels.push(new EmailChannel(email, { ...recorded, ...(credential && email.endpoint && { credential }) }));
  if (teams) channels.push(new TeamsChannel(teams, recorded));
  if (outboxDir) channels.push(new FileChannel(outboxDir));
  log.info(`alert channels: ${channels.map((c) => c.name).join(", ") || "(none)"}`);
  for (const off of config.disabled ?? []) log.warn(`alert channel ${off.name} disabled: ${off.reason}. ${off.fix}`);
  return channels;
}

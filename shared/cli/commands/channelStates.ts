import { readChannelsConfig, type Env } from "../../config/config";
import { errorMessage } from "../../domain/errors";
import type { StoredAlert } from "../../state/entities";
import type { RunMeta } from "../../state/runMeta";
import { parseReceiverKey } from "../../domain/route";

/** One alert channel as `restorewatch status` shows it. */
export interface ChannelState {
  readonly name: string;
  /** usable | disabled (its settings, or refused at send time) | unknown (only alert records name it). */
  readonly state: "usable" | "disabled" | "unknown";
  /** Why it is disabled, naming the setting (never its value). */
  readonly reason?: string;
  /** "last run": what the app's last run found (kept in the state table); "these settings": the settings this command read. */
  readonly source?: "last run" | "these settings";
  readonly since?: string;
  /** Alerts not yet delivered on it (pending or retrying: held, while it is disabled). */
  readonly pending: number;
  readonly deadLettered: number;
}

/**
 * Each channel's state: the app's last run is what counts (the deployed app's settings may differ
 * from the ones this command reads); the settings here add channels configured but never run, and
 * the alert records any channel they name.
 */
export function channelStates(env: Env, meta: RunMeta, alerts: readonly StoredAlert[]): { channels: ChannelState[]; settingsError?: string } {
  const configured = new Map<string, { reason?: string }>();
  let settingsError: string | undefined;
  try {
    const config = readChannelsConfig(env, { requireChannel: false });
    if (config.email) configured.set("email", {});
    if (config.teams) configured.set("teams", {});
    if (config.outboxDir) configured.set("file", {});
    for (const off of config.disabled ?? []) configured.set(off.name, { reason: off.reason });
  } catch (error) {
    settingsError = errorMessage(error);
  }
  const lastRun = new Map((meta.disabledChannels ?? []).map((memory) => [memory.name, memory]));
  const named = alerts.flatMap((stored) => Object.keys(stored.deliveries));
  const names = [...new Set([...configured.keys(), ...lastRun.keys(), ...named])].sort();
  const channels = names.map((name): ChannelState => {
    const count = (states: readonly string[]): number => alerts.filter((stored) => states.includes(stored.deliveries[name]?.state ?? "")).length;
    const counts = { pending: count(["pending", "retrying"]), deadLettered: count(["deadLettered"]) };
    const seen = lastRun.get(name);
    if (seen) return { name, state: "disabled", reason: seen.reason, source: "last run", since: seen.since, ...counts };
    const here = configured.get(name);
    if (here?.reason !== undefined) return { name, state: "disabled", reason: here.reason, source: "these settings", ...counts };
    return { name, state: here ? "usable" : "unknown", ...counts };
  });
  return { channels, ...(settingsError !== undefined && { settingsError }) };
}

/** One line per channel, for the text output. */
export function formatChannelState(channel: ChannelState): string {
  const state =
    channel.state === "disabled"
      ? `disabled${channel.since ? ` since ${channel.since}` : ""} (${channel.source}): ${channel.reason ?? ""}`
      : channel.state === "usable"
        ? "usable"
        : parseReceiverKey(channel.name).route !== undefined
          ? "a route's receiver (restorewatch route list)"
          : "not configured in these settings";
  const held = channel.state === "disabled" ? "held" : "pending";
  return `  ${channel.name}: ${state}; ${channel.pending} alert(s) ${held}, ${channel.deadLettered} dead-lettered`;
}

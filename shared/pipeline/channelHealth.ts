import type { HealthNotice } from "../alerts/healthNotice";
import type { AlertChannel } from "../channels/channel";
import { deliverNotice, type DeliverySummary } from "../channels/deliver";
import type { DisabledChannel } from "../config/config";
import { RunMetaStore, type DisabledChannelMemory, type RunMeta } from "../state/runMeta";
import { SEND_LOG_PARTITION, SendLogStore } from "../state/sendLog";
import type { PollDeps, Stage, TenantRun } from "./pollDeps";

/** The channels a run could not use: disabled by their settings, or refused at send time this run. */
export function disabledThisRun(deps: PollDeps, delivery: DeliverySummary | undefined): DisabledChannel[] {
  return [...(deps.config.channels.disabled ?? []), ...(delivery?.refused ?? [])];
}

/** The channels a run could send on: configured, usable, and not refused at send time. */
export function usableThisRun(deps: PollDeps, disabled: readonly DisabledChannel[]): AlertChannel[] {
  return deps.channels.filter((channel) => !disabled.some((off) => off.name === channel.name));
}

/**
 * Channel health, after delivery: a channel newly disabled (or disabled for a new reason) is told
 * once through the channels that work, naming the setting and the fix; until one of them took it, the
 * next run tries again. A channel that works again gets one recovery notice (best effort) and a log
 * line. What was told is kept in the meta row, so restarts do not repeat it. Returns the meta row.
 */
export const channelHealth: Stage<{ readonly meta: RunMeta; readonly delivery: DeliverySummary }, RunMeta> = async (deps, run, { meta, delivery }) => {
  const disabled = disabledThisRun(deps, delivery);
  const usable = usableThisRun(deps, disabled);
  const previous = meta.disabledChannels ?? [];
  const notify = noticeSender(deps, run, usable);
  const next: DisabledChannelMemory[] = [];
  for (const channel of disabled) {
    const before = previous.find((memory) => memory.name === channel.name);
    const same = before !== undefined && before.setting === channel.setting && sameReason(before.reason, channel.reason);
    if (same && before.noticedAt !== undefined) {
      next.push(before);
      continue;
    }
    run.log.error(`alert channel ${channel.name} is disabled: ${channel.reason}. ${channel.fix}`);
    const notice = channelNotice(run, "channelDisabled", channel, delivery.held[channel.name] ?? 0);
    const told = (await notify(notice)).length > 0;
    next.push({ name: channel.name, setting: channel.setting, reason: channel.reason, since: same ? before.since : notice.at, ...(told && { noticedAt: notice.at }), ...(channel.refusedAtSend && { refusedAtSend: true as const }) });
  }
  for (const before of previous.filter((memory) => !disabled.some((off) => off.name === memory.name))) {
    // A route's receiver that is no longer disabled works again (or its alerts are gone).
    const configured = deps.channels.some((channel) => channel.name === before.name) || before.name.includes(":route-");
    // Refused by the service and not tried this run (rate limit, deadline, nothing due): still broken as far as we know.
    if (configured && before.refusedAtSend && !delivery.deliveredOn.includes(before.name)) {
      next.push(before);
      continue;
    }
    run.log.info(`alert channel ${before.name} ${configured ? "works again" : "is no longer configured"} (disabled since ${before.since}: ${before.reason})`);
    if (configured && before.noticedAt !== undefined) await notify(channelNotice(run, "channelRestored", before));
  }
  if (JSON.stringify(next) === JSON.stringify(previous)) return meta;
  const { disabledChannels: _previous, ...rest } = meta;
  const updated: RunMeta = next.length > 0 ? { ...rest, disabledChannels: next } : rest;
  await new RunMetaStore(deps.table, run.tenantId, deps.tableCounters, run.bookkeeping).write(updated);
  return updated;
};

function noticeSender(deps: PollDeps, run: TenantRun, usable: readonly AlertChannel[]): (notice: HealthNotice) => Promise<string[]> {
  const sendLog = new SendLogStore(deps.table, SEND_LOG_PARTITION, deps.tableCounters, run.bookkeeping);
  return async (notice) => (usable.length === 0 ? [] : deliverNotice(notice, { channels: usable, now: run.now, log: run.log, sendLog }));
}

function channelNotice(run: TenantRun, kind: "channelDisabled" | "channelRestored", channel: Pick<DisabledChannel, "name" | "setting" | "reason"> & { fix?: string }, alertsHeld?: number): HealthNotice {
  return {
    kind,
    tenantId: run.tenantId,
    channel: channel.name,
    setting: channel.setting,
    consecutiveFailures: 0,
    at: run.now.toISOString(),
    cause: kind === "channelDisabled" ? channel.reason : "",
    fix: kind === "channelDisabled" ? (channel.fix ?? "") : "",
    ...(alertsHeld !== undefined && { alertsHeld }),
  };
}

/** Reasons compare without ids and numbers that change from send to send (operation ids, request ids, times). */
function sameReason(a: string, b: string): boolean {
  const stable = (reason: string): string => reason.replace(/[0-9a-f-]{8,}|\d+/gi, "#");
  return stable(a) === stable(b);
}

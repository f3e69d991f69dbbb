import type { HealthNotice } from "../alerts/healthNotice";
import type { AlertChannel } from "../channels/channel";
import { deliverNotice, type DeliverySummary } from "../channels/deliver";
import type { DisabledChannel } from "../config/config";
import { RunMetaStore, type DisabledChannelMemory, type RunMeta } from "../state/runMeta";
import { SEND_LOG_PARTITION, SendLogStore } from "../state/sendLog";
import type { PollDeps, Stage, TenantRun } from "./pollDeps";
import { DEPLOYMENT_PARTITION } from "../domain/tenant";
import { parseReceiverKey } from "../domain/route";

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
 * line. What was told is kept in a meta row, so restarts do not repeat it. Returns the run's meta row.
 *
 * The channels are the deployment's, not a tenant's: with many tenants (a recorded tenant's run, in
 * the fan-out), what was told is kept once for the deployment, in its own row, and claimed by an
 * ETag-conditional write before telling, so that of 500 tenants' runs one tells, not 500.
 */
export const channelHealth: Stage<{ readonly meta: RunMeta; readonly delivery: DeliverySummary }, RunMeta> = async (deps, run, { meta, delivery }) => {
  if (deps.tenantLabel === undefined) {
    const plan = planChannelHealth(deps, run, delivery, meta.disabledChannels ?? []);
    if (plan.notices.length === 0 && !plan.changed) return meta;
    const next = await tell(deps, run, delivery, plan);
    const updated = withMemory(meta, next);
    await new RunMetaStore(deps.table, run.tenantId, deps.tableCounters, run.bookkeeping).write(updated);
    return updated;
  }
  if (deps.channels.length === 0 && disabledThisRun(deps, delivery).length === 0) return meta; // no channel to watch
  const store = new RunMetaStore(deps.table, DEPLOYMENT_PARTITION, deps.tableCounters, run.bookkeeping);
  const { meta: shared, etag } = await store.read();
  const plan = planChannelHealth(deps, run, delivery, shared.disabledChannels ?? []);
  if (plan.notices.length === 0 && !plan.changed) return meta;
  // Claimed: another tenant's run that read the same row gets 412 and leaves it to this one.
  if (!(await store.writeIfUnchanged(withMemory(shared, plan.next), etag))) return meta;
  const told = await tell(deps, run, delivery, plan);
  if (JSON.stringify(told) !== JSON.stringify(plan.next)) await store.write(withMemory(shared, told));
  return meta;
};

interface ChannelPlan {
  /** The memory after this run, as if every notice is taken (noticedAt set). */
  readonly next: DisabledChannelMemory[];
  readonly notices: HealthNotice[];
  readonly changed: boolean;
}

function planChannelHealth(deps: PollDeps, run: TenantRun, delivery: DeliverySummary, previous: readonly DisabledChannelMemory[]): ChannelPlan {
  const disabled = disabledThisRun(deps, delivery);
  const next: DisabledChannelMemory[] = [];
  const notices: HealthNotice[] = [];
  for (const channel of disabled) {
    const before = previous.find((memory) => memory.name === channel.name);
    const same = before !== undefined && before.setting === channel.setting && sameReason(before.reason, channel.reason);
    if (same && before.noticedAt !== undefined) {
      next.push(before);
      continue;
    }
    run.log.error(`alert channel ${channel.name} is disabled: ${channel.reason}. ${channel.fix}`);
    const notice = channelNotice(run, "channelDisabled", channel, delivery.held[channel.name] ?? 0);
    notices.push(notice);
    next.push({ name: channel.name, setting: channel.setting, reason: channel.reason, since: same ? before.since : notice.at, noticedAt: notice.at, ...(channel.refusedAtSend && { refusedAtSend: true as const }) });
  }
  for (const before of previous.filter((memory) => !disabled.some((off) => off.name === memory.name))) {
    // A route's receiver that is no longer disabled works again (or its alerts are gone).
    const configured = deps.channels.some((channel) => channel.name === before.name) || parseReceiverKey(before.name).route !== undefined;
    // Refused by the service and not tried this run (rate limit, deadline, nothing due): still broken as far as we know.
    if (configured && before.refusedAtSend && !delivery.deliveredOn.includes(before.name)) {
      next.push(before);
      continue;
    }
    run.log.info(`alert channel ${before.name} ${configured ? "works again" : "is no longer configured"} (disabled since ${before.since}: ${before.reason})`);
    if (configured && before.noticedAt !== undefined) notices.push(channelNotice(run, "channelRestored", before));
  }
  return { next, notices, changed: JSON.stringify(next) !== JSON.stringify(previous) };
}

/** Sends the plan's notices; the memory as it then stands (a "disabled" notice no channel took is told again next run). */
async function tell(deps: PollDeps, run: TenantRun, delivery: DeliverySummary, plan: ChannelPlan): Promise<DisabledChannelMemory[]> {
  const notify = noticeSender(deps, run, usableThisRun(deps, disabledThisRun(deps, delivery)));
  const untold = new Set<string>();
  for (const notice of plan.notices) {
    const took = (await notify(notice)).length > 0;
    if (!took && notice.kind === "channelDisabled" && notice.channel !== undefined) untold.add(notice.channel);
  }
  return plan.next.map((memory) => {
    if (!untold.has(memory.name)) return memory;
    const { noticedAt: _untold, ...rest } = memory;
    return rest;
  });
}

function withMemory(meta: RunMeta, next: readonly DisabledChannelMemory[]): RunMeta {
  const { disabledChannels: _previous, ...rest } = meta;
  return next.length > 0 ? { ...rest, disabledChannels: [...next] } : rest;
}

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

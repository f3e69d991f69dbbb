import { createHash } from "node:crypto";
import type { Alert } from "../domain/alert";
import type { HealthNotice } from "../alerts/healthNotice";
import { errorMessage } from "../domain/errors";
import type { Logger } from "../domain/logger";
import type { StoredAlert } from "../state/entities";
import type { Outbox } from "../state/outbox";
import type { SendLogStore } from "../state/sendLog";
import type { AlertChannel, SendContext } from "./channel";
import type { ChannelDelivery, SendOutcome } from "../domain/delivery";
import { boundText } from "../domain/textBounds";
import { clampRetryAfter } from "../domain/retryAfter";
import { formatRateLimit } from "../config/rateLimit";
import { horizonOf, rateBudget } from "./rateBudget";
import { refusedChannel, type DisabledChannel } from "../config/channelProblems";
import type { Receivers } from "./routeReceivers";
import type { Telemetry } from "../domain/telemetry";
import { parseReceiverKey } from "../domain/route";

export interface DeliveryOptions {
  readonly outbox: Outbox;
  readonly channels: readonly AlertChannel[];
  readonly now: Date;
  readonly maxAttempts: number;
  readonly log: Logger;
  /** Keeps each channel's rate limit across runs; without it limits are not enforced (tests of other logic). */
  readonly sendLog?: SendLogStore;
  /** The run's deadline: no send starts after it, and a send in flight is cancelled (and retried next run). */
  readonly abortSignal?: AbortSignal;
  /** Configured channels disabled by their settings: their alerts are held (pending, no attempt counted). */
  readonly disabled?: readonly DisabledChannel[];
  /** Takes a RestorewatchDelivery record per alert and channel attempted, tagged with the delivering run. */
  readonly telemetry?: Telemetry;
  readonly runId?: string;
  /**
   * Builds the receivers that pending alerts name beyond `channels` (routes' receivers, issue 16), once
   * per pass and only when some alert names one; absent: such alerts wait untouched.
   */
  readonly receivers?: (keys: ReadonlySet<string>) => Promise<Receivers>;
}

export interface DeliverySummary {
  /** Messages sent successfully (one per group and channel). */
  readonly messagesDelivered: number;
  /** The channels that delivered at least one message this run (proof that a channel refused before works again). */
  readonly deliveredOn: readonly string[];
  readonly alertsDelivered: number;
  readonly alertsRetrying: number;
  readonly alertsDeadLettered: number;
  /** Alerts held back on some channel by its rate limit (they go on a later run; no attempt counted). */
  readonly alertsRateLimited: number;
  /** The run's deadline came before every due alert was tried; those wait for the next run. */
  readonly cutShort: boolean;
  /** Rows that failed re-validation, quarantined by this run. */
  readonly alertsQuarantined: number;
  /** Alerts held for a disabled channel (pending there, no attempt counted). */
  readonly alertsHeld: number;
  /** Alerts waiting, per disabled channel (by its settings, or refused at send time this run). */
  readonly held: Readonly<Record<string, number>>;
  /**
   * Channels that refused their configuration at send time this run (e.g. ACS: sender domain not
   * linked), and routes' receivers that could not be built (e.g. their Key Vault secret is missing).
   */
  readonly refused: readonly DisabledChannel[];
}

const FIRST_RETRY_DELAY_IN_MS = 60_000;
/**
 * How long a run holds the alerts it is delivering. Far longer than a delivery pass takes (each send
 * has a 30 s deadline), and shorter than the 5-minute schedule, so alerts held by a run that died
 * are free again at the next run.
 */
export const DELIVERY_LEASE_IN_MS = 4 * 60_000;
/** Longest channel error kept in an alert row (the whole deliveries JSON must stay under 32K characters). */
const MAX_ERROR_CHARS = 1000;
const MAX_RETRY_DELAY_IN_MS = 6 * 3_600_000;

/** The delivery states every configured channel (usable or disabled) starts an alert with. */
export function initialDeliveries(channels: readonly { readonly name: string }[]): Record<string, ChannelDelivery> {
  return Object.fromEntries(channels.map((channel) => [channel.name, { state: "pending", attempts: 0 } satisfies ChannelDelivery]));
}

/**
 * Sends what the outbox holds: per channel, the alerts that are due are grouped by the run that
 * recorded them (one message per group: a single alert, or a digest), then each alert's delivery
 * state for that channel is written back. "Delivered" is written only after the channel confirmed.
 */
export async function deliverPending(given: DeliveryOptions): Promise<DeliverySummary> {
  const { outbox, now, log } = given;
  const { alerts: listed, untrusted } = await outbox.listPending();
  // A row that fails re-validation is never sent: taken out of the outbox, logged with its key.
  for (const row of untrusted) log.error(`alert row ${row.rowKey} quarantined, not sent: ${row.reason}`);
  if (untrusted.length > 0) await outbox.quarantine(untrusted, now);
  const { options, unusable } = await withReceivers(given, listed);
  const { channels } = options;
  // Alerts another run is delivering right now are theirs; of the rest, this run takes what is due.
  const free = listed.filter((stored) => !stored.leaseUntil || Date.parse(stored.leaseUntil) <= now.getTime());
  const due = free.filter((stored) => channels.some((channel) => isDue(stored.deliveries[channel.name], now)));
  const pending = due.length === 0 ? [] : await outbox.lease(due, new Date(now.getTime() + DELIVERY_LEASE_IN_MS));
  if (pending.length < due.length) log.info(`alert delivery: ${due.length - pending.length} alert(s) taken by another run first; left to it`);
  if (options.sendLog && pending.length > 0 && channels.some((c) => c.rateLimit?.length)) await options.sendLog.load();

  // Outcomes per alert, written together (transactions of 100) after every channel had its turn.
  const pass: DeliveryPass = { updates: new Map(), rateLimited: new Set(), refused: [...unusable], messagesDelivered: 0, deliveredOn: new Set(), cutShort: false };
  for (const channel of channels) await deliverOnChannel(channel, pending, pass, options);
  // A send the deadline cancelled counts too: the run did not finish its delivery.
  if (options.abortSignal?.aborted) pass.cutShort = true;
  // Held but not tried on any channel (rate limits, the deadline): give them back for the next run.
  const untried = pending.filter((stored) => !pass.updates.has(stored.alert.id));
  if (untried.length > 0) await outbox.release(untried);

  const heldOn = new Set([...(options.disabled ?? []), ...pass.refused].map((d) => d.name));
  const counts = await writeOutcomes(pass.updates, outbox, log, heldOn);
  const held = heldCounts(listed, pass.updates, heldOn);
  const alertsHeld = new Set(Object.values(held).flat()).size;
  for (const [name, ids] of Object.entries(held)) if (ids.length > 0) log.warn(`alert delivery: channel=${name} is disabled; ${ids.length} alert(s) held for it until it works`);
  return {
    messagesDelivered: pass.messagesDelivered,
    deliveredOn: [...pass.deliveredOn].sort(),
    ...counts,
    alertsRateLimited: pass.rateLimited.size,
    cutShort: pass.cutShort,
    alertsQuarantined: untrusted.length,
    alertsHeld,
    held: Object.fromEntries(Object.entries(held).map(([name, ids]) => [name, ids.length])),
    refused: pass.refused,
  };
}

/** The pass's channels with the receivers the listed alerts name beyond them; those that cannot be built are disabled. */
async function withReceivers(options: DeliveryOptions, listed: readonly StoredAlert[]): Promise<{ options: DeliveryOptions; unusable: DisabledChannel[] }> {
  const known = new Set([...options.channels, ...(options.disabled ?? [])].map((c) => c.name));
  const waiting = listed.flatMap((stored) => Object.entries(stored.deliveries).filter(([, d]) => d.state === "pending" || d.state === "retrying").map(([name]) => name));
  // Only routes' receivers: a channel no longer configured (e.g. TEAMS_WEBHOOK_URL removed) keeps its alerts waiting, as before routes.
  const keys = new Set(waiting.filter((name) => !known.has(name) && parseReceiverKey(name).route !== undefined));
  if (keys.size === 0 || !options.receivers) return { options, unusable: [] };
  const built = await options.receivers(keys);
  for (const off of built.disabled) options.log.warn(`alert delivery: receiver ${off.name} disabled for this run: ${off.reason}`);
  return { options: { ...options, channels: [...options.channels, ...built.channels] }, unusable: built.disabled };
}

/** Per disabled channel, the ids of the alerts still waiting for it (as written by this run, else as listed). */
function heldCounts(listed: readonly StoredAlert[], updates: DeliveryPass["updates"], heldOn: ReadonlySet<string>): Record<string, string[]> {
  const held: Record<string, string[]> = Object.fromEntries([...heldOn].map((name) => [name, []]));
  for (const stored of listed) {
    const deliveries = updates.get(stored.alert.id)?.deliveries ?? stored.deliveries;
    for (const name of heldOn) {
      const state = deliveries[name]?.state;
      if (state === "pending" || state === "retrying") held[name]?.push(stored.alert.id);
    }
  }
  return held;
}

/** What one delivery pass has done so far, across channels. */
interface DeliveryPass {
  readonly updates: Map<string, { stored: StoredAlert; deliveries: Record<string, ChannelDelivery> }>;
  readonly rateLimited: Set<string>;
  /** Channels that refused their settings at send time: the rest of their turn is skipped. */
  readonly refused: DisabledChannel[];
  messagesDelivered: number;
  readonly deliveredOn: Set<string>;
  cutShort: boolean;
}

/** One channel's turn: its due alerts, a message per group (oldest first), until its rate limit or the deadline. */
async function deliverOnChannel(channel: AlertChannel, pending: readonly StoredAlert[], pass: DeliveryPass, options: DeliveryOptions): Promise<void> {
  const { now, log } = options;
  const groups = groupByRun(pending.filter((stored) => isDue(stored.deliveries[channel.name], now)));
  for (const [index, group] of groups.entries()) {
    if (options.abortSignal?.aborted) {
      // Untried: no attempt counted; what no channel tried is given back.
      pass.cutShort = true;
      return;
    }
    const alerts = group.map((stored) => stored.alert);
    if (!(await takeSendSlot(channel, options, now))) {
      // The rest wait for a later run, untouched (no attempt is counted).
      const waiting = groups.slice(index).flat();
      for (const stored of waiting) pass.rateLimited.add(stored.alert.id);
      log.warn(`alert delivery: channel=${channel.name} rate limit ${formatRateLimit(channel.rateLimit ?? [])} reached; ${waiting.length} alert(s) wait for a later run`);
      return;
    }
    const groupKey = groupKeyOf(channel.name, alerts);
    const started = Date.now();
    const outcome = await sendSafely(() => channel.send(alerts, { groupKey, log: (line) => log.info(line), ...(options.abortSignal && { abortSignal: options.abortSignal }) }));
    const durationMs = Date.now() - started;
    if (outcome.kind === "delivered") {
      pass.messagesDelivered++;
      pass.deliveredOn.add(channel.name);
    }
    if (outcome.kind === "deadLetter" && outcome.setting !== undefined) {
      // The channel's settings are wrong, not the alerts: they stay pending (no attempt counted) until it works.
      const refused = refusedChannel(channel.name, outcome.setting, outcome.error);
      pass.refused.push(refused);
      log.warn(`alert delivery: channel ${channel.name} disabled for this run: ${refused.reason}; ${groups.slice(index).flat().length} alert(s) held`);
      // The attempt that was refused, as a "held" record (no attempt counted: the alert stays pending).
      for (const stored of group) trackDelivery(options, channel.name, stored.alert, { state: "held", attempts: stored.deliveries[channel.name]?.attempts ?? 0, lastError: refused.reason }, durationMs, group.length);
      return;
    }
    for (const stored of group) {
      const entry = pass.updates.get(stored.alert.id) ?? { stored, deliveries: { ...stored.deliveries } };
      const previous = stored.deliveries[channel.name] ?? { state: "pending", attempts: 0 };
      const next = nextDelivery(previous, outcome, now, options.maxAttempts);
      entry.deliveries[channel.name] = next;
      pass.updates.set(stored.alert.id, entry);
      trackDelivery(options, channel.name, stored.alert, next, durationMs, group.length);
      // Error level, so App Insights shows it: a dead-lettered alert needs a person (restorewatch status / retry).
      if (next.state === "deadLettered") log.error(`alert ${stored.alert.id} dead-lettered on channel ${channel.name} after ${next.attempts} attempt(s): ${next.lastError ?? ""}`);
    }
    log.info(`alert delivery: channel=${channel.name} alerts=${alerts.map((a) => a.id).join(",")} outcome=${describe(outcome)}`);
  }
}

/** One attempt of one alert on one channel, as a RestorewatchDelivery record (an alert of a digest has its own). */
function trackDelivery(options: DeliveryOptions, channel: string, alert: Alert, next: Pick<ChannelDelivery, "attempts" | "lastError"> & { state: ChannelDelivery["state"] | "held" }, durationMs: number, messageAlerts: number): void {
  options.telemetry?.track("delivery", {
    tenantId: alert.tenantId,
    runId: options.runId ?? alert.runId,
    alertId: alert.id,
    sessionId: alert.session.id,
    workload: alert.session.workload,
    channel,
    outcome: next.state,
    attempt: next.attempts,
    error: next.lastError,
    durationMs,
    messageAlerts,
  });
}

/** Writes every alert's new delivery states (unless another run changed the row first) and counts the results. */
async function writeOutcomes(
  updates: DeliveryPass["updates"],
  outbox: Outbox,
  log: Logger,
  heldOn: ReadonlySet<string>,
): Promise<Pick<DeliverySummary, "alertsDelivered" | "alertsRetrying" | "alertsDeadLettered">> {
  let alertsDelivered = 0;
  let alertsRetrying = 0;
  let alertsDeadLettered = 0;
  const written = await outbox.updateManyDeliveries([...updates.values()]);
  for (const { stored, deliveries } of updates.values()) {
    if (!written.has(stored.alert.id)) {
      log.info(`alert ${stored.alert.id}: another run updated its delivery state first; keeping theirs`);
      continue;
    }
    // A disabled channel's pending state is counted as held, not as retrying.
    const states = Object.entries(deliveries)
      .filter(([name]) => !heldOn.has(name))
      .map(([, d]) => d.state);
    if (states.includes("deadLettered")) alertsDeadLettered++;
    if (states.includes("retrying") || states.includes("pending")) alertsRetrying++;
    else if (states.includes("delivered")) alertsDelivered++;
  }
  return { alertsDelivered, alertsRetrying, alertsDeadLettered };
}

/**
 * Sends a health notice to every channel (within its rate limit) and returns the names of those that
 * took it. Not kept in the outbox: the caller repeats it on a later run until some channel took it.
 */
export async function deliverNotice(notice: HealthNotice, options: Omit<DeliveryOptions, "outbox" | "maxAttempts">): Promise<string[]> {
  const { channels, now, log } = options;
  if (options.sendLog && channels.some((c) => c.rateLimit?.length)) await options.sendLog.load();
  const delivered: string[] = [];
  for (const channel of channels) {
    if (!(await takeSendSlot(channel, options, now))) {
      log.warn(`health notice: channel=${channel.name} rate limit reached; it goes on a later run`);
      continue;
    }
    const context: SendContext = { groupKey: `health-${notice.kind}-${notice.channel ?? ""}-${notice.tenantId}-${notice.at}`, log: (line) => log.info(line) };
    const outcome = await sendSafely(() => channel.sendNotice(notice, context));
    log.info(`health notice (${notice.kind}): channel=${channel.name} outcome=${describe(outcome)}`);
    if (outcome.kind === "delivered") delivered.push(channel.name);
  }
  return delivered;
}

/**
 * Reserves the messages of one send within the channel's rate limit, logging them before the send
 * (so a crash wastes a slot rather than exceeding the limit). False when the limit allows no more now.
 */
async function takeSendSlot(channel: AlertChannel, options: Pick<DeliveryOptions, "sendLog">, now: Date): Promise<boolean> {
  const limit = channel.rateLimit ?? [];
  if (!options.sendLog || limit.length === 0) return true;
  // A send larger than a whole window (many recipient chunks) could never go: it counts as the window's size.
  const cost = Math.min(channel.messagesPerSend ?? 1, ...limit.map((w) => w.max));
  const budget = channel.budgetKey ?? channel.name;
  // Checked again against every other instance's sends each time the row changed under us (a shared budget).
  return options.sendLog.reserve(budget, cost, now.getTime(), horizonOf(limit), (times) => rateBudget(limit, times, now.getTime()).available >= cost);
}

async function sendSafely(send: () => Promise<SendOutcome>): Promise<SendOutcome> {
  try {
    return await send();
  } catch (error) {
    // A channel that throws is a bug or an outage: retried like any transient failure.
    return { kind: "retry", error: errorMessage(error) };
  }
}

function isDue(delivery: ChannelDelivery | undefined, now: Date): boolean {
  if (!delivery) return false; // the channel was added after the alert was recorded
  if (delivery.state === "pending") return true;
  return delivery.state === "retrying" && (delivery.nextAttemptAt === undefined || Date.parse(delivery.nextAttemptAt) <= now.getTime());
}

function groupByRun(alerts: readonly StoredAlert[]): StoredAlert[][] {
  const groups = new Map<string, StoredAlert[]>();
  for (const stored of alerts) {
    const group = groups.get(stored.alert.runId) ?? [];
    group.push(stored);
    groups.set(stored.alert.runId, group);
  }
  return [...groups.values()];
}

/** Same alerts on the same channel → same key, so a retry after a crash is recognisable by the channel. */
export function groupKeyOf(channelName: string, alerts: readonly Alert[]): string {
  const ids = alerts.map((a) => `${a.tenantId}/${a.id}`).sort();
  return createHash("sha256").update(`${channelName}\n${ids.join("\n")}`).digest("hex").slice(0, 32);
}

export function nextDelivery(previous: ChannelDelivery, received: SendOutcome, now: Date, maxAttempts: number): ChannelDelivery {
  const attempts = previous.attempts + 1;
  // A channel's error text is the far side's words, of any length.
  const outcome: SendOutcome = received.kind === "delivered" ? received : { ...received, error: boundText(received.error, MAX_ERROR_CHARS) };
  switch (outcome.kind) {
    case "delivered":
      return { state: "delivered", attempts, deliveredAt: now.toISOString(), ...(outcome.messageId !== undefined && { messageId: outcome.messageId }) };
    case "deadLetter":
      return { state: "deadLettered", attempts, lastError: outcome.error };
    case "retry": {
      if (attempts >= maxAttempts) return { state: "deadLettered", attempts, lastError: `gave up after ${attempts} attempts: ${outcome.error}` };
      const backoff = Math.min(FIRST_RETRY_DELAY_IN_MS * 2 ** (attempts - 1), MAX_RETRY_DELAY_IN_MS);
      // The channel's wait, bounded again: an outcome may come from anywhere, and the time must stay valid.
      const delay = Math.max(backoff, outcome.retryAfterInMs === undefined ? 0 : clampRetryAfter(outcome.retryAfterInMs));
      return { state: "retrying", attempts, nextAttemptAt: new Date(now.getTime() + delay).toISOString(), lastError: outcome.error };
    }
  }
}

function describe(outcome: SendOutcome): string {
  switch (outcome.kind) {
    case "delivered":
      return `delivered${outcome.messageId ? ` id=${outcome.messageId}` : ""}`;
    case "retry":
      return `retry (${outcome.error})`;
    case "deadLetter":
      return `dead-lettered (${outcome.error})`;
  }
}

import { createHash } from "node:crypto";
import type { Alert } from "../alerts/alert";
import { errorMessage } from "../errors";
import type { StoredAlert } from "../state/entities";
import type { Outbox } from "../state/outbox";
import type { AlertChannel, ChannelDelivery, SendOutcome } from "./channel";

export interface DeliveryOptions {
  readonly outbox: Outbox;
  readonly channels: readonly AlertChannel[];
  readonly now: Date;
  readonly maxAttempts: number;
  readonly log: (message: string) => void;
}

export interface DeliverySummary {
  /** Messages sent successfully (one per group and channel). */
  readonly messagesDelivered: number;
  readonly alertsDelivered: number;
  readonly alertsRetrying: number;
  readonly alertsDeadLettered: number;
}

const FIRST_RETRY_DELAY_IN_MS = 60_000;
const MAX_RETRY_DELAY_IN_MS = 6 * 3_600_000;

/** The delivery states every configured channel starts an alert with. */
export function initialDeliveries(channels: readonly AlertChannel[]): Record<string, ChannelDelivery> {
  return Object.fromEntries(channels.map((channel) => [channel.name, { state: "pending", attempts: 0 } satisfies ChannelDelivery]));
}

/**
 * Sends what the outbox holds: per channel, the alerts that are due are grouped by the run that
 * recorded them (one message per group: a single alert, or a digest), then each alert's delivery
 * state for that channel is written back. "Delivered" is written only after the channel confirmed.
 */
export async function deliverPending(options: DeliveryOptions): Promise<DeliverySummary> {
  const { outbox, channels, now, log } = options;
  const pending = await outbox.listPending();
  // Outcomes per alert, applied in one write per alert after every channel had its turn.
  const updates = new Map<string, { stored: StoredAlert; deliveries: Record<string, ChannelDelivery> }>();
  let messagesDelivered = 0;

  for (const channel of channels) {
    const due = pending.filter((stored) => isDue(stored.deliveries[channel.name], now));
    for (const group of groupByRun(due)) {
      const alerts = group.map((stored) => stored.alert);
      const groupKey = groupKeyOf(channel.name, alerts);
      let outcome: SendOutcome;
      try {
        outcome = await channel.send(alerts, { groupKey, log });
      } catch (error) {
        // A channel that throws is a bug or an outage: retried like any transient failure.
        outcome = { kind: "retry", error: errorMessage(error) };
      }
      if (outcome.kind === "delivered") messagesDelivered++;
      for (const stored of group) {
        const entry = updates.get(stored.alert.id) ?? { stored, deliveries: { ...stored.deliveries } };
        const previous = stored.deliveries[channel.name] ?? { state: "pending", attempts: 0 };
        entry.deliveries[channel.name] = nextDelivery(previous, outcome, now, options.maxAttempts);
        updates.set(stored.alert.id, entry);
      }
      log(`alert delivery: channel=${channel.name} alerts=${alerts.map((a) => a.id).join(",")} outcome=${describe(outcome)}`);
    }
  }

  let alertsDelivered = 0;
  let alertsRetrying = 0;
  let alertsDeadLettered = 0;
  for (const { stored, deliveries } of updates.values()) {
    if (!(await outbox.updateDeliveries(stored, deliveries))) {
      log(`alert ${stored.alert.id}: another run updated its delivery state first; keeping theirs`);
      continue;
    }
    const states = Object.values(deliveries).map((d) => d.state);
    if (states.includes("deadLettered")) alertsDeadLettered++;
    if (states.includes("retrying") || states.includes("pending")) alertsRetrying++;
    else if (states.includes("delivered")) alertsDelivered++;
  }
  return { messagesDelivered, alertsDelivered, alertsRetrying, alertsDeadLettered };
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

export function nextDelivery(previous: ChannelDelivery, outcome: SendOutcome, now: Date, maxAttempts: number): ChannelDelivery {
  const attempts = previous.attempts + 1;
  switch (outcome.kind) {
    case "delivered":
      return { state: "delivered", attempts, deliveredAt: now.toISOString(), ...(outcome.messageId !== undefined && { messageId: outcome.messageId }) };
    case "deadLetter":
      return { state: "deadLettered", attempts, lastError: outcome.error };
    case "retry": {
      if (attempts >= maxAttempts) return { state: "deadLettered", attempts, lastError: `gave up after ${attempts} attempts: ${outcome.error}` };
      const backoff = Math.min(FIRST_RETRY_DELAY_IN_MS * 2 ** (attempts - 1), MAX_RETRY_DELAY_IN_MS);
      const delay = Math.max(backoff, outcome.retryAfterInMs ?? 0);
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

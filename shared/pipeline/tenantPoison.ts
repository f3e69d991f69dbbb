import type { HealthNotice } from "../alerts/healthNotice";
import { deliverNotice } from "../channels/deliver";
import { noticeChannelsFor } from "./noticeReceivers";
import type { Logger } from "../domain/logger";
import type { WatchedTenant } from "../domain/tenant";
import { TENANT_POISON_QUEUE, TENANT_QUEUE, tenantIdOf } from "../domain/tenantPoll";
import { SEND_LOG_PARTITION, SendLogStore } from "../state/sendLog";
import { TenantLeases, type FanoutRow } from "../state/tenantLease";
import { TenantError, TenantStore } from "../state/tenantStore";
import type { PollDeps } from "./pollDeps";

/** The fan-out row that stands for a poison message with no readable tenant id. */
export const MALFORMED_TENANT = "~malformed";

/**
 * A message reached the poison queue (the host moved it there after maxDequeueCount failed tries):
 * recorded on the tenant's fan-out row (`restorewatch status` shows it) and told once, as a health
 * notice naming the tenant, through the app's channels. Throws when no channel took the notice, so
 * the poison message is tried again. The tenant itself is polled again at the next cycle.
 */
export async function recordTenantPoison(home: PollDeps, raw: unknown, options: { readonly log: Logger }): Promise<FanoutRow> {
  const now = home.now?.() ?? new Date();
  const tenantId = tenantIdOf(raw) ?? MALFORMED_TENANT;
  const cycle = cycleOf(raw);
  const claimed = await claimPoison(new TenantLeases(home.table), tenantId, cycle, now);
  if (!claimed.tell) {
    options.log.warn(`${TENANT_POISON_QUEUE}: tenant ${tenantId}'s poll for cycle ${cycle} is poison; already told at ${claimed.row.poisonNotifiedAt ?? "?"} (no successful poll since), so no new notice`);
    return claimed.row;
  }
  const tenant = tenantId === MALFORMED_TENANT ? undefined : await readTenant(home, tenantId);
  const notice = poisonNotice(claimed.row, tenant?.name, now);
  options.log.error(`${TENANT_POISON_QUEUE}: ${notice.cause}`);
  const channels = tenant ? await noticeChannelsFor(home, tenant.tenantId, options.log) : home.channels;
  // Within the shared budgets (ACS per subscription, Teams per webhook), as every notice and alert.
  const sendLog = new SendLogStore(home.table, SEND_LOG_PARTITION, home.tableCounters);
  const delivered = await deliverNotice(notice, { channels, now, log: options.log, sendLog });
  if (delivered.length === 0) {
    // Untold: the claim is given back, so that this poison message's retry tells it.
    const { poisonNotifiedAt: _claim, ...unclaimed } = claimed.row;
    await new TenantLeases(home.table).write(unclaimed);
    throw new Error(`the health notice about tenant ${tenantId}'s poison message reached no channel; it is tried again`);
  }
  return claimed.row;
}

/**
 * Records the poison on the tenant's fan-out row (status shows it) and claims the notice with the same
 * ETag-conditional write: of two instances handling poison messages of one tenant at once, one tells.
 * Told already in this outage (no successful poll since the last notice): recorded, not told again.
 */
async function claimPoison(leases: TenantLeases, tenantId: string, cycle: string, now: Date): Promise<{ row: FanoutRow; tell: boolean }> {
  for (let attempt = 1; attempt <= 5; attempt++) {
    const current = await leases.read(tenantId);
    const told = current.poisonNotifiedAt !== undefined && (current.lastPolledAt === undefined || current.lastPolledAt < current.poisonNotifiedAt);
    if (told && current.poisonCycle === cycle) return { row: current, tell: false }; // a redelivered poison message
    // The poison queue's copy starts its own dequeue count: the tries are the failures the polls recorded.
    const next: FanoutRow = {
      ...current,
      poisonAt: now.toISOString(),
      poisonCycle: cycle,
      ...(current.failedCycle === cycle && current.failures !== undefined && { poisonDequeueCount: current.failures }),
      ...(!told && { poisonNotifiedAt: now.toISOString() }),
    };
    const written = await leases.write(next);
    if (written) return { row: written, tell: !told };
  }
  throw new Error(`tenant ${tenantId}'s fan-out row kept changing while its poison was recorded; the poison message is tried again`);
}

/** The poisoned tenant's row, or undefined when the message named no tenant id (a message no tenant could have). */
async function readTenant(home: PollDeps, tenantId: string): Promise<WatchedTenant | undefined> {
  try {
    return await new TenantStore(home.table).get(tenantId);
  } catch (error) {
    if (error instanceof TenantError) return undefined;
    throw error;
  }
}

function poisonNotice(row: FanoutRow, name: string | undefined, now: Date): HealthNotice {
  const who = row.tenantId === MALFORMED_TENANT ? "an unreadable tenant" : `tenant ${name && name !== row.tenantId ? `${name} (${row.tenantId})` : row.tenantId}`;
  const tries = row.poisonDequeueCount;
  const lastError = row.lastError && row.failedCycle === row.poisonCycle ? `; its last error: ${row.lastError}` : "";
  return {
    kind: "unhealthy",
    tenantId: row.tenantId,
    // Named in the subject too: with many tenants, "your restore sessions" says nothing.
    ...(name !== undefined && name !== row.tenantId && { tenantLabel: name }),
    consecutiveFailures: tries ?? 0,
    at: now.toISOString(),
    ...(row.lastPolledAt !== undefined && { lastSuccessAt: row.lastPolledAt }),
    cause: `the poll of ${who} for cycle ${row.poisonCycle ?? "?"} failed ${tries === undefined ? "on every try" : `${tries} times`}, and its ${TENANT_QUEUE} message was moved to ${TENANT_POISON_QUEUE}${lastError}`,
    fix: `See that tenant's failed runs in Application Insights (or restorewatch status). It is polled again at the next cycle; if it keeps failing, check its consent (restorewatch tenant list) or pause it (restorewatch tenant pause).`,
  };
}

function cycleOf(raw: unknown): string {
  let value = raw;
  if (typeof raw === "string") {
    try {
      value = JSON.parse(raw);
    } catch {
      return "?";
    }
  }
  const cycle = (value as { cycle?: unknown } | null | undefined)?.cycle;
  return typeof cycle === "string" ? cycle.slice(0, 64) : "?";
}

import type { TableClient } from "@azure/data-tables";
import { errorMessage } from "../domain/errors";
import type { Logger } from "../domain/logger";
import type { WatchedTenant } from "../domain/tenant";
import { parseTenantPollMessage, type TenantPollMessage } from "../domain/tenantPoll";
import { TenantLeases } from "../state/tenantLease";
import { TenantStore } from "../state/tenantStore";
import { runPoll, type PollSummary } from "./poll";
import type { PollDeps } from "./pollDeps";

/**
 * The fan-out (issue 16): the timer turns the recorded tenants into one queue message each, and the
 * queue-triggered function polls the one tenant of its message under that tenant's lease. Each
 * message stands alone: a slow or failing tenant holds up no other, and a throw retries only its own message.
 */

/** The parts of one tenant's run: its state partition, Graph tenant and label (createPollDeps with the tenant). */
export type TenantDepsFactory = (tenant: WatchedTenant) => PollDeps;

export interface FanoutDeps {
  /** The state table, which holds the tenant rows and the fan-out's lease rows. */
  readonly table: TableClient;
  readonly depsFor: TenantDepsFactory;
  readonly now?: () => Date;
}

/** A message for a tenant whose lease another instance holds (polling an earlier cycle): retried after the visibility timeout. */
export class TenantLeaseHeldError extends Error {
  constructor(tenantId: string, until: string | undefined) {
    super(`tenant ${tenantId} is being polled by another instance (its lease runs until ${until ?? "?"}); this message is retried later`);
    this.name = "TenantLeaseHeldError";
  }
}

/** One message per tenant that is due (recorded and not paused), all for the same cycle. */
export function tenantMessages(tenants: readonly WatchedTenant[], cycle: Date, now: Date): TenantPollMessage[] {
  return tenants.filter((t) => !t.paused).map((t) => ({ tenantId: t.tenantId, cycle: cycle.toISOString(), enqueuedAt: now.toISOString() }));
}

/** What the timer does with tenants recorded: their messages (none when every tenant is paused); undefined with none recorded (single-tenant). */
export async function dueTenantMessages(table: TableClient, cycle: Date, now: Date): Promise<TenantPollMessage[] | undefined> {
  const tenants = await new TenantStore(table).list();
  return tenants.length === 0 ? undefined : tenantMessages(tenants, cycle, now);
}

export type TenantPollOutcome =
  | { readonly kind: "polled"; readonly message: TenantPollMessage; readonly summary: PollSummary }
  | { readonly kind: "skipped"; readonly message: TenantPollMessage; readonly reason: string };

/**
 * Polls the tenant of one message. Under the tenant's lease (see TenantLeases.acquire): a poll of this
 * cycle that started already (finished, running, or cut short by a killed worker) completes the message
 * with nothing done, so no tenant is polled twice in a cycle; a lease held for an earlier cycle throws
 * (the message comes back after the visibility timeout). A failed poll lets the lease go and throws,
 * so the message's retry polls again; after maxDequeueCount tries it goes to the poison queue.
 */
export async function pollTenantMessage(fan: FanoutDeps, raw: unknown, options: { readonly owner: string; readonly log: Logger }): Promise<TenantPollOutcome> {
  const message = parseTenantPollMessage(raw);
  const { tenantId, cycle } = message;
  const now = (): Date => fan.now?.() ?? new Date();
  const tenant = await new TenantStore(fan.table).get(tenantId);
  if (!tenant || tenant.paused) return skipped(options.log, message, tenant ? "the tenant is paused" : "the tenant is no longer recorded");
  const leases = new TenantLeases(fan.table);
  const lease = await leases.acquire(tenantId, cycle, options.owner, now());
  if (lease.kind === "alreadyPolled") return skipped(options.log, message, `a poll of cycle ${lease.row.lastPolledCycle ?? lease.row.leaseCycle ?? cycle} started already`);
  if (lease.kind === "held") throw new TenantLeaseHeldError(tenantId, lease.row.leaseUntil);
  let summary: PollSummary;
  try {
    summary = await runPoll(fan.depsFor(tenant), { log: options.log });
  } catch (error) {
    if (!(await leases.fail(lease.row, errorMessage(error), now()).catch(() => false))) options.log.warn(`tenant ${tenantId}: could not let its lease go after the failed poll; it expires at ${lease.row.leaseUntil ?? "?"}`);
    throw error;
  }
  if (!(await leases.complete(lease.row, now()))) options.log.warn(`tenant ${tenantId}: its lease expired during the poll and was taken; the poll's results are recorded all the same`);
  return { kind: "polled", message, summary };
}

function skipped(log: Logger, message: TenantPollMessage, reason: string): TenantPollOutcome {
  log.info(`tenant ${message.tenantId}, cycle ${message.cycle}: not polled: ${reason}`);
  return { kind: "skipped", message, reason };
}

/**
 * The fan-out over Storage Queues (issue 16): with tenants recorded, the timer enqueues one message per
 * due tenant on TENANT_QUEUE and the queue-triggered function polls that tenant. Messages that fail
 * maxDequeueCount times go to TENANT_POISON_QUEUE (the host's `<queue>-poison`).
 */

/** The queue of tenant polls, and the app setting prefix of its identity-based connection (`TenantQueue__queueServiceUri`). */
export const TENANT_QUEUE = "tenant-poll";
export const TENANT_POISON_QUEUE = `${TENANT_QUEUE}-poison`;
export const TENANT_QUEUE_CONNECTION = "TenantQueue";

/**
 * The partition (state table) of the fan-out's own rows, one per tenant: its lease, the last cycle it
 * was polled in, and its poison record. Kept apart from the tenant rows (`~tenants`, written by the
 * tenant CLI) so that a `tenant pause` never races a lease's ETag, nor a lease the operator's columns.
 */
export const FANOUT_PARTITION = "~fanout";

/**
 * How long a lease holds a tenant: longer than a run may take (RUN_DEADLINE_IN_MS 8 min + the 1 min
 * bookkeeping grace, plus slack), shorter than the poll period (POLL_SCHEDULE, 10 min at the least in
 * fan-out mode), so that a worker killed mid-tenant never keeps the tenant from its next cycle.
 */
export const TENANT_LEASE_MS = 9.5 * 60_000;

/** One message: poll this tenant, for this timer occurrence. */
export interface TenantPollMessage {
  readonly tenantId: string;
  /** The timer occurrence that enqueued it (ISO time): a tenant is polled at most once per cycle. */
  readonly cycle: string;
  readonly enqueuedAt: string;
}

/** A message that is not a tenant poll: it fails (clearly), is retried and ends in the poison queue. */
export class TenantMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TenantMessageError";
  }
}

const TENANT_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** Reads a message as the trigger hands it over (the JSON parsed, or its text), refusing anything else. */
export function parseTenantPollMessage(raw: unknown): TenantPollMessage {
  let value = raw;
  if (typeof raw === "string" || Buffer.isBuffer(raw)) {
    try {
      value = JSON.parse(raw.toString());
    } catch {
      throw new TenantMessageError(`the ${TENANT_QUEUE} message is not JSON: ${describe(raw.toString())}`);
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new TenantMessageError(`the ${TENANT_QUEUE} message is not a JSON object: ${describe(JSON.stringify(value) ?? String(value))}`);
  const { tenantId, cycle, enqueuedAt } = value as Record<string, unknown>;
  if (typeof tenantId !== "string" || !TENANT_ID.test(tenantId)) throw new TenantMessageError(`the ${TENANT_QUEUE} message has no valid tenantId (a tenant id: letters, digits, '.', '_' or '-')`);
  if (!isIsoTime(cycle)) throw new TenantMessageError(`the ${TENANT_QUEUE} message for tenant ${tenantId} has no valid cycle (an ISO time)`);
  if (!isIsoTime(enqueuedAt)) throw new TenantMessageError(`the ${TENANT_QUEUE} message for tenant ${tenantId} has no valid enqueuedAt (an ISO time)`);
  return { tenantId, cycle, enqueuedAt };
}

/** The tenant id of a message, if it has one worth naming (a poison message may be malformed). */
export function tenantIdOf(raw: unknown): string | undefined {
  try {
    return parseTenantPollMessage(raw).tenantId;
  } catch {
    const value = typeof raw === "string" ? safeJson(raw) : raw;
    const tenantId = (value as { tenantId?: unknown } | null | undefined)?.tenantId;
    return typeof tenantId === "string" && TENANT_ID.test(tenantId) ? tenantId : undefined;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isIsoTime(value: unknown): value is string {
  return typeof value === "string" && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(value) && !Number.isNaN(Date.parse(value));
}

/** A bounded, single-line quote of bad input for an error message. */
function describe(text: string): string {
  const line = text.replace(/\s+/g, " ");
  return JSON.stringify(line.length > 80 ? `${line.slice(0, 80)}…` : line);
}

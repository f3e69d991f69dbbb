import type { TableClient } from "@azure/data-tables";
import { FANOUT_PARTITION, TENANT_LEASE_MS } from "../domain/tenantPoll";
import { escapeOData } from "./entities";
import { isRestError } from "./tableClient";

/**
 * The fan-out's row of one tenant (partition `~fanout`, row key = tenant id): a lease that keeps two
 * instances off the tenant, the cycle it was last polled in, and its poison record. Every change is
 * ETag-conditioned (Table Storage's optimistic concurrency): of two workers that read the same row,
 * the second write gets 412 and that worker reads the row again.
 */
export interface FanoutRow {
  readonly tenantId: string;
  readonly etag?: string;
  /** The invocation holding the lease, until when, and the cycle it polls. */
  readonly leaseOwner?: string;
  readonly leaseUntil?: string;
  readonly leaseCycle?: string;
  /** The last cycle whose poll finished (successfully), and when. */
  readonly lastPolledCycle?: string;
  readonly lastPolledAt?: string;
  readonly lastError?: string;
  readonly lastFailedAt?: string;
  /** How many polls of failedCycle failed (the tries of its message, which the poison queue's copy does not carry). */
  readonly failedCycle?: string;
  readonly failures?: number;
  /** Its last message that went to the poison queue, and when the health notice about it went out. */
  readonly poisonAt?: string;
  readonly poisonCycle?: string;
  readonly poisonDequeueCount?: number;
  readonly poisonNotifiedAt?: string;
}

export type LeaseOutcome =
  | { readonly kind: "acquired"; readonly row: FanoutRow }
  /** A poll of this cycle (or a later one) started already, finished or not: nothing to do. */
  | { readonly kind: "alreadyPolled"; readonly row: FanoutRow }
  /** Another instance polls the tenant for an earlier cycle: try again later. */
  | { readonly kind: "held"; readonly row: FanoutRow };

const COLUMNS = ["leaseOwner", "leaseUntil", "leaseCycle", "lastPolledCycle", "lastPolledAt", "lastError", "lastFailedAt", "failedCycle", "failures", "poisonAt", "poisonCycle", "poisonDequeueCount", "poisonNotifiedAt"] as const;

export class TenantLeases {
  constructor(
    private readonly table: TableClient,
    private readonly signal?: AbortSignal,
  ) {}

  async read(tenantId: string): Promise<FanoutRow> {
    try {
      const entity = await this.table.getEntity<Record<string, unknown>>(FANOUT_PARTITION, tenantId, { abortSignal: this.signal });
      return toRow(entity);
    } catch (error) {
      if (isRestError(error, 404)) return { tenantId };
      throw error;
    }
  }

  async list(): Promise<FanoutRow[]> {
    const rows: FanoutRow[] = [];
    try {
      for await (const entity of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: `PartitionKey eq '${escapeOData(FANOUT_PARTITION)}'` } })) rows.push(toRow(entity));
    } catch (error) {
      if (isRestError(error, 404)) return [];
      throw error;
    }
    return rows;
  }

  /** Takes the tenant's lease for this cycle, unless a poll of the cycle started already or another instance holds it. */
  async acquire(tenantId: string, cycle: string, owner: string, now: Date): Promise<LeaseOutcome> {
    for (;;) {
      const row = await this.read(tenantId);
      if ((row.lastPolledCycle !== undefined && row.lastPolledCycle >= cycle) || (row.leaseCycle !== undefined && row.leaseCycle >= cycle)) return { kind: "alreadyPolled", row };
      if (row.leaseUntil !== undefined && Date.parse(row.leaseUntil) > now.getTime()) return { kind: "held", row };
      const leased: FanoutRow = { ...row, leaseOwner: owner, leaseUntil: new Date(now.getTime() + TENANT_LEASE_MS).toISOString(), leaseCycle: cycle };
      const written = await this.write(leased);
      if (written) return { kind: "acquired", row: written };
      // Another instance changed the row between our read and write: read it again.
    }
  }

  /** The poll finished: the cycle is done and the lease is let go. False when the lease was lost (it expired and was taken). */
  async complete(leased: FanoutRow, now: Date): Promise<boolean> {
    const { leaseOwner: _o, leaseUntil: _u, leaseCycle: _c, lastError: _e, lastFailedAt: _f, ...rest } = leased;
    return (await this.write({ ...rest, lastPolledCycle: leased.leaseCycle ?? "", lastPolledAt: now.toISOString() })) !== undefined;
  }

  /** The poll failed: the lease is let go (the message's retry polls again) and the error kept for the poison notice. */
  async fail(leased: FanoutRow, error: string, now: Date): Promise<boolean> {
    const { leaseOwner: _o, leaseUntil: _u, leaseCycle: cycle, ...rest } = leased;
    const failures = leased.failedCycle === cycle ? (leased.failures ?? 0) + 1 : 1;
    return (await this.write({ ...rest, lastError: error.slice(0, 1000), lastFailedAt: now.toISOString(), ...(cycle !== undefined && { failedCycle: cycle, failures }) })) !== undefined;
  }

  /** Writes the row as given (Replace): conditioned on its ETag, or created when it has none. Undefined on a conflict. */
  async write(row: FanoutRow): Promise<FanoutRow | undefined> {
    const entity: Record<string, unknown> = { partitionKey: FANOUT_PARTITION, rowKey: row.tenantId };
    for (const column of COLUMNS) if (row[column] !== undefined) entity[column] = row[column];
    try {
      const response = row.etag
        ? await this.table.updateEntity(entity as { partitionKey: string; rowKey: string }, "Replace", { etag: row.etag, abortSignal: this.signal })
        : await this.table.createEntity(entity as { partitionKey: string; rowKey: string }, { abortSignal: this.signal });
      return { ...row, ...(response.etag !== undefined && { etag: response.etag }) };
    } catch (error) {
      if (isRestError(error, 409, 412, 404)) return undefined;
      throw error;
    }
  }
}

function toRow(entity: Record<string, unknown>): FanoutRow {
  const row: Record<string, unknown> = { tenantId: String(entity["rowKey"] ?? ""), etag: String(entity["etag"] ?? "") };
  for (const column of COLUMNS) {
    const value = entity[column];
    if (typeof value === "string" && value !== "") row[column] = value;
    if (typeof value === "number") row[column] = value;
  }
  return row as unknown as FanoutRow;
}

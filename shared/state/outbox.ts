import type { TableClient } from "@azure/data-tables";
import type { ChannelDelivery } from "../domain/delivery";
import { boundText } from "../domain/textBounds";
import { ROW_PREFIX, entityToAlert, escapeOData, rowRangeFilter, type StoredAlert } from "./entities";
import { unlessChanged, writeInBatches } from "./batches";
import { isRestError, type TableTrafficCounters } from "./tableClient";

/** An alert row that failed re-validation: never sent; quarantined by the delivery step. */
export interface UntrustedAlertRow {
  readonly rowKey: string;
  readonly etag: string;
  readonly reason: string;
  /** Already quarantined (by an earlier run); the reason it was. */
  readonly quarantined?: string;
}

export interface AlertRows {
  readonly alerts: StoredAlert[];
  readonly untrusted: UntrustedAlertRow[];
}

/** The alert records of a tenant: what is still to be delivered, and delivery bookkeeping. */
export class Outbox {
  constructor(
    private readonly table: TableClient,
    private readonly tenantId: string,
    private readonly counters: TableTrafficCounters,
    /** Ends every request of this store: the run's deadline. */
    private readonly signal?: AbortSignal,
  ) {}

  /** Alerts that some channel has not delivered yet (pending or retrying), oldest first, and the rows among them that cannot be trusted. */
  async listPending(): Promise<AlertRows> {
    return this.query(`${rowRangeFilter(ROW_PREFIX.alert, this.tenantId)} and pending eq true`);
  }

  /** Every alert record (the `status` command), and the untrusted and quarantined rows. */
  async listAll(): Promise<AlertRows> {
    return this.query(rowRangeFilter(ROW_PREFIX.alert, this.tenantId));
  }

  /** One alert; undefined when there is none; an untrusted row throws (it is never re-queued or sent). */
  async get(alertId: string): Promise<StoredAlert | undefined> {
    this.counters.pointOperations++;
    let entity: Record<string, unknown>;
    try {
      entity = await this.table.getEntity<Record<string, unknown>>(this.tenantId, ROW_PREFIX.alert + alertId, { abortSignal: this.signal });
    } catch (error) {
      if (isRestError(error, 404)) return undefined;
      throw error;
    }
    const read = entityToAlert(entity);
    if (!read.ok) throw new Error(`alert row ${read.rowKey} is quarantined: ${read.reason}`);
    return read.value;
  }

  /**
   * Takes untrusted rows out of the outbox: no longer pending (never sent, never retried), marked with
   * why and when, ETag-conditional (a row someone changed meanwhile is read again next run).
   */
  async quarantine(rows: readonly UntrustedAlertRow[], at: Date): Promise<void> {
    for (const row of rows) {
      this.counters.pointOperations++;
      try {
        const entity = { partitionKey: this.tenantId, rowKey: row.rowKey, pending: false, leaseUntil: "", quarantinedAt: at.toISOString(), quarantineReason: boundText(row.reason, 500) };
        await this.table.updateEntity(entity, "Merge", { etag: row.etag, abortSignal: this.signal });
      } catch (error) {
        if (!isRestError(error, 412, 404)) throw error;
      }
    }
  }

  /**
   * Sends a dead-lettered (or retrying) alert again on the next run: every channel that has not
   * delivered it starts over with no attempts counted. Returns what happened; "changed" when another
   * run updated the record meanwhile (try again).
   */
  async requeue(alertId: string): Promise<"requeued" | "notFound" | "changed"> {
    const stored = await this.get(alertId);
    if (!stored) return "notFound";
    const requeued = Object.fromEntries(
      Object.entries(stored.deliveries).map(([name, d]) => [name, d.state === "deadLettered" || d.state === "retrying" ? { state: "pending" as const, attempts: 0, ...(d.lastError && { lastError: d.lastError }) } : d]),
    );
    return (await this.updateDeliveries(stored, requeued)) ? "requeued" : "changed";
  }

  /**
   * Writes new delivery states (merge, ETag-conditional). Returns false when another run updated the
   * record first; the caller leaves it for the next run rather than overwrite that run's outcome.
   */
  async updateDeliveries(stored: StoredAlert, deliveries: Readonly<Record<string, ChannelDelivery>>): Promise<boolean> {
    this.counters.pointOperations++;
    return this.writeDeliveries(stored, deliveries);
  }

  private async writeDeliveries(stored: StoredAlert, deliveries: Readonly<Record<string, ChannelDelivery>>): Promise<boolean> {
    return (await unlessChanged(() => this.table.updateEntity(deliveryEntity(this.tenantId, stored, deliveries), "Merge", { etag: stored.etag, abortSignal: this.signal }))) !== undefined;
  }

  /**
   * Writes many alerts' delivery states: ETag-conditional merges in entity-group transactions of up to
   * 100; a transaction that conflicts is retried alert by alert. Returns the ids written (an alert
   * another run updated first keeps that run's outcome).
   */
  async updateManyDeliveries(updates: readonly { stored: StoredAlert; deliveries: Readonly<Record<string, ChannelDelivery>> }[]): Promise<Set<string>> {
    const written = await writeInBatches(this.table, this.counters, updates, {
      action: ({ stored, deliveries }) => ["update", deliveryEntity(this.tenantId, stored, deliveries), "Merge", { etag: stored.etag }],
      written: ({ stored }) => stored.alert.id,
      single: async ({ stored, deliveries }) => ((await this.writeDeliveries(stored, deliveries)) ? stored.alert.id : undefined),
    }, this.signal);
    return new Set(written);
  }

  /**
   * Takes the alerts for this run's delivery until `until`: an ETag-conditional mark in entity-group
   * transactions (one per 100 alerts), so two runs that overlap cannot both send an alert (Teams has
   * no idempotency key). Returns the alerts this run now holds, with their new ETags; an alert another
   * run changed or took first is left out. A run that dies holding alerts delays them until `until`.
   */
  async lease(alerts: readonly StoredAlert[], until: Date): Promise<StoredAlert[]> {
    const leaseUntil = until.toISOString();
    const entity = (s: StoredAlert) => ({ partitionKey: this.tenantId, rowKey: ROW_PREFIX.alert + s.alert.id, leaseUntil });
    return writeInBatches(this.table, this.counters, alerts, {
      action: (s) => ["update", entity(s), "Merge", { etag: s.etag }],
      written: (s, etag) => ({ ...s, etag: etag ?? s.etag, leaseUntil }),
      // Someone changed it meanwhile: theirs.
      single: (s) => unlessChanged(async () => ({ ...s, etag: (await this.table.updateEntity(entity(s), "Merge", { etag: s.etag, abortSignal: this.signal })).etag ?? s.etag, leaseUntil })),
    }, this.signal);
  }

  /** Gives back alerts this run held but did not try (a rate limit held them back). */
  async release(alerts: readonly StoredAlert[]): Promise<void> {
    for (const s of alerts) {
      this.counters.pointOperations++;
      try {
        await this.table.updateEntity({ partitionKey: this.tenantId, rowKey: ROW_PREFIX.alert + s.alert.id, leaseUntil: "" }, "Merge", { etag: s.etag, abortSignal: this.signal });
      } catch (error) {
        if (!isRestError(error, 412, 404)) throw error;
      }
    }
  }

  /** Deletes finished alert records recorded before `cutoff` (retention). */
  async pruneFinished(cutoff: Date): Promise<number> {
    // Keys only: a finished row goes when it is old, whatever else it holds (quarantined rows too).
    const filter = `${rowRangeFilter(ROW_PREFIX.alert, this.tenantId)} and pending eq false and recordedAt lt '${escapeOData(cutoff.toISOString())}'`;
    const old: string[] = [];
    for await (const page of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter, select: ["RowKey"] }, abortSignal: this.signal }).byPage({ maxPageSize: 1000 })) {
      this.counters.queryPages++;
      for (const entity of page) old.push(String(entity.rowKey));
    }
    const pruned = await writeInBatches(this.table, this.counters, old, {
      action: (rowKey) => ["delete", { partitionKey: this.tenantId, rowKey }],
      written: (rowKey) => rowKey,
      single: (rowKey) => unlessChanged(async () => (await this.table.deleteEntity(this.tenantId, rowKey, { abortSignal: this.signal }), rowKey)),
    }, this.signal);
    return pruned.length;
  }

  private async query(filter: string): Promise<AlertRows> {
    const alerts: StoredAlert[] = [];
    const untrusted: UntrustedAlertRow[] = [];
    for await (const page of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter }, abortSignal: this.signal }).byPage({ maxPageSize: 1000 })) {
      this.counters.queryPages++;
      for (const entity of page) {
        const read = entityToAlert(entity);
        if (read.ok) alerts.push(read.value);
        else untrusted.push({ rowKey: read.rowKey, etag: read.etag, reason: read.reason, ...(typeof entity["quarantineReason"] === "string" && { quarantined: entity["quarantineReason"] }) });
      }
    }
    alerts.sort((a, b) => a.alert.recordedAt.localeCompare(b.alert.recordedAt) || a.alert.id.localeCompare(b.alert.id));
    return { alerts, untrusted };
  }
}

/** The columns a delivery update writes; writing the outcome also ends this run's lease on the alert. */
function deliveryEntity(tenantId: string, stored: StoredAlert, deliveries: Readonly<Record<string, ChannelDelivery>>) {
  const pending = Object.values(deliveries).some((d) => d.state === "pending" || d.state === "retrying");
  return { partitionKey: tenantId, rowKey: ROW_PREFIX.alert + stored.alert.id, deliveries: JSON.stringify(deliveries), pending, leaseUntil: "" };
}

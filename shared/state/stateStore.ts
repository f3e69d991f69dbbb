import type { TableClient, TransactionAction } from "@azure/data-tables";
import type { Alert } from "../domain/alert";
import type { ChannelDelivery } from "../domain/delivery";
import type { SessionChange } from "../domain/sessionChange";
import { ROW_PREFIX, alertToEntity, entityToSession, estimateEntityBytes, rowRangeFilter, sessionToEntity } from "./entities";
import type { StoredSessionRecord } from "../domain/sessionRecord";
import { MAX_BATCH_OPERATIONS, unlessChanged, writeInBatches } from "./batches";
import { isRestError, type TableTrafficCounters } from "./tableClient";

/** A session change with the alert records it raises: written together or not at all. */
export interface ChangeToRecord {
  readonly change: SessionChange;
  readonly alerts: readonly Alert[];
}

export interface RecordResult {
  /** Session rows written (inserted, updated). */
  readonly sessionsWritten: number;
  /** Alerts that this run recorded (committed). */
  readonly alertsRecorded: readonly Alert[];
  /** Changes not written because another run changed the same rows first; the next run re-evaluates them. */
  readonly deferred: readonly string[];
  readonly forgotten: number;
}

// Entity-group transactions: at most 100 operations (MAX_BATCH_OPERATIONS) and 4 MiB of payload.
export const MAX_BATCH_BYTES = 3_500_000;

/** Session state and alert records of one tenant partition. */
export class StateStore {
  constructor(
    private readonly table: TableClient,
    private readonly tenantId: string,
    private readonly counters: TableTrafficCounters,
    /** Ends every request of this store: the run's deadline. */
    private readonly signal?: AbortSignal,
  ) {}

  /** Every stored session record, page by page (1,000 rows a request). */
  async readSessions(): Promise<Map<string, StoredSessionRecord>> {
    const records = new Map<string, StoredSessionRecord>();
    const pages = this.table
      .listEntities<Record<string, unknown>>({ queryOptions: { filter: rowRangeFilter(ROW_PREFIX.session, this.tenantId) }, abortSignal: this.signal })
      .byPage({ maxPageSize: 1000 });
    for await (const page of pages) {
      this.counters.queryPages++;
      for (const entity of page) {
        const record = entityToSession(entity);
        records.set(record.id, { record, etag: String(entity.etag) });
      }
    }
    return records;
  }

  /**
   * Acknowledges a session's current failure: no more reminders for it (detect clears the mark when
   * the status changes). False when restorewatch has no record of the session.
   */
  async acknowledge(sessionId: string, at: Date): Promise<boolean> {
    this.counters.pointOperations++;
    try {
      await this.table.updateEntity({ partitionKey: this.tenantId, rowKey: ROW_PREFIX.session + sessionId, acknowledgedAt: at.toISOString() }, "Merge", { abortSignal: this.signal });
      return true;
    } catch (error) {
      if (isRestError(error, 404)) return false;
      throw error;
    }
  }

  /**
   * Writes each change with its alerts in one transaction (ETag-conditional update, or insert for a
   * new session; alert rows are inserts with deterministic keys). Groups are packed into transactions
   * of up to 100 operations. A transaction that conflicts with another run is split, and only the
   * groups that really conflict are deferred, so an alert is recorded once or not at all.
   */
  async record(changes: Iterable<ChangeToRecord>, deliveriesOf: (alert: Alert) => Readonly<Record<string, ChannelDelivery>>, forget: readonly StoredSessionRecord[] = []): Promise<RecordResult> {
    // Entities are built batch by batch (a baseline of 100,000 sessions never holds them all), and of
    // what committed only the count and the alerts are kept.
    const groups = (function* (store: StateStore) {
      for (const item of changes) yield store.toGroup(item, deliveriesOf);
    })(this);
    let sessionsWritten = 0;
    const alertsRecorded: Alert[] = [];
    const deferred: string[] = [];
    const committed = (group: Group): void => {
      sessionsWritten++;
      alertsRecorded.push(...group.item.alerts);
    };
    for (const batch of packBatches(groups)) {
      if (await this.trySubmit(batch.flatMap((g) => g.actions))) {
        batch.forEach(committed);
        continue;
      }
      for (const group of batch) {
        const outcome = await this.submitGroupResolvingConflicts(group);
        if (outcome === "deferred") deferred.push(group.item.change.session.id);
        else committed(outcome);
      }
    }
    const forgotten = await this.forget(forget);
    return { sessionsWritten, alertsRecorded, deferred, forgotten };
  }

  private toGroup(item: ChangeToRecord, deliveriesOf: (alert: Alert) => Readonly<Record<string, ChannelDelivery>>): Group {
    const { change } = item;
    const sessionEntity = sessionToEntity(this.tenantId, change.next);
    const sessionAction: TransactionAction = change.previous
      ? ["update", sessionEntity, "Replace", { etag: change.previous.etag }]
      : ["create", sessionEntity];
    const alertActions = item.alerts.map((alert): TransactionAction => {
      const alertDeliveries = deliveriesOf(alert);
      return ["create", alertToEntity(alert, alertDeliveries)];
    });
    const actions = [sessionAction, ...alertActions];
    return { item, actions, bytes: actions.reduce((sum, action) => sum + estimateEntityBytes(action[1]), 0) };
  }

  /** True when committed; false on a conflict (409 exists, 412 ETag, 404 gone); anything else is thrown. */
  private async trySubmit(actions: TransactionAction[]): Promise<boolean> {
    if (actions.length === 0) return true;
    this.counters.transactions++;
    try {
      await this.table.submitTransaction(actions, { abortSignal: this.signal });
      return true;
    } catch (error) {
      if (isRestError(error, 409, 412, 404)) return false;
      throw error;
    }
  }

  private async submitGroupResolvingConflicts(group: Group): Promise<Group | "deferred"> {
    if (await this.trySubmit(group.actions)) return group;
    // Who conflicted? If the session row moved on, another run handled this change: defer to the next run.
    const { change } = group.item;
    const current = await this.pointRead(ROW_PREFIX.session + change.session.id);
    const expected = change.previous?.etag;
    if ((expected === undefined && current !== undefined) || (expected !== undefined && current?.etag !== expected)) return "deferred";
    // Otherwise an alert row exists already (recorded earlier, e.g. before the session row was lost):
    // that record stands for the alert; write the state change without inserting it again.
    const alerts: Alert[] = [];
    const actions: TransactionAction[] = [group.actions[0] as TransactionAction];
    for (const [index, alert] of group.item.alerts.entries()) {
      if ((await this.pointRead(ROW_PREFIX.alert + alert.id)) === undefined) {
        alerts.push(alert);
        actions.push(group.actions[index + 1] as TransactionAction);
      }
    }
    if (await this.trySubmit(actions)) return { ...group, item: { ...group.item, alerts }, actions };
    return "deferred";
  }

  private async pointRead(rowKey: string): Promise<{ etag: string } | undefined> {
    this.counters.pointOperations++;
    try {
      const entity = await this.table.getEntity(this.tenantId, rowKey, { queryOptions: { select: ["RowKey"] }, abortSignal: this.signal });
      return { etag: String(entity.etag) };
    } catch (error) {
      if (isRestError(error, 404)) return undefined;
      throw error;
    }
  }

  /** Deletes the rows of sessions Graph no longer lists. Kept apart from alert writes: a concurrent delete must not hold them up. */
  private async forget(records: readonly StoredSessionRecord[]): Promise<number> {
    const forgotten = await writeInBatches(this.table, this.counters, records, {
      action: (r) => ["delete", { partitionKey: this.tenantId, rowKey: ROW_PREFIX.session + r.record.id }],
      written: (r) => r.record.id,
      // ETag-conditional on its own: a row another run changed meanwhile is not this run's to delete.
      single: (r) => unlessChanged(async () => (await this.table.deleteEntity(this.tenantId, ROW_PREFIX.session + r.record.id, { etag: r.etag, abortSignal: this.signal }), r.record.id)),
    }, this.signal);
    return forgotten.length;
  }

}

interface Group {
  readonly item: ChangeToRecord;
  readonly actions: TransactionAction[];
  readonly bytes: number;
}

/** Most groups held back for a later batch at once, so packing never holds more than a batch or two. */
const MAX_HELD_GROUPS = MAX_BATCH_OPERATIONS;

/**
 * Packs groups (a session row with its alert rows, which must commit together) into transactions of
 * at most 100 operations and MAX_BATCH_BYTES. A group that does not fit the open batch is held for the
 * next one while later, smaller groups fill this one, so the batches come out full and their number is
 * the floor, entities ÷ 100 rounded up, rather than closing one short whenever a pair meets a single
 * free slot. Order across groups does not matter: each group stands alone.
 */
export function* packBatches<G extends { readonly actions: readonly unknown[]; readonly bytes: number }>(groups: Iterable<G>): Generator<G[]> {
  let batch: G[] = [];
  let operations = 0;
  let bytes = 0;
  let held: G[] = [];
  // An empty batch takes any group, even one over the limits on its own (the service then says why).
  const fits = (group: G): boolean => batch.length === 0 || (operations + group.actions.length <= MAX_BATCH_OPERATIONS && bytes + group.bytes <= MAX_BATCH_BYTES);
  const add = (group: G): void => {
    batch.push(group);
    operations += group.actions.length;
    bytes += group.bytes;
  };
  const next = (): G[] => {
    const done = batch;
    batch = [];
    operations = 0;
    bytes = 0;
    const waiting = held;
    held = [];
    for (const group of waiting) {
      if (fits(group)) add(group);
      else held.push(group);
    }
    return done;
  };
  for (const group of groups) {
    if (fits(group)) add(group);
    else held.push(group);
    if (operations >= MAX_BATCH_OPERATIONS || held.length >= MAX_HELD_GROUPS) yield next();
  }
  // A held group always fits the empty batch that follows, so this ends with nothing left.
  while (batch.length > 0) yield next();
}

import type { TableClient, TransactionAction } from "@azure/data-tables";
import { isRestError, type TableTrafficCounters } from "./tableClient";

/** An entity-group transaction holds at most 100 operations. */
export const MAX_BATCH_OPERATIONS = 100;

/** How one kind of write is done: all of a chunk in one transaction, or one item on its own. */
export interface BatchedWrite<T, R> {
  /** The transaction's action for an item. */
  action(item: T): TransactionAction;
  /** What an item written by a transaction gives (its new ETag is the transaction's sub-response). */
  written(item: T, etag: string | undefined): R;
  /** Writes one item on its own: what it gives, or undefined when another writer changed or removed it first. */
  single(item: T): Promise<R | undefined>;
}

/**
 * Writes items of one partition in transactions of up to 100 (one request each, at one price). A
 * transaction that conflicts (409, 412, 404: another run changed a row) is redone item by item, so the
 * others still go and only the conflicting ones are left out. Returns what the written items gave.
 */
export async function writeInBatches<T, R>(table: TableClient, counters: TableTrafficCounters, items: readonly T[], write: BatchedWrite<T, R>, abortSignal?: AbortSignal): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += MAX_BATCH_OPERATIONS) {
    const chunk = items.slice(start, start + MAX_BATCH_OPERATIONS);
    counters.transactions++;
    try {
      const response = await table.submitTransaction(chunk.map((item) => write.action(item)), { abortSignal });
      chunk.forEach((item, index) => results.push(write.written(item, response.subResponses[index]?.etag)));
    } catch (error) {
      if (!isRestError(error, 409, 412, 404)) throw error;
      for (const item of chunk) {
        counters.pointOperations++;
        const result = await write.single(item);
        if (result !== undefined) results.push(result);
      }
    }
  }
  return results;
}

/** Runs a single-entity write; undefined when another writer got there first (412, or 404 gone). */
export async function unlessChanged<R>(write: () => Promise<R>): Promise<R | undefined> {
  try {
    return await write();
  } catch (error) {
    if (isRestError(error, 412, 404)) return undefined;
    throw error;
  }
}

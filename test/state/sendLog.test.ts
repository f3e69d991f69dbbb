import { randomUUID } from "node:crypto";
import { TableClient } from "@azure/data-tables";
import { describe, expect, it } from "vitest";
import { SEND_LOG_PARTITION, SendLogStore } from "../../shared/state/sendLog";
import { newTableCounters } from "../../shared/state/tableClient";
import { useAzurite } from "../support/useAzurite";

/** The send log is one row for the whole deployment: many instances (tenants' runs) reserve from one budget. */
const azurite = useAzurite();

async function freshTable(): Promise<TableClient> {
  const table = TableClient.fromConnectionString(azurite.connectionString, `rw${randomUUID().replace(/-/g, "").slice(0, 20)}`, { allowInsecureConnection: true });
  await table.createTable();
  return table;
}

const HOUR = 3_600_000;
const oneAnHour = (now: number) => (times: readonly number[]) => times.filter((t) => t > now - HOUR).length < 1;

describe("the send log's reservations", () => {
  it("never overshoots a shared budget: of instances that all saw room, the first write wins and the others, re-reading, find none", async () => {
    const table = await freshTable();
    const now = Date.now();
    const stores = [0, 1, 2, 3].map(() => new SendLogStore(table, SEND_LOG_PARTITION, newTableCounters()));
    await Promise.all(stores.map((s) => s.load()));
    // Each loaded an empty log: each sees room for the one email an hour allows.
    const reserved = await Promise.all(stores.map((s) => s.reserve("email", 1, now, HOUR, oneAnHour(now))));
    expect(reserved.filter(Boolean)).toHaveLength(1);
    const reread = new SendLogStore(table, SEND_LOG_PARTITION, newTableCounters());
    await reread.load();
    expect(reread.sentAt("email")).toEqual([now]);
  });

  it("keeps every instance's sends when there is room for all (merged on re-read), and budgets apart per key", async () => {
    const table = await freshTable();
    const now = Date.now();
    const [a, b] = [new SendLogStore(table, SEND_LOG_PARTITION, newTableCounters()), new SendLogStore(table, SEND_LOG_PARTITION, newTableCounters())];
    await Promise.all([a.load(), b.load()]);
    expect(await a.reserve("email", 1, now, HOUR)).toBe(true);
    expect(await b.reserve("email", 2, now + 1, HOUR)).toBe(true);
    expect(await b.reserve("teams", 1, now + 2, HOUR, oneAnHour(now + 2))).toBe(true);
    const reread = new SendLogStore(table, SEND_LOG_PARTITION, newTableCounters());
    await reread.load();
    expect(reread.sentAt("email")).toEqual([now, now + 1, now + 1]);
    expect(reread.sentAt("teams")).toEqual([now + 2]);
  });
});

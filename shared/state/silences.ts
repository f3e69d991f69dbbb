import type { TableClient } from "@azure/data-tables";
import { randomUUID } from "node:crypto";
import type { Workload } from "../domain/restoreSession";
import { ROW_PREFIX, rowRangeFilter } from "./entities";
import type { TableTrafficCounters } from "./tableClient";

/** A silence, as data with an expiry (Alertmanager's model): matching alerts are recorded but not sent. */
export interface Silence {
  readonly id: string;
  readonly until: string;
  readonly workload?: Workload;
  readonly sessionId?: string;
  readonly createdBy?: string;
  readonly comment?: string;
  readonly createdAt: string;
}

export class SilenceStore {
  constructor(
    private readonly table: TableClient,
    private readonly tenantId: string,
    private readonly counters: TableTrafficCounters,
    /** Ends every request of this store: the run's deadline. */
    private readonly signal?: AbortSignal,
  ) {}

  async add(silence: Omit<Silence, "id" | "createdAt">, now: Date = new Date()): Promise<Silence> {
    const stored: Silence = { ...silence, id: randomUUID(), createdAt: now.toISOString() };
    this.counters.pointOperations++;
    const { id, ...fields } = stored;
    await this.table.createEntity({ partitionKey: this.tenantId, rowKey: ROW_PREFIX.silence + id, ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) }, { abortSignal: this.signal });
    return stored;
  }

  /** Silences still in force at `now` (expired ones are ignored, and pruned by the caller's retention). */
  async active(now: Date): Promise<Silence[]> {
    const silences: Silence[] = [];
    const pages = this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: rowRangeFilter(ROW_PREFIX.silence, this.tenantId) }, abortSignal: this.signal }).byPage({ maxPageSize: 1000 });
    for await (const page of pages) {
      this.counters.queryPages++;
      for (const entity of page) {
        const until = String(entity["until"]);
        if (Date.parse(until) <= now.getTime()) continue;
        silences.push({
          id: String(entity.rowKey).slice(ROW_PREFIX.silence.length),
          until,
          createdAt: String(entity["createdAt"]),
          ...(typeof entity["workload"] === "string" && { workload: entity["workload"] as Workload }),
          ...(typeof entity["sessionId"] === "string" && { sessionId: entity["sessionId"] }),
          ...(typeof entity["createdBy"] === "string" && { createdBy: entity["createdBy"] }),
          ...(typeof entity["comment"] === "string" && { comment: entity["comment"] }),
        });
      }
    }
    return silences;
  }
}

import type { TableClient } from "@azure/data-tables";
import { ROW_PREFIX } from "./entities";
import { isRestError, type TableTrafficCounters } from "./tableClient";

/** Facts about past runs of a tenant, kept in one row so restarts don't reset them. */
export interface RunMeta {
  /** When the first run recorded its baseline; absent means the state is empty and the next run is the baseline. */
  readonly baselineAt?: string;
  readonly lastRunAt?: string;
  readonly lastSuccessAt?: string;
  /** Consecutive runs that failed (Graph unreachable, permission revoked, storage errors). */
  readonly consecutiveFailures: number;
  readonly lastError?: string;
  /** Set while a "cannot see your restore sessions" alert is outstanding, cleared by the recovery notice. */
  readonly healthAlertedAt?: string;
  readonly lastPrunedAt?: string;
}

const META_ROW = `${ROW_PREFIX.meta}run`;

export class RunMetaStore {
  constructor(
    private readonly table: TableClient,
    private readonly tenantId: string,
    private readonly counters: TableTrafficCounters,
    /** Ends every request of this store: the run's deadline. */
    private readonly signal?: AbortSignal,
  ) {}

  async read(): Promise<{ meta: RunMeta; etag?: string }> {
    this.counters.pointOperations++;
    try {
      const entity = await this.table.getEntity<Record<string, unknown>>(this.tenantId, META_ROW, { abortSignal: this.signal });
      const text = (key: string): string | undefined => (typeof entity[key] === "string" ? (entity[key] as string) : undefined);
      const meta: RunMeta = {
        consecutiveFailures: typeof entity["consecutiveFailures"] === "number" ? entity["consecutiveFailures"] : 0,
        ...optional("baselineAt", text("baselineAt")),
        ...optional("lastRunAt", text("lastRunAt")),
        ...optional("lastSuccessAt", text("lastSuccessAt")),
        ...optional("lastError", text("lastError")),
        ...optional("healthAlertedAt", text("healthAlertedAt")),
        ...optional("lastPrunedAt", text("lastPrunedAt")),
      };
      return { meta, etag: String(entity.etag) };
    } catch (error) {
      if (isRestError(error, 404)) return { meta: { consecutiveFailures: 0 } };
      throw error;
    }
  }

  /** Replaces the row (last writer wins: these are run facts, not alert decisions). */
  async write(meta: RunMeta): Promise<void> {
    this.counters.pointOperations++;
    const entity = { partitionKey: this.tenantId, rowKey: META_ROW, ...meta };
    await this.table.upsertEntity(Object.fromEntries(Object.entries(entity).filter(([, v]) => v !== undefined)) as typeof entity, "Replace", { abortSignal: this.signal });
  }
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

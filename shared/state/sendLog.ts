import type { TableClient } from "@azure/data-tables";
import { ROW_PREFIX } from "./entities";
import { isRestError, type TableTrafficCounters } from "./tableClient";

const SEND_LOG_ROW = `${ROW_PREFIX.meta}sendlog`;
/**
 * The partition of the one send log of the deployment (not a tenant id, so no tenant's rows collide):
 * the email limit is ACS's per subscription, whichever tenant an alert is about (issue 16).
 */
export const SEND_LOG_PARTITION = "~sendlog";
const MAX_WRITE_ATTEMPTS = 5;

/**
 * When each rate budget (a channel's, or a route receiver's: see AlertChannel.budgetKey) was last
 * spent (epoch ms), kept in one row so a limit holds across runs, restarts, instances and tenants. A send is logged *before* it is made: a crash then wastes a
 * slot rather than exceeding the limit (ACS counts failed and retried requests too).
 */
export class SendLogStore {
  private etag: string | undefined;
  private times = new Map<string, number[]>();

  constructor(
    private readonly table: TableClient,
    private readonly tenantId: string,
    private readonly counters: TableTrafficCounters,
    /** Ends every request of this store: the run's deadline. */
    private readonly signal?: AbortSignal,
  ) {}

  /** Send times of a channel, as last read or written by this store. */
  sentAt(channel: string): readonly number[] {
    return this.times.get(channel) ?? [];
  }

  async load(): Promise<void> {
    this.counters.pointOperations++;
    try {
      const entity = await this.table.getEntity<Record<string, unknown>>(this.tenantId, SEND_LOG_ROW, { abortSignal: this.signal });
      this.etag = String(entity.etag);
      this.times = new Map();
      for (const [key, value] of Object.entries(entity)) {
        if (key.startsWith("sent_") && typeof value === "string") this.times.set(key.slice("sent_".length), parseTimes(value));
      }
    } catch (error) {
      if (!isRestError(error, 404)) throw error;
      this.etag = undefined;
      this.times = new Map();
    }
  }

  /**
   * Reserves `count` sends at `now` for a channel if `fits` (the channel's limit) allows them, forgetting
   * times older than `horizonMs`. ETag-conditional: when another instance wrote first, re-reads, merges
   * and checks the limit again, so concurrent instances (many tenants' runs) never overshoot a shared
   * budget. False: no room now, or the row stayed too busy to write (the send waits for a later run:
   * never sent unreserved, never thrown after other sends of the pass went out).
   */
  async reserve(channel: string, count: number, now: number, horizonMs: number, fits: (times: readonly number[]) => boolean = () => true): Promise<boolean> {
    for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
      if (attempt > 1) await this.load();
      if (!fits(this.sentAt(channel))) return false;
      const kept = this.sentAt(channel).filter((t) => t > now - horizonMs);
      const next = [...kept, ...Array.from({ length: count }, () => now)];
      const entity = { partitionKey: this.tenantId, rowKey: SEND_LOG_ROW, [`sent_${channel}`]: JSON.stringify(next) };
      this.counters.pointOperations++;
      try {
        const response = this.etag === undefined ? await this.table.createEntity(entity, { abortSignal: this.signal }) : await this.table.updateEntity(entity, "Merge", { etag: this.etag, abortSignal: this.signal });
        this.etag = response.etag;
        this.times.set(channel, next);
        return true;
      } catch (error) {
        if (!isRestError(error, 409, 412)) throw error;
      }
    }
    return false;
  }
}

function parseTimes(text: string): number[] {
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed.filter((t): t is number => typeof t === "number" && Number.isFinite(t)) : [];
  } catch {
    return []; // a damaged log only loosens the limit for one horizon; the channel's own 429 still applies
  }
}

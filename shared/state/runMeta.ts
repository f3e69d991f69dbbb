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
  /** Alert channels the last run could not use, and whether a notice has told so. */
  readonly disabledChannels?: readonly DisabledChannelMemory[];
}

/** A channel a run found unusable: what was wrong, since when, and when a notice said so. */
export interface DisabledChannelMemory {
  readonly name: string;
  readonly setting: string;
  readonly reason: string;
  readonly since: string;
  /** When a channel took the "cannot send alerts to" notice; absent: not told yet (the next run tries again). */
  readonly noticedAt?: string;
  /** Refused at send time: it works again only once it delivers (a run that did not try it proves nothing). */
  readonly refusedAtSend?: true;
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
        ...disabledChannelsOf(text("disabledChannels")),
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
    await this.table.upsertEntity(this.entity(meta), "Replace", { abortSignal: this.signal });
  }

  /**
   * Replaces the row only if nobody changed it since it was read (etag; none: only if it does not
   * exist yet). False when another writer came first: a claim, so that of many runs one acts.
   */
  async writeIfUnchanged(meta: RunMeta, etag: string | undefined): Promise<boolean> {
    this.counters.pointOperations++;
    try {
      if (etag === undefined) await this.table.createEntity(this.entity(meta), { abortSignal: this.signal });
      else await this.table.updateEntity(this.entity(meta), "Replace", { etag, abortSignal: this.signal });
      return true;
    } catch (error) {
      if (isRestError(error, 409) || isRestError(error, 412)) return false;
      throw error;
    }
  }

  private entity(meta: RunMeta) {
    const { disabledChannels, ...facts } = meta;
    const entity = { partitionKey: this.tenantId, rowKey: META_ROW, ...facts, disabledChannels: disabledChannels?.length ? JSON.stringify(disabledChannels) : undefined };
    return Object.fromEntries(Object.entries(entity).filter(([, v]) => v !== undefined)) as typeof entity;
  }
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

/** The disabledChannels column, read defensively (a row someone edited by hand reads as none). */
function disabledChannelsOf(json: string | undefined): { disabledChannels?: DisabledChannelMemory[] } {
  if (json === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(json);
    if (!Array.isArray(parsed)) return {};
    const text = (value: unknown): value is string => typeof value === "string";
    const valid = parsed.filter((m): m is DisabledChannelMemory => typeof m === "object" && m !== null && text(m.name) && text(m.setting) && text(m.reason) && text(m.since) && (m.noticedAt === undefined || text(m.noticedAt)) && (m.refusedAtSend === undefined || m.refusedAtSend === true));
    return valid.length > 0 ? { disabledChannels: valid } : {};
  } catch {
    return {};
  }
}

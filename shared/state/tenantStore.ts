import type { TableClient } from "@azure/data-tables";
import { TENANTS_PARTITION, type TenantSource, type WatchedTenant } from "../domain/tenant";
import { isRestError, newTableCounters, type TableTrafficCounters } from "./tableClient";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_NAME_LENGTH = 100;

/** A tenant command that cannot be done: a bad id or label, a duplicate, an unknown tenant. Nothing was written. */
export class TenantError extends Error {
  constructor(
    message: string,
    readonly reason: "invalid" | "duplicate" | "unknown",
  ) {
    super(message);
    this.name = "TenantError";
  }
}

/** A tenant id as stored (lower case), or a TenantError saying why it is not one. */
export function normalizeTenantId(tenantId: string): string {
  const trimmed = tenantId.trim();
  if (!GUID.test(trimmed)) {
    throw new TenantError(`'${trimmed.slice(0, 60)}' is not a tenant id: give the customer's Microsoft Entra tenant id, a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47 (a domain name is not accepted: it can change hands, the id cannot)`, "invalid");
  }
  return trimmed.toLowerCase();
}

/** The operator's label, one line of at most 100 characters. */
export function normalizeTenantName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === "") throw new TenantError("the tenant needs a label: --name <label>, e.g. --name Contoso", "invalid");
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) throw new TenantError("the tenant's label must be one line of text, without control characters", "invalid");
  if (trimmed.length > MAX_NAME_LENGTH) throw new TenantError(`the tenant's label is ${trimmed.length} characters long: at most ${MAX_NAME_LENGTH}`, "invalid");
  return trimmed;
}

/**
 * The watched tenants, one row each under TENANTS_PARTITION of the state table (row key: the tenant
 * id), written only by `restorewatch tenant ...`. Removing a tenant removes its row only: its state
 * partition (baseline, alerts, outbox) stays, see remove().
 */
export class TenantStore implements TenantSource {
  constructor(
    private readonly table: TableClient,
    private readonly counters: TableTrafficCounters = newTableCounters(),
  ) {}

  async list(): Promise<readonly WatchedTenant[]> {
    const tenants: WatchedTenant[] = [];
    const pages = this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: `PartitionKey eq '${TENANTS_PARTITION}'` } }).byPage({ maxPageSize: 1000 });
    try {
      for await (const page of pages) {
        this.counters.queryPages++;
        for (const entity of page) {
          const tenant = toTenant(entity);
          if (tenant) tenants.push(tenant);
        }
      }
    } catch (error) {
      // No state table yet: no tenant recorded (the single-tenant path).
      if (isRestError(error, 404)) return [];
      throw error;
    }
    // Row keys come back sorted already; sort anyway, as the TenantSource contract promises.
    return tenants.sort((a, b) => (a.tenantId < b.tenantId ? -1 : a.tenantId > b.tenantId ? 1 : 0));
  }

  async get(tenantId: string): Promise<WatchedTenant | undefined> {
    const id = normalizeTenantId(tenantId);
    this.counters.pointOperations++;
    try {
      return toTenant(await this.table.getEntity<Record<string, unknown>>(TENANTS_PARTITION, id));
    } catch (error) {
      if (isRestError(error, 404)) return undefined;
      throw error;
    }
  }

  /** Records a tenant (not paused). One insert: a duplicate is refused by the table itself, so nothing is half-saved. */
  async add(input: { tenantId: string; name: string }, now: Date = new Date()): Promise<WatchedTenant> {
    const tenant: WatchedTenant = { tenantId: normalizeTenantId(input.tenantId), name: normalizeTenantName(input.name), paused: false, addedAt: now.toISOString() };
    this.counters.pointOperations++;
    try {
      await this.table.createEntity({ partitionKey: TENANTS_PARTITION, rowKey: tenant.tenantId, name: tenant.name, paused: tenant.paused, addedAt: tenant.addedAt });
    } catch (error) {
      if (!isRestError(error, 409)) throw error;
      const existing = await this.get(tenant.tenantId);
      throw new TenantError(`tenant ${tenant.tenantId} is already recorded${existing ? ` as '${existing.name}'` : ""}: nothing changed (restorewatch tenant list shows it)`, "duplicate");
    }
    return tenant;
  }

  /**
   * Forgets the tenant: it is no longer polled. Its state partition is kept on purpose: a tenant
   * removed by mistake and added again carries on from its baseline (no re-alerting of old failures,
   * no alert lost from its outbox), and alert history is not destroyed by a command that reads like
   * "stop watching". Returns the tenant removed.
   */
  async remove(tenantId: string): Promise<WatchedTenant> {
    const existing = await this.require(tenantId);
    this.counters.pointOperations++;
    try {
      await this.table.deleteEntity(TENANTS_PARTITION, existing.tenantId);
    } catch (error) {
      if (!isRestError(error, 404)) throw error;
    }
    return existing;
  }

  /** Pauses or resumes polling of a tenant; its state is untouched either way. */
  async setPaused(tenantId: string, paused: boolean): Promise<WatchedTenant> {
    const existing = await this.require(tenantId);
    this.counters.pointOperations++;
    try {
      // Merge, conditional on the row read: a tenant removed meanwhile is not brought back.
      await this.table.updateEntity({ partitionKey: TENANTS_PARTITION, rowKey: existing.tenantId, paused }, "Merge", { etag: "*" });
    } catch (error) {
      if (isRestError(error, 404)) throw unknownTenant(existing.tenantId);
      throw error;
    }
    return { ...existing, paused };
  }

  private async require(tenantId: string): Promise<WatchedTenant> {
    const existing = await this.get(tenantId);
    if (!existing) throw unknownTenant(normalizeTenantId(tenantId));
    return existing;
  }
}

function unknownTenant(tenantId: string): TenantError {
  return new TenantError(`no tenant ${tenantId} is recorded (restorewatch tenant list shows the tenants)`, "unknown");
}

/** A tenant row, read defensively: a row someone wrote by hand with another shape is skipped. */
function toTenant(entity: Record<string, unknown>): WatchedTenant | undefined {
  const tenantId = String(entity["rowKey"] ?? "");
  const name = entity["name"];
  if (!GUID.test(tenantId) || typeof name !== "string") return undefined;
  return { tenantId: tenantId.toLowerCase(), name, paused: entity["paused"] === true, addedAt: typeof entity["addedAt"] === "string" ? entity["addedAt"] : "" };
}

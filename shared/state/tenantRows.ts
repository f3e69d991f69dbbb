import type { TableClient } from "@azure/data-tables";
import { TENANTS_PARTITION, type TenantSource, type WatchedTenant } from "../domain/tenant";
import { escapeOData } from "./entities";
import { isRestError } from "./tableClient";

/**
 * The watched tenants as the fan-out reads them: the rows of partition `~tenants` (row key = tenant id;
 * columns name, paused, addedAt). A minimal reader for the timer; the tenant CLI's TenantStore writes
 * and validates these rows. A missing table means no tenant: the single-tenant path, as before.
 */
export class TenantRows implements TenantSource {
  constructor(private readonly table: TableClient) {}

  async list(): Promise<readonly WatchedTenant[]> {
    const tenants: WatchedTenant[] = [];
    try {
      const rows = this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: `PartitionKey eq '${escapeOData(TENANTS_PARTITION)}'` } });
      for await (const row of rows) tenants.push(toTenant(row));
    } catch (error) {
      if (isRestError(error, 404)) return [];
      throw error;
    }
    return tenants.sort((a, b) => a.tenantId.localeCompare(b.tenantId));
  }

  /** One tenant's row (a point read), or undefined when it is not recorded (removed since its message was sent). */
  async get(tenantId: string): Promise<WatchedTenant | undefined> {
    try {
      return toTenant(await this.table.getEntity<Record<string, unknown>>(TENANTS_PARTITION, tenantId));
    } catch (error) {
      if (isRestError(error, 404)) return undefined;
      throw error;
    }
  }
}

function toTenant(row: Record<string, unknown>): WatchedTenant {
  const tenantId = String(row["rowKey"] ?? "");
  const name = typeof row["name"] === "string" && row["name"] !== "" ? row["name"] : tenantId;
  return { tenantId, name, paused: row["paused"] === true, addedAt: typeof row["addedAt"] === "string" ? row["addedAt"] : "" };
}

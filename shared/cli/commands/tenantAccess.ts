import { readStateConfig } from "../../config/config";
import { createAppCredential, createStorageCredential } from "../../identity/credentials";
import { createStateTableClient, ensureTable, newTableCounters } from "../../state/tableClient";
import { TenantStore } from "../../state/tenantStore";
import type { TableClient } from "@azure/data-tables";
import type { CliIo } from "./command";

export interface TenantAccess {
  readonly table: TableClient;
  readonly tenants: TenantStore;
}

/**
 * The watched tenants' rows in the state table, for the `tenant` commands: the state storage settings
 * and, for identity-based storage, AZURE_CLIENT_ID. No Graph setting, and no sign-in to Graph.
 */
export async function openTenants(io: CliIo): Promise<TenantAccess> {
  const state = readStateConfig(io.env);
  const appClientId = io.env["AZURE_CLIENT_ID"]?.trim() || undefined;
  // An injected credential (tests, the local runner) stands for every identity.
  const storageClientId = state.connection.kind === "identity" && !io.credential ? state.connection.clientId : undefined;
  const table = createStateTableClient(state.connection, state.tableName, () => createStorageCredential(storageClientId, appClientId, io.credential ?? createAppCredential(appClientId)));
  await ensureTable(table);
  return { table, tenants: new TenantStore(table, newTableCounters()) };
}

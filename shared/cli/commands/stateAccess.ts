import type { TableClient } from "@azure/data-tables";
import type { TokenCredential } from "@azure/core-auth";
import { readIdentityConfig, readStateConfig, readTenantSetting } from "../../config/config";
import { resolveTenantId } from "../../graph/tenant";
import { createAppCredential, createStorageCredential } from "../../identity/credentials";
import { createStateTableClient, ensureTable, newTableCounters, type TableTrafficCounters } from "../../state/tableClient";
import type { CliIo } from "./command";

export interface StateAccess {
  readonly table: TableClient;
  readonly tenantId: string;
  readonly counters: TableTrafficCounters;
}

/**
 * The state table of the tenant, for the commands that read or change state (status, retry, ack,
 * silence): the state storage settings, AZURE_CLIENT_ID when the storage is identity-based, and the
 * tenant (GRAPH_TENANT_ID, else the tid of the app's Graph token). Nothing else is read.
 */
export async function openState(io: CliIo): Promise<StateAccess> {
  const configuredTenant = readTenantSetting(io.env);
  const { table, credential } = await openStateTable(io);
  const tenantId = await resolveTenantId(configuredTenant, credential);
  return { table, tenantId, counters: newTableCounters() };
}

/** The state table alone, for commands on deployment-wide rows (routes): no tenant is resolved. */
export async function openStateTable(io: CliIo): Promise<{ table: TableClient; credential: TokenCredential; counters: TableTrafficCounters }> {
  const state = readStateConfig(io.env);
  const identity = readIdentityConfig(io.env);
  const credential = io.credential ?? createAppCredential(identity.clientId);
  // An injected credential (tests, the local runner) stands for every identity.
  const storageClientId = state.connection.kind === "identity" && !io.credential ? state.connection.clientId : undefined;
  const table = createStateTableClient(state.connection, state.tableName, () => createStorageCredential(storageClientId, identity.clientId, credential));
  await ensureTable(table);
  return { table, credential, counters: newTableCounters() };
}

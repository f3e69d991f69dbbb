import { TableClient } from "@azure/data-tables";
import type { TokenCredential } from "@azure/core-auth";
import { RestError } from "@azure/core-rest-pipeline";
import type { StorageConnection } from "../config/config";

/** Table Storage traffic of a run (benchmarks and the run summary). */
export interface TableTrafficCounters {
  /** Query pages read (each is one request). */
  queryPages: number;
  /** Entity-group transactions submitted. */
  transactions: number;
  /** Single-entity reads and writes (conflict handling, CLI commands). */
  pointOperations: number;
}

export function newTableCounters(): TableTrafficCounters {
  return { queryPages: 0, transactions: 0, pointOperations: 0 };
}

/**
 * A TableClient for the state table from a Functions-style connection. Http endpoints (Azurite on
 * any host and port) are allowed for connection strings only; identity-based connections need https
 * unless they point at a loopback emulator.
 */
export function createStateTableClient(connection: StorageConnection, tableName: string, credential: () => TokenCredential): TableClient {
  if (connection.kind === "connectionString") {
    const insecure = connection.connectionString === "UseDevelopmentStorage=true" || /TableEndpoint=http:|DefaultEndpointsProtocol=http;/i.test(connection.connectionString);
    return TableClient.fromConnectionString(connection.connectionString, tableName, { allowInsecureConnection: insecure });
  }
  const url = new URL(connection.tableServiceUri);
  const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
  return new TableClient(connection.tableServiceUri, tableName, credential(), { allowInsecureConnection: url.protocol === "http:" && loopback });
}

/** Creates the table; an existing one is fine (409 TableAlreadyExists is expected and swallowed on purpose). */
export async function ensureTable(client: TableClient, abortSignal?: AbortSignal): Promise<void> {
  try {
    await client.createTable({ abortSignal });
  } catch (error) {
    if (isRestError(error, 409)) return;
    throw error;
  }
}

export function isRestError(error: unknown, ...statuses: number[]): error is RestError {
  return error instanceof RestError && error.statusCode !== undefined && statuses.includes(error.statusCode);
}

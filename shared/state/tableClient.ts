import { TableClient } from "@azure/data-tables";
import type { TokenCredential } from "@azure/core-auth";
import { RestError, type PipelinePolicy } from "@azure/core-rest-pipeline";
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
export function createStateTableClient(connection: StorageConnection, tableName: string, credential: () => TokenCredential, policies: readonly PipelinePolicy[] = []): TableClient {
  // Each HTTP attempt passes the policies (telemetry's dependency records).
  const additionalPolicies = policies.map((policy) => ({ policy, position: "perRetry" as const }));
  if (connection.kind === "connectionString") {
    const insecure = connection.connectionString === "UseDevelopmentStorage=true" || /TableEndpoint=http:|DefaultEndpointsProtocol=http;/i.test(connection.connectionString);
    return TableClient.fromConnectionString(connection.connectionString, tableName, { allowInsecureConnection: insecure, additionalPolicies });
  }
  const url = new URL(connection.tableServiceUri);
  const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
  return new TableClient(connection.tableServiceUri, tableName, credential(), { allowInsecureConnection: url.protocol === "http:" && loopback, additionalPolicies });
}

/**
 * 403 codes with which Table Storage refuses an authenticated request the caller may not make: the
 * identity's role does not cover it (AuthorizationPermissionMismatch) or the request is not authorized
 * at all (AuthorizationFailure). AuthenticationFailed (a bad or expired token) is not among them.
 */
const NOT_AUTHORIZED_CODES = new Set(["AuthorizationPermissionMismatch", "AuthorizationFailure"]);

/**
 * Creates the table if it is missing. An existing one is fine: 409 TableAlreadyExists is expected and
 * swallowed on purpose.
 *
 * So is a 403 that refuses the creation itself. infra/main.bicep creates the state table and grants
 * the identity Storage Table Data Contributor on that table only; creating a table is an action on
 * the account, outside that scope, so Azure answers every run's createTable with 403
 * AuthorizationPermissionMismatch. The table is then expected to exist, and the run carries on. If it
 * does not, or the identity may not use it either, the run's next request fails with the real error
 * (404 TableNotFound, or the same 403), so nothing is hidden: only the creation is skipped.
 */
export async function ensureTable(client: TableClient, abortSignal?: AbortSignal): Promise<void> {
  try {
    await client.createTable({ abortSignal });
  } catch (error) {
    if (isRestError(error, 409)) return;
    if (isRestError(error, 403) && NOT_AUTHORIZED_CODES.has(tableErrorCode(error) ?? "")) return;
    throw error;
  }
}

/**
 * Table Storage's error code (x-ms-error-code, or the odata.error body). The Tables client leaves
 * RestError.code unset and puts the service's code in `details`.
 */
export function tableErrorCode(error: RestError): string | undefined {
  const details = (error.details ?? {}) as { errorCode?: unknown; odataError?: { code?: unknown } };
  const code = details.errorCode ?? details.odataError?.code ?? error.code;
  return typeof code === "string" ? code : undefined;
}

export function isRestError(error: unknown, ...statuses: number[]): error is RestError {
  return error instanceof RestError && error.statusCode !== undefined && statuses.includes(error.statusCode);
}

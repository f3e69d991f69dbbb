import type { TokenCredential } from "@azure/core-auth";
import type { AlertChannel } from "../channels/channel";
import type { Config } from "../config/config";
import { createGraphApi } from "../graph/graphClient";
import type { GraphTrafficCounters } from "../graph/retryMiddleware";
import { createAppCredential, createGraphCredential, createStorageCredential } from "../identity/credentials";
import { createStateTableClient, newTableCounters } from "../state/tableClient";
import { newHealthMemory } from "./health";
import type { PollDeps } from "./pollDeps";
import { resolveTenantId } from "../graph/tenant";
import { adminConsentUrl, withConsentDiagnosis } from "../graph/tenantConsent";
import { KeyVaultSecrets } from "../identity/keyVaultSecrets";
import type { Telemetry } from "../domain/telemetry";
import { dependencyPolicy } from "../telemetry/httpDependencies";
import type { DependencySink } from "../telemetry/recorder";

export interface CreatePollDepsOptions {
  readonly config: Config;
  readonly channels: readonly AlertChannel[];
  /**
   * The app's own credential (Table Storage; and Graph in managed-identity mode, or the source of the
   * app registration's assertion with GRAPH_CLIENT_ID); by default from AZURE_CLIENT_ID (managed
   * identity) or DefaultAzureCredential.
   */
  readonly credential?: TokenCredential;
  readonly now?: () => Date;
  /** First Graph retry delay when no Retry-After is given (tests shorten it). */
  readonly graphBaseDelayInMs?: number;
  /** Emulator origins trusted with tokens, from the process environment (readEmulatorOrigins); none in Azure. */
  readonly emulatorOrigins?: readonly string[];
  /** Where the run's records and the Graph and Table Storage dependencies go (a TelemetryRecorder); absent: nowhere. */
  readonly telemetry?: Telemetry & DependencySink;
  /**
   * A customer tenant recorded by `restorewatch tenant add` (the fan-out passes each due one): its
   * state partition, and Graph as the multi-tenant app registration signed in to that tenant (a
   * managed identity cannot: ConfigError naming GRAPH_CLIENT_ID). Absent: the home tenant, as before.
   */
  readonly tenantId?: string;
  /** The operator's label of that tenant, named by its health notices. */
  readonly tenantLabel?: string;
}

/** Builds the parts of a run from configuration: the one composition root for the function, the CLI and tests. */
export function createPollDeps(options: CreatePollDepsOptions): PollDeps {
  const { config } = options;
  const credential = options.credential ?? createAppCredential(config.identity.clientId);
  const graphCredential = graphCredentialFor(options, credential);
  const graphCounters: GraphTrafficCounters = { requests: 0, bytesRead: 0, throttled: 0 };
  const tableCounters = newTableCounters();
  const connection = config.state.connection;
  const storageCredential = (): TokenCredential => createStorageCredential(connection.kind === "identity" ? connection.clientId : undefined, config.identity.clientId, credential);
  const graph = createGraphApi({
    endpoint: config.graph.endpoint,
    ...(options.emulatorOrigins && { emulatorOrigins: options.emulatorOrigins }),
    credential: graphCredential,
    principalKind: config.identity.mode,
    maxRetries: config.graph.maxRetries,
    timeoutInMs: config.graph.timeoutInMs,
    counters: graphCounters,
    ...(options.telemetry && { dependencies: options.telemetry }),
    ...(options.graphBaseDelayInMs !== undefined && { baseDelayInMs: options.graphBaseDelayInMs }),
  });
  return {
    config,
    channels: options.channels,
    graphCounters,
    tableCounters,
    health: newHealthMemory(),
    graph,
    resolveTenant: () => resolveTenantId(options.tenantId ?? config.graph.tenantId, graphCredential, graph.scope),
    ...(options.tenantLabel !== undefined && { tenantLabel: options.tenantLabel }),
    table: createStateTableClient(connection, config.state.tableName, storageCredential, options.telemetry ? [dependencyPolicy(options.telemetry, "Azure table")] : []),
    ...(config.channels.routeReceivers?.keyVaultUri !== undefined && { routeSecrets: new KeyVaultSecrets(config.channels.routeReceivers.keyVaultUri, credential, { ...(options.emulatorOrigins && { emulatorOrigins: options.emulatorOrigins }) }) }),
    ...(options.now && { now: options.now }),
    ...(options.telemetry && { telemetry: options.telemetry }),
  };
}

/** The home tenant's Graph credential, or a customer tenant's, whose missing consent is named as such (TenantConsentError). */
function graphCredentialFor(options: CreatePollDepsOptions, credential: TokenCredential): TokenCredential {
  const { identity } = options.config;
  const graphCredential = createGraphCredential(identity, options.tenantId, { managedIdentity: credential, ...(options.emulatorOrigins && { emulatorOrigins: options.emulatorOrigins }) });
  if (options.tenantId === undefined || identity.mode !== "appRegistration") return graphCredential;
  const consentUrl = adminConsentUrl(identity.authority.host, options.tenantId, identity.graphClientId);
  return withConsentDiagnosis(graphCredential, { tenantId: options.tenantId, consentUrl, ...(options.tenantLabel !== undefined && { label: options.tenantLabel }) });
}

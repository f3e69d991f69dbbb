import {
  AzureCliCredential,
  AzureDeveloperCliCredential,
  AzurePowerShellCredential,
  ChainedTokenCredential,
  ClientAssertionCredential,
  CredentialUnavailableError,
  DefaultAzureCredential,
  EnvironmentCredential,
  ManagedIdentityCredential,
} from "@azure/identity";
import type { TokenCredential } from "@azure/core-auth";
import type { IdentityConfig } from "../config/identityConfig";
import { ConfigError } from "../domain/errors";

/**
 * The app's identity: in Azure the user-assigned managed identity named by AZURE_CLIENT_ID; elsewhere
 * (a developer's machine, CI) DefaultAzureCredential's chain (environment, workload identity, Azure CLI, ...).
 * Table Storage, ACS and Key Vault always use it; Microsoft Graph uses createGraphCredential.
 */
export function createAppCredential(clientId: string | undefined): TokenCredential {
  return clientId ? new ManagedIdentityCredential({ clientId }) : new DefaultAzureCredential();
}

/**
 * The credential for identity-based Table Storage: the storage connection's own managed identity when
 * it names one (N__clientId) other than the app's, else the app's credential.
 */
export function createStorageCredential(storageClientId: string | undefined, appClientId: string | undefined, appCredential: TokenCredential): TokenCredential {
  return storageClientId && storageClientId !== appClientId ? new ManagedIdentityCredential({ clientId: storageClientId }) : appCredential;
}

/**
 * The credential for Application Insights ingestion (APPLICATIONINSIGHTS_AUTHENTICATION_STRING
 * `ClientId=<id>;Authorization=AAD`): that managed identity, the app's own when it is the same one
 * (or when the string names none).
 */
export function createIngestionCredential(clientId: string | undefined, appClientId: string | undefined, appCredential: TokenCredential): TokenCredential {
  return clientId && clientId !== appClientId ? new ManagedIdentityCredential({ clientId }) : appCredential;
}

export interface GraphCredentialOptions {
  /** The managed identity's credential when the caller already holds one (createAppCredential's); reused rather than built again. */
  readonly managedIdentity?: TokenCredential;
  /**
   * Emulator origins the process environment trusts (readEmulatorOrigins). The managed identity's
   * assertion goes to the authority host, so a host that is not Microsoft's must be one of these.
   */
  readonly emulatorOrigins?: readonly string[];
}

/**
 * The credential restorewatch signs in to Microsoft Graph with.
 *
 * - Managed-identity mode: the managed identity itself, in its own tenant (so `tenantId` must be absent).
 * - App-registration mode (GRAPH_CLIENT_ID): the app registration, in `tenantId` (default GRAPH_TENANT_ID;
 *   another tenant for a multi-tenant app consented there). Its client assertion is the managed
 *   identity's token for the cloud's token-exchange audience, which the app's federated identity
 *   credential trusts: no secret anywhere.
 */
export function createGraphCredential(identity: IdentityConfig, tenantId?: string, options: GraphCredentialOptions = {}): TokenCredential {
  const managedIdentity = options.managedIdentity ?? createAppCredential(identity.clientId);
  if (identity.mode === "managedIdentity") {
    if (tenantId !== undefined) throw new ConfigError("GRAPH_CLIENT_ID", `is required to sign in to tenant ${tenantId}: a managed identity signs in to its own tenant only`);
    return managedIdentity;
  }
  if (!identity.authority.isMicrosoftHost && !(options.emulatorOrigins ?? []).includes(identity.authority.host)) {
    throw new ConfigError(
      "AZURE_AUTHORITY_HOST",
      "must be a Microsoft Entra login host (login.microsoftonline.com, login.microsoftonline.us, login.partner.microsoftonline.cn): the managed identity's assertion is sent nowhere else. For a local emulator, name its origin in RESTOREWATCH_EMULATOR_ORIGINS in the process environment",
    );
  }
  const exchangeScope = `${identity.authority.tokenExchangeAudience}/.default`;
  // MSAL asks for the assertion twice per getToken, even when it answers from its cache: one managed
  // identity credential, whose token is cached, keeps that to one identity-endpoint call per token.
  const getAssertion = async (): Promise<string> => {
    const token = await managedIdentity.getToken(exchangeScope);
    if (!token) throw new CredentialUnavailableError(`the managed identity ${identity.clientId} returned no token for ${exchangeScope}`);
    return token.token;
  };
  return new ClientAssertionCredential(tenantId ?? identity.tenantId, identity.graphClientId, getAssertion, {
    authorityHost: identity.authority.host,
    // Any host but Microsoft's is an emulator: without this MSAL asks the real login host to vouch for it.
    ...(!identity.authority.isMicrosoftHost && { disableInstanceDiscovery: true }),
  });
}

/**
 * An administrator's own sign-in, for commands run by a person (grant-graph-permission): a service
 * principal in AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET (a pipeline), else the Azure CLI,
 * the Azure Developer CLI or Azure PowerShell. Never a managed identity: an admin's machine has none,
 * and probing for one would wait on the instance metadata endpoint.
 */
export function createOperatorCredential(): TokenCredential {
  return new ChainedTokenCredential(new EnvironmentCredential(), new AzureCliCredential(), new AzureDeveloperCliCredential(), new AzurePowerShellCredential());
}

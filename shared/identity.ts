import {
  AzureCliCredential,
  AzureDeveloperCliCredential,
  AzurePowerShellCredential,
  ChainedTokenCredential,
  DefaultAzureCredential,
  EnvironmentCredential,
  ManagedIdentityCredential,
} from "@azure/identity";
import type { TokenCredential } from "@azure/core-auth";

/**
 * The app's identity: in Azure the user-assigned managed identity named by AZURE_CLIENT_ID; elsewhere
 * (a developer's machine, CI) DefaultAzureCredential's chain (environment, workload identity, Azure CLI, ...).
 */
export function createAppCredential(clientId: string | undefined): TokenCredential {
  return clientId ? new ManagedIdentityCredential({ clientId }) : new DefaultAzureCredential();
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

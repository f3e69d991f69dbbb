import { DefaultAzureCredential, ManagedIdentityCredential } from "@azure/identity";
import type { TokenCredential } from "@azure/core-auth";

/**
 * The app's identity: in Azure the user-assigned managed identity named by AZURE_CLIENT_ID; elsewhere
 * (a developer's machine, CI) DefaultAzureCredential's chain (environment, workload identity, Azure CLI, ...).
 */
export function createAppCredential(clientId: string | undefined): TokenCredential {
  return clientId ? new ManagedIdentityCredential({ clientId }) : new DefaultAzureCredential();
}

import { guidStandIn } from "./functions";
import type { ResourceRef } from "./resourceIds";
import { ArmTemplateError, type ArmObject } from "./values";

/**
 * The platform stand-in: what Azure would answer when a template reads the deployment's context
 * (tenant(), subscription(), resourceGroup()) or a deployed resource (reference(...).x). Tests point
 * these values at local stand-ins, e.g. storage endpoints at Azurite.
 *
 * Only the tenant, subscription and resource group are required. A resource section left out is
 * answered in Azure's documented shape from the resource's own name (https://<account>.blob.core.windows.net/,
 * https://<vault>.vault.azure.net/) or with stable made-up ids; the ACS host name and the function
 * app's default host name have no such shape here, and reading them without a value throws.
 */
export interface PlatformStandIn {
  readonly tenantId: string;
  readonly subscriptionId: string;
  /** The resource group the template is deployed to. */
  readonly resourceGroup: { readonly name: string; readonly location: string };
  /** Microsoft.ManagedIdentity/userAssignedIdentities: clientId and principalId (object id). */
  readonly identity?: { readonly clientId: string; readonly principalId: string };
  /** Microsoft.Storage/storageAccounts primaryEndpoints. Azure's end in '/'. */
  readonly storageEndpoints?: { readonly blob: string; readonly queue: string; readonly table: string };
  /** Microsoft.Insights/components ConnectionString. */
  readonly appInsightsConnectionString?: string;
  /** Microsoft.KeyVault/vaults vaultUri, e.g. https://kv-x.vault.azure.net/. A secret's secretUri is <vaultUri>secrets/<name>. */
  readonly keyVaultUri?: string;
  /** Microsoft.Communication/communicationServices hostName (ACS_ENDPOINT is https://<it>). */
  readonly acsHostName?: string;
  /** Microsoft.Communication/emailServices/domains mailFromSenderDomain of the Azure-managed domain. */
  readonly emailSenderDomain?: string;
  /** Microsoft.Web/sites defaultHostName. */
  readonly functionAppHostName?: string;
}

/** A platform stand-in with fixed tenant, subscription and resource group; everything else as given. */
export function standInPlatform(overrides: Partial<PlatformStandIn> = {}): PlatformStandIn {
  return {
    tenantId: "11111111-1111-4111-8111-111111111111",
    subscriptionId: "22222222-2222-4222-8222-222222222222",
    resourceGroup: { name: "rg-restorewatch", location: "westeurope" },
    ...overrides,
  };
}

/** The vault URI the stand-in gives a vault: the one configured, else Azure's https://<name>.vault.azure.net/. */
export function vaultUriOf(vaultName: string, platform: PlatformStandIn): string {
  const uri = platform.keyVaultUri ?? `https://${vaultName}.vault.azure.net/`;
  return uri.endsWith("/") ? uri : `${uri}/`;
}

/** What reference(<resource id>) returns: the resource's runtime properties, as the platform stand-in has them. */
export function runtimeProperties(resource: ResourceRef, platform: PlatformStandIn): ArmObject {
  const name = resource.names[resource.names.length - 1] as string;
  const required = (value: string | undefined, field: keyof PlatformStandIn): string => {
    if (value === undefined) throw new ArmTemplateError(`reference() of ${resource.type} '${resource.names.join("/")}': the platform stand-in has no ${field}`);
    return value;
  };
  switch (resource.type.toLowerCase()) {
    case "microsoft.managedidentity/userassignedidentities":
      return {
        clientId: platform.identity?.clientId ?? guidStandIn([resource.id, "clientId"]),
        principalId: platform.identity?.principalId ?? guidStandIn([resource.id, "principalId"]),
        tenantId: platform.tenantId,
      };
    case "microsoft.storage/storageaccounts":
      return {
        primaryEndpoints: platform.storageEndpoints ?? {
          blob: `https://${name}.blob.core.windows.net/`,
          queue: `https://${name}.queue.core.windows.net/`,
          table: `https://${name}.table.core.windows.net/`,
        },
      };
    case "microsoft.insights/components": {
      const location = platform.resourceGroup.location;
      return {
        ConnectionString:
          platform.appInsightsConnectionString ??
          `InstrumentationKey=${guidStandIn([resource.id, "ikey"])};IngestionEndpoint=https://${location}-0.in.applicationinsights.azure.com/;LiveEndpoint=https://${location}.livediagnostics.monitor.azure.com/;ApplicationId=${guidStandIn([resource.id, "app"])}`,
      };
    }
    case "microsoft.keyvault/vaults":
      return { vaultUri: vaultUriOf(name, platform) };
    case "microsoft.keyvault/vaults/secrets": {
      // Versionless, as Key Vault's secretUri is; secretUriWithVersion pins a made-up version.
      const secretUri = `${vaultUriOf(resource.names[0] as string, platform)}secrets/${name}`;
      return { secretUri, secretUriWithVersion: `${secretUri}/${guidStandIn([resource.id, "version"]).replace(/-/g, "")}` };
    }
    case "microsoft.communication/communicationservices":
      return { hostName: required(platform.acsHostName, "acsHostName") };
    case "microsoft.communication/emailservices/domains":
      return { mailFromSenderDomain: platform.emailSenderDomain ?? `${guidStandIn([resource.id, "domain"])}.azurecomm.net` };
    case "microsoft.web/sites":
      return { defaultHostName: required(platform.functionAppHostName, "functionAppHostName") };
    default:
      throw new ArmTemplateError(`reference() of ${resource.type}: the platform stand-in does not know this resource type`);
  }
}

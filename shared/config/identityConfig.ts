import { ConfigError, describeValue } from "../domain/errors";

/** The Microsoft Entra authority the app registration signs in to, and what follows from it. */
export interface EntraAuthority {
  /** AZURE_AUTHORITY_HOST as an https origin, default https://login.microsoftonline.com. */
  readonly host: string;
  /**
   * A Microsoft login host. False means an emulator: MSAL would otherwise validate the authority by
   * asking the real login.microsoftonline.com (instance discovery).
   */
  readonly isMicrosoftHost: boolean;
  /** Audience of the managed identity's token-exchange assertion in this cloud (an emulator: the global one). */
  readonly tokenExchangeAudience: string;
}

/** Graph is signed in to as the managed identity itself (the default). */
export interface ManagedIdentityMode {
  readonly mode: "managedIdentity";
  /** AZURE_CLIENT_ID; unset: DefaultAzureCredential (a developer's machine, CI). */
  readonly clientId?: string;
  readonly authority: EntraAuthority;
}

/** Graph is signed in to as an app registration whose federated credential trusts the managed identity. */
export interface AppRegistrationMode {
  readonly mode: "appRegistration";
  /** AZURE_CLIENT_ID: the managed identity that makes the assertion; storage, ACS and Key Vault still use it. */
  readonly clientId: string;
  readonly authority: EntraAuthority;
  /** GRAPH_CLIENT_ID: the app registration's application (client) id. */
  readonly graphClientId: string;
  /** GRAPH_TENANT_ID: the tenant the app registration signs in to. */
  readonly tenantId: string;
}

export type IdentityConfig = ManagedIdentityMode | AppRegistrationMode;

export const DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com";

/** Microsoft's login hosts and the token-exchange audience of their cloud (identity-and-tenants.md §1.1, §5). */
const TOKEN_EXCHANGE_AUDIENCES: Readonly<Record<string, string>> = {
  "login.microsoftonline.com": "api://AzureADTokenExchange",
  "login.microsoftonline.us": "api://AzureADTokenExchangeUSGov",
  "login.partner.microsoftonline.cn": "api://AzureADTokenExchangeChina",
  "login.chinacloudapi.cn": "api://AzureADTokenExchangeChina",
};
const GLOBAL_TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** What ClientAssertionCredential accepts as a tenant: a GUID or a domain. */
const TENANT = /^[0-9a-zA-Z-.]+$/;

/** Reads AZURE_CLIENT_ID, GRAPH_CLIENT_ID, GRAPH_TENANT_ID and AZURE_AUTHORITY_HOST: which identity signs in to Graph. */
export function readIdentityConfig(read: (name: string) => string | undefined): IdentityConfig {
  const authority = readAuthority(read("AZURE_AUTHORITY_HOST") ?? DEFAULT_AUTHORITY_HOST);
  const clientId = read("AZURE_CLIENT_ID");
  const graphClientId = read("GRAPH_CLIENT_ID");
  if (graphClientId === undefined) return { mode: "managedIdentity", authority, ...(clientId !== undefined && { clientId }) };

  if (!GUID.test(graphClientId)) throw new ConfigError("GRAPH_CLIENT_ID", `must be the app registration's application (client) id, a GUID, not ${describeValue(graphClientId)}`);
  const tenantId = read("GRAPH_TENANT_ID");
  if (tenantId === undefined) throw new ConfigError("GRAPH_TENANT_ID", "is required with GRAPH_CLIENT_ID: the tenant the app registration signs in to");
  if (!TENANT.test(tenantId)) throw new ConfigError("GRAPH_TENANT_ID", "must be a tenant id (a GUID) or domain to sign in with GRAPH_CLIENT_ID");
  if (clientId === undefined) {
    throw new ConfigError("AZURE_CLIENT_ID", "is required with GRAPH_CLIENT_ID: the user-assigned managed identity whose token is the app registration's credential");
  }
  return { mode: "appRegistration", clientId, authority, graphClientId, tenantId };
}

function readAuthority(raw: string): EntraAuthority {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError("AZURE_AUTHORITY_HOST", "is not a URL");
  }
  // @azure/identity and MSAL refuse anything but https.
  if (url.protocol !== "https:") throw new ConfigError("AZURE_AUTHORITY_HOST", "must be an https:// URL");
  if (url.username !== "" || url.password !== "" || url.pathname !== "/" || url.search !== "" || url.hash !== "") {
    throw new ConfigError("AZURE_AUTHORITY_HOST", `must be the authority host only, such as ${DEFAULT_AUTHORITY_HOST} (no tenant, path or query)`);
  }
  if (url.hostname === "login.microsoftonline.de") throw new ConfigError("AZURE_AUTHORITY_HOST", "names Microsoft Cloud Germany, which closed in 2021");
  const cloudAudience = TOKEN_EXCHANGE_AUDIENCES[url.hostname];
  return { host: url.origin, isMicrosoftHost: cloudAudience !== undefined, tokenExchangeAudience: cloudAudience ?? GLOBAL_TOKEN_EXCHANGE_AUDIENCE };
}

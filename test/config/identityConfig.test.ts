import { describe, expect, it } from "vitest";
import { loadConfig } from "../../shared/config/config";
import { ConfigError } from "../../shared/domain/errors";

const base = { AzureWebJobsStorage: "UseDevelopmentStorage=true", ALERT_OUTBOX_DIR: ".local/outbox" };
const MI_CLIENT_ID = "5b0c1d2e-3f4a-4b5c-8d6e-7f8091a2b3c4";
const APP_CLIENT_ID = "3f2a9c1e-8b7d-4e6f-a5c4-1d2e3f4a5b6c";
const TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const appMode = { ...base, AZURE_CLIENT_ID: MI_CLIENT_ID, GRAPH_CLIENT_ID: APP_CLIENT_ID, GRAPH_TENANT_ID: TENANT_ID };

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("loadConfig accepted the settings");
}

describe("identity settings", () => {
  it("without GRAPH_CLIENT_ID signs in to Graph as the managed identity, on the global cloud", () => {
    expect(loadConfig({ ...base, AZURE_CLIENT_ID: MI_CLIENT_ID }).identity).toEqual({
      mode: "managedIdentity",
      clientId: MI_CLIENT_ID,
      authority: { host: "https://login.microsoftonline.com", isMicrosoftHost: true, tokenExchangeAudience: "api://AzureADTokenExchange" },
    });
    expect(loadConfig(base).identity).toEqual({ mode: "managedIdentity", authority: expect.any(Object) });
  });

  it("with GRAPH_CLIENT_ID signs in as the app registration in GRAPH_TENANT_ID, asserted by AZURE_CLIENT_ID", () => {
    expect(loadConfig(appMode).identity).toEqual({
      mode: "appRegistration",
      clientId: MI_CLIENT_ID,
      graphClientId: APP_CLIENT_ID,
      tenantId: TENANT_ID,
      authority: { host: "https://login.microsoftonline.com", isMicrosoftHost: true, tokenExchangeAudience: "api://AzureADTokenExchange" },
    });
  });

  it("app-registration mode names the missing or wrong setting", () => {
    const { GRAPH_TENANT_ID: _tenant, ...noTenant } = appMode;
    expect(configError(noTenant)).toMatchObject({ setting: "GRAPH_TENANT_ID", message: expect.stringContaining("is required with GRAPH_CLIENT_ID") });
    const { AZURE_CLIENT_ID: _mi, ...noIdentity } = appMode;
    expect(configError(noIdentity)).toMatchObject({ setting: "AZURE_CLIENT_ID", message: expect.stringContaining("managed identity") });
    expect(configError({ ...appMode, GRAPH_CLIENT_ID: "restorewatch-app" }).setting).toBe("GRAPH_CLIENT_ID");
    // loadConfig's own rule lets '_' through; ClientAssertionCredential would not.
    expect(configError({ ...appMode, GRAPH_TENANT_ID: "contoso_tenant" }).setting).toBe("GRAPH_TENANT_ID");
    expect(loadConfig({ ...appMode, GRAPH_TENANT_ID: "contoso.onmicrosoft.com" }).identity).toMatchObject({ tenantId: "contoso.onmicrosoft.com" });
  });

  it.each([
    ["https://login.microsoftonline.com/", "https://login.microsoftonline.com", true, "api://AzureADTokenExchange"],
    ["https://login.microsoftonline.us", "https://login.microsoftonline.us", true, "api://AzureADTokenExchangeUSGov"],
    ["https://login.chinacloudapi.cn", "https://login.chinacloudapi.cn", true, "api://AzureADTokenExchangeChina"],
    ["https://login.partner.microsoftonline.cn", "https://login.partner.microsoftonline.cn", true, "api://AzureADTokenExchangeChina"],
    ["https://127.0.0.1:8444", "https://127.0.0.1:8444", false, "api://AzureADTokenExchange"],
    ["https://LOCALHOST:8444/", "https://localhost:8444", false, "api://AzureADTokenExchange"],
  ])("AZURE_AUTHORITY_HOST %s: host %s, Microsoft's %s, exchange audience %s", (raw, host, isMicrosoftHost, tokenExchangeAudience) => {
    expect(loadConfig({ ...appMode, AZURE_AUTHORITY_HOST: raw }).identity.authority).toEqual({ host, isMicrosoftHost, tokenExchangeAudience });
  });

  it.each([
    ["http://127.0.0.1:8444", /must be an https:\/\/ URL/],
    ["login.microsoftonline.com", /is not a URL/],
    ["https://login.microsoftonline.com/contoso.onmicrosoft.com", /authority host only/],
    ["https://user:pw@login.microsoftonline.com", /authority host only/],
    ["https://login.microsoftonline.de", /closed in 2021/],
  ])("AZURE_AUTHORITY_HOST %s is refused, in either mode", (raw, problem) => {
    expect(configError({ ...appMode, AZURE_AUTHORITY_HOST: raw })).toMatchObject({ setting: "AZURE_AUTHORITY_HOST", message: expect.stringMatching(problem) });
    expect(configError({ ...base, AZURE_AUTHORITY_HOST: raw }).setting).toBe("AZURE_AUTHORITY_HOST");
  });
});

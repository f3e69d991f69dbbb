import { describe, expect, it } from "vitest";
import { DeploymentScope, deployedKeyVaults, deploymentOutputs, functionAppSite, loadCompiledTemplate, siteAppSettings, standInPlatform, type ArmValue } from "../support/arm";
import { resolveKeyVaultReferences } from "../support/keyVaultReferences";

/**
 * The values Azure would give the function app's settings when infra/main.bicep (compiled to
 * .local/infra/main.json) is deployed with the given parameters, against a platform stand-in that
 * points storage at Azurite and the other endpoints at local stand-ins.
 */

const { template } = loadCompiledTemplate();

const AZURITE = {
  blob: "http://127.0.0.1:10000/devstoreaccount1/",
  queue: "http://127.0.0.1:10001/devstoreaccount1/",
  table: "http://127.0.0.1:10002/devstoreaccount1/",
};
const IDENTITY = { clientId: "0a1b2c3d-0000-4000-8000-00000000c11e", principalId: "0a1b2c3d-0000-4000-8000-0000000000b1" };
const APP_INSIGHTS = "InstrumentationKey=00000000-0000-4000-8000-000000000a1a;IngestionEndpoint=http://127.0.0.1:4318/";
const VAULT_URI = "https://kv-rehearsal.vault.azure.net/";
const ACS_HOST = "127.0.0.1:7443";
const SENDER_DOMAIN = "0000-standin.azurecomm.net";
const WEBHOOK = "https://contoso.webhook.office.com/webhookb2/standin";

const platform = standInPlatform({
  identity: IDENTITY,
  storageEndpoints: AZURITE,
  appInsightsConnectionString: APP_INSIGHTS,
  keyVaultUri: VAULT_URI,
  acsHostName: ACS_HOST,
  emailSenderDomain: SENDER_DOMAIN,
});

function settingsWith(parameters: Record<string, ArmValue> = {}): Record<string, string> {
  return siteAppSettings(template, { parameters, platform });
}

/** What every deployment sets, with the default parameters. */
const ALWAYS: Readonly<Record<string, string>> = {
  AzureWebJobsStorage__credential: "managedidentity",
  AzureWebJobsStorage__clientId: IDENTITY.clientId,
  AzureWebJobsStorage__blobServiceUri: AZURITE.blob,
  AzureWebJobsStorage__queueServiceUri: AZURITE.queue,
  AzureWebJobsStorage__tableServiceUri: AZURITE.table,
  APPLICATIONINSIGHTS_CONNECTION_STRING: APP_INSIGHTS,
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: `ClientId=${IDENTITY.clientId};Authorization=AAD`,
  AZURE_CLIENT_ID: IDENTITY.clientId,
  TenantQueue__queueServiceUri: AZURITE.queue,
  TenantQueue__credential: "managedidentity",
  TenantQueue__clientId: IDENTITY.clientId,
  NODE_OPTIONS: "--enable-source-maps",
  POLL_SCHEDULE: "0 */5 * * * *",
  ALERT_ON_STATUSES: "failed,completedWithError",
  ALERT_STUCK_AFTER: "24h",
  ALERT_REPEAT_AFTER: "off",
  STATE_TABLE: "restorewatch",
  STATE_RETENTION_DAYS: "400",
  GRAPH_MAX_RETRIES: "4",
  GRAPH_TIMEOUT_SECONDS: "30",
  DELIVERY_MAX_ATTEMPTS: "10",
  HEALTH_ALERT_AFTER: "3",
};

function deployed(parameters: Record<string, ArmValue>, type: string): number {
  return DeploymentScope.root(template, { parameters, platform }).deployedResourcesOfType(type).length;
}

describe("app settings of the deployed function app (compiled template, platform stand-in)", () => {
  it("with the default parameters: host storage on the stand-in's endpoints through the identity, no email, no Teams, no baseline", () => {
    expect(settingsWith()).toEqual(ALWAYS);
    expect(deployed({}, "Microsoft.Communication/communicationServices")).toBe(0);
    expect(deployed({}, "Microsoft.KeyVault/vaults")).toBe(0);
  });

  it("parameters reach their settings, ints as decimal strings", () => {
    const settings = settingsWith({ pollSchedule: "0 */15 * * * *", stateRetentionDays: 30, stateTableName: "rwstate", alertRepeatAfter: "12h", healthAlertAfter: 7 });
    expect(settings).toEqual({ ...ALWAYS, POLL_SCHEDULE: "0 */15 * * * *", STATE_RETENTION_DAYS: "30", STATE_TABLE: "rwstate", ALERT_REPEAT_AFTER: "12h", HEALTH_ALERT_AFTER: "7" });
  });

  it("with email (alertEmailTo): ACS is created, and the app sends to its endpoint from the Azure-managed domain", () => {
    expect(settingsWith({ alertEmailTo: "ops@contoso.com,backup@contoso.com" })).toEqual({
      ...ALWAYS,
      ACS_ENDPOINT: `https://${ACS_HOST}`,
      ALERT_EMAIL_FROM: `DoNotReply@${SENDER_DOMAIN}`,
      ALERT_EMAIL_TO: "ops@contoso.com,backup@contoso.com",
    });
    expect(deployed({ alertEmailTo: "ops@contoso.com" }, "Microsoft.Communication/communicationServices")).toBe(1);
    expect(settingsWith({ alertEmailTo: "ops@contoso.com", alertEmailFrom: "alerts@contoso.com" })["ALERT_EMAIL_FROM"]).toBe("alerts@contoso.com");
  });

  it("with email through an existing ACS elsewhere: no ACS is created, the sender is the one given", () => {
    const parameters = {
      alertEmailTo: "ops@contoso.com",
      alertEmailFrom: "alerts@contoso.com",
      existingAcsResourceId: "/subscriptions/33333333-3333-4333-8333-333333333333/resourceGroups/rg-shared/providers/Microsoft.Communication/communicationServices/acs-shared",
    };
    expect(settingsWith(parameters)).toEqual({ ...ALWAYS, ACS_ENDPOINT: `https://${ACS_HOST}`, ALERT_EMAIL_FROM: "alerts@contoso.com", ALERT_EMAIL_TO: "ops@contoso.com" });
    expect(deployed(parameters, "Microsoft.Communication/communicationServices")).toBe(0);
    expect(deployed(parameters, "Microsoft.Authorization/roleAssignments")).toBe(deployed({}, "Microsoft.Authorization/roleAssignments") + 1);
  });

  it("with Teams (teamsWebhookUrl): a Key Vault reference to the secret in the stand-in vault, and the vault for routes' webhooks; the URL itself is in no setting", () => {
    const settings = settingsWith({ teamsWebhookUrl: WEBHOOK });
    expect(settings).toEqual({ ...ALWAYS, TEAMS_WEBHOOK_URL: `@Microsoft.KeyVault(SecretUri=${VAULT_URI}secrets/teams-webhook-url)`, KEY_VAULT_URI: VAULT_URI });
    expect(Object.values(settings).filter((value) => value.includes("webhook.office.com"))).toEqual([]);
  });

  it("with Teams and no vault URI given: the SecretUri is the deployed vault's own, https://<KEY_VAULT_NAME>.vault.azure.net", () => {
    const options = { parameters: { teamsWebhookUrl: WEBHOOK }, platform: { ...platform, keyVaultUri: undefined } };
    const vaultName = deploymentOutputs(template, options)["KEY_VAULT_NAME"];
    expect(vaultName).toMatch(/^kv-restorewatch-[a-z2-7]{1,8}$/);
    expect(siteAppSettings(template, options)["TEAMS_WEBHOOK_URL"]).toBe(`@Microsoft.KeyVault(SecretUri=https://${String(vaultName)}.vault.azure.net/secrets/teams-webhook-url)`);
  });

  it("with Teams, resolved as the platform would: the vault the template fills yields the webhook URL", () => {
    const options = { parameters: { teamsWebhookUrl: WEBHOOK }, platform };
    const vaults = deployedKeyVaults(template, options);
    expect(vaults).toEqual([{ host: "kv-rehearsal.vault.azure.net", secrets: { "teams-webhook-url": WEBHOOK } }]);
    const resolution = resolveKeyVaultReferences(siteAppSettings(template, options), vaults);
    expect(resolution.unresolved).toEqual([]);
    expect(resolution.resolved).toEqual(["TEAMS_WEBHOOK_URL"]);
    expect(resolution.settings).toEqual({ ...ALWAYS, TEAMS_WEBHOOK_URL: WEBHOOK, KEY_VAULT_URI: VAULT_URI });
    expect(deployedKeyVaults(template, { platform })).toEqual([]);
  });

  it("with alertBaselineSince", () => {
    expect(settingsWith({ alertBaselineSince: "2025-06-01T00:00:00Z" })).toEqual({ ...ALWAYS, ALERT_BASELINE_SINCE: "2025-06-01T00:00:00Z" });
  });

  it("with everything: the always-set settings plus the six conditional ones", () => {
    const settings = settingsWith({ alertEmailTo: "ops@contoso.com", teamsWebhookUrl: WEBHOOK, alertBaselineSince: "2025-06-01T00:00:00Z" });
    expect(Object.keys(settings).filter((name) => !(name in ALWAYS)).sort()).toEqual(["ACS_ENDPOINT", "ALERT_BASELINE_SINCE", "ALERT_EMAIL_FROM", "ALERT_EMAIL_TO", "KEY_VAULT_URI", "TEAMS_WEBHOOK_URL"]);
  });

  it("refuses parameters Azure would reject", () => {
    expect(() => settingsWith({ instanceMemoryMB: 1024 })).toThrow(/parameter 'instanceMemoryMB' must be one of \[512,2048,4096\]/);
    expect(() => settingsWith({ stateRetentionDays: 0 })).toThrow(/parameter 'stateRetentionDays' must be at least 1/);
    expect(() => settingsWith({ pollSchedule: 5 })).toThrow(/parameter 'pollSchedule' must be string/);
    expect(() => settingsWith({ teamsWebhook: WEBHOOK })).toThrow(/declares no parameter 'teamsWebhook'/);
  });

  it("are the same for the same inputs; names follow appName", () => {
    expect(settingsWith()).toEqual(settingsWith());
    const byName = (appName: string): string => deploymentOutputs(template, { parameters: { appName }, platform })["STORAGE_ACCOUNT_NAME"] as string;
    expect(byName("restorewatch")).toMatch(/^strestorewatch[a-z2-7]{10}$/);
    expect(byName("rw-test")).toMatch(/^strwtest[a-z2-7]{13}$/);
  });
});

describe("the deployed function app's site resource", () => {
  it("runs Node 22 on Flex, deploys from the stand-in blob container, and resolves Key Vault references as the user-assigned identity", () => {
    const site = functionAppSite(template, { platform });
    const identityId = `/subscriptions/${platform.subscriptionId}/resourceGroups/${platform.resourceGroup.name}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${String(deploymentOutputs(template, { platform })["MANAGED_IDENTITY_NAME"])}`;
    expect(site).toMatchObject({
      type: "Microsoft.Web/sites",
      kind: "functionapp,linux",
      location: platform.resourceGroup.location,
      tags: { "azd-service-name": "restorewatch" },
      identity: { type: "UserAssigned", userAssignedIdentities: { [identityId]: {} } },
      properties: {
        keyVaultReferenceIdentity: identityId,
        functionAppConfig: {
          runtime: { name: "node", version: "22" },
          scaleAndConcurrency: { maximumInstanceCount: 40, instanceMemoryMB: 2048 },
          deployment: { storage: { type: "blobContainer", value: `${AZURITE.blob}app-package`, authentication: { type: "UserAssignedIdentity", userAssignedIdentityResourceId: identityId } } },
        },
      },
    });
    expect(site["id"]).toBe(`/subscriptions/${platform.subscriptionId}/resourceGroups/${platform.resourceGroup.name}/providers/Microsoft.Web/sites/${String(site["name"])}`);
  });
});

describe("the deployment's outputs", () => {
  it("name the app and identity azd prints, and the email sender and vault only when configured", () => {
    const outputs = deploymentOutputs(template, { platform });
    expect(outputs).toMatchObject({ MANAGED_IDENTITY_CLIENT_ID: IDENTITY.clientId, MANAGED_IDENTITY_PRINCIPAL_ID: IDENTITY.principalId, EMAIL_SENDER_ADDRESS: "", KEY_VAULT_NAME: "" });
    expect(outputs["AZURE_FUNCTION_APP_NAME"]).toBe(functionAppSite(template, { platform })["name"]);
    const configured = deploymentOutputs(template, { parameters: { alertEmailTo: "ops@contoso.com", teamsWebhookUrl: WEBHOOK }, platform });
    expect(configured["EMAIL_SENDER_ADDRESS"]).toBe(`DoNotReply@${SENDER_DOMAIN}`);
    expect(configured["KEY_VAULT_NAME"]).toMatch(/^kv-restorewatch-/);
  });
});

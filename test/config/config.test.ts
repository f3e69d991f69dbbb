import { describe, expect, it } from "vitest";
import { loadConfig, type DisabledChannel } from "../../shared/config/config";
import { ConfigError } from "../../shared/domain/errors";

const base = { AzureWebJobsStorage: "UseDevelopmentStorage=true", ALERT_OUTBOX_DIR: ".local/outbox" };

describe("loadConfig", () => {
  it("applies the documented defaults", () => {
    const config = loadConfig(base);
    expect(config.pollSchedule).toBe("0 */5 * * * *");
    expect(config.graph.endpoint).toBe("https://graph.microsoft.com");
    expect([...config.alerting.onStatuses]).toEqual(["failed", "completedWithError"]);
    expect(config.state.tableName).toBe("restorewatch");
    expect(config.alerting.stuckAfterInMs).toBe(24 * 3600 * 1000);
    expect(config.alerting.repeatAfterInMs).toBeUndefined();
  });

  it("names the setting that is wrong", () => {
    expect(() => loadConfig({ ...base, ALERT_ON_STATUSES: "failed,broken" })).toThrow(/ALERT_ON_STATUSES 'broken' is not a restore session status/);
    expect(() => loadConfig({ ...base, GRAPH_ENDPOINT: "http://graph.example" })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, STATE_TABLE: "no-dashes" })).toThrow(/STATE_TABLE/);
    expect(() => loadConfig({ ...base, ALERT_STUCK_AFTER: "soon" })).toThrow(/ALERT_STUCK_AFTER 'soon' is not a duration/);
    expect(() => loadConfig({ ...base, ALERT_BASELINE_SINCE: "yesterday" })).toThrow(/ALERT_BASELINE_SINCE/);
  });

  it("requires a storage connection in one of the Functions forms", () => {
    expect(() => loadConfig({ ALERT_OUTBOX_DIR: "x" })).toThrow(/AzureWebJobsStorage no state storage/);
    const identity = loadConfig({ ALERT_OUTBOX_DIR: "x", AzureWebJobsStorage__tableServiceUri: "https://acct.table.core.windows.net/", AzureWebJobsStorage__credential: "managedidentity", AZURE_CLIENT_ID: "cid" });
    expect(identity.state.connection).toEqual({ kind: "identity", settingName: "AzureWebJobsStorage", tableServiceUri: "https://acct.table.core.windows.net", clientId: "cid" });
    const override = loadConfig({ ...base, STATE_STORAGE: "DefaultEndpointsProtocol=http;AccountName=a;AccountKey=k;TableEndpoint=http://h:1/a;" });
    expect(override.state.connection.settingName).toBe("STATE_STORAGE");
  });

  it("fails fast without any alert channel, unless asked not to", () => {
    expect(() => loadConfig({ AzureWebJobsStorage: "UseDevelopmentStorage=true" })).toThrow(/no alert channel is configured/);
    expect(loadConfig({ AzureWebJobsStorage: "UseDevelopmentStorage=true" }, { requireChannel: false }).channels.email).toBeUndefined();
  });

  it("validates a half-configured email channel: the email channel is disabled, naming the setting", () => {
    expect(disabledOf({ ...base, ALERT_EMAIL_TO: "a@contoso.com" })).toMatchObject([{ name: "email", setting: "ACS_ENDPOINT" }]);
    expect(disabledOf({ ...base, ACS_ENDPOINT: "https://x.communication.azure.com", ALERT_EMAIL_TO: "a@contoso.com" })).toMatchObject([{ name: "email", setting: "ALERT_EMAIL_FROM" }]);
    const config = loadConfig({ ...base, ACS_ENDPOINT: "https://x.communication.azure.com", ALERT_EMAIL_FROM: "alerts@contoso.com", ALERT_EMAIL_TO: "a@contoso.com, b@contoso.com" });
    expect(config.channels.email?.to).toEqual(["a@contoso.com", "b@contoso.com"]);
    expect(config.channels.disabled).toBeUndefined();
  });

  it("disables a Teams webhook URL that is not https or not a Teams host, showing at most its host", () => {
    expect(disabledOf({ ...base, TEAMS_WEBHOOK_URL: "http://prod-1.westus.logic.azure.com/workflows/x" })).toMatchObject([{ name: "teams", setting: "TEAMS_WEBHOOK_URL", reason: expect.stringMatching(/^TEAMS_WEBHOOK_URL must be an https/) }]);
    const [evil] = disabledOf({ ...base, TEAMS_WEBHOOK_URL: "https://evil.example.com/hook?sig=s3cr3tSignatureValue" });
    expect(evil?.reason).toMatch(/not a Teams Workflows/);
    expect(evil?.reason).toContain("evil.example.com");
    expect(JSON.stringify(evil)).not.toMatch(/s3cr3t|\/hook/);
    expect(loadConfig({ ...base, TEAMS_WEBHOOK_URL: "https://relay.contoso.com/hook", TEAMS_WEBHOOK_ALLOWED_HOSTS: "relay.contoso.com" }).channels.teams?.webhookUrl.host).toBe("relay.contoso.com");
  });
});

/** The channels these settings disable (and check that none of them is also usable). */
function disabledOf(env: Record<string, string>): readonly DisabledChannel[] {
  const channels = loadConfig(env).channels;
  for (const off of channels.disabled ?? []) expect(channels[off.name as "email" | "teams"]).toBeUndefined();
  return channels.disabled ?? [];
}

describe("per-channel configuration (a broken channel is disabled on its own)", () => {
  const email = { ACS_ENDPOINT: "https://x.communication.azure.com", ALERT_EMAIL_FROM: "alerts@contoso.com", ALERT_EMAIL_TO: "a@contoso.com" };
  const teamsUrl = "https://prod-1.westus.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=SIGNATUREsecretVALUE";
  const reference = "@Microsoft.KeyVault(SecretUri=https://kv-rw.vault.azure.net/secrets/teams-webhook-url)";

  it("disables Teams whose setting is an unresolved Key Vault reference; email stays usable", () => {
    const config = loadConfig({ AzureWebJobsStorage: "UseDevelopmentStorage=true", ...email, TEAMS_WEBHOOK_URL: reference });
    expect(config.channels.email?.from).toBe("alerts@contoso.com");
    expect(config.channels.teams).toBeUndefined();
    expect(config.channels.disabled).toEqual([
      {
        name: "teams",
        setting: "TEAMS_WEBHOOK_URL",
        reason: 'TEAMS_WEBHOOK_URL is a Key Vault reference that did not resolve (the setting still holds "@Microsoft.KeyVault(...)")',
        fix: expect.stringMatching(/Key Vault Secrets User.*secret named in TEAMS_WEBHOOK_URL exists.*held and go out once it works/),
      },
    ]);
    // The reference names the vault and the secret: not shown either.
    expect(JSON.stringify(config.channels.disabled)).not.toContain("kv-rw");
  });

  it("recognises the reference whatever its form or case, on any setting of a channel", () => {
    const vaultName = "@microsoft.keyvault(VaultName=kv;SecretName=acs)";
    expect(disabledOf({ ...base, ...email, ACS_CONNECTION_STRING: vaultName })).toMatchObject([{ name: "email", setting: "ACS_CONNECTION_STRING", reason: expect.stringMatching(/Key Vault reference that did not resolve/) }]);
    expect(disabledOf({ ...base, TEAMS_WEBHOOK_URL: teamsUrl, TEAMS_RATE_LIMIT: reference })).toMatchObject([{ name: "teams", setting: "TEAMS_RATE_LIMIT" }]);
  });

  it("disables an email channel with an invalid sender or recipient, naming the setting and not the value", () => {
    const [from] = disabledOf({ ...base, ...email, ALERT_EMAIL_FROM: "not-an-address" });
    expect(from).toMatchObject({ name: "email", setting: "ALERT_EMAIL_FROM", reason: "ALERT_EMAIL_FROM is not an email address", fix: expect.stringContaining("Correct the app setting ALERT_EMAIL_FROM") });
    expect(disabledOf({ ...base, ...email, ALERT_EMAIL_TO: "a@contoso.com, nobody" })).toMatchObject([{ setting: "ALERT_EMAIL_TO", reason: "ALERT_EMAIL_TO item 2 of 2 is not an email address" }]);
  });

  it("disables both channels on their own, and still loads: the run holds their alerts and fails at its end", () => {
    const config = loadConfig({ AzureWebJobsStorage: "UseDevelopmentStorage=true", ...email, ALERT_EMAIL_FROM: "x", TEAMS_WEBHOOK_URL: "not a url" });
    expect(config.channels.disabled?.map((d) => `${d.name}:${d.setting}`)).toEqual(["email:ALERT_EMAIL_FROM", "teams:TEAMS_WEBHOOK_URL"]);
    expect(config.channels.disabled?.[1]?.reason).toBe("TEAMS_WEBHOOK_URL is not a URL");
  });

  it("still throws for settings every channel shares, and for global ones", () => {
    expect(() => loadConfig({ ...base, ...email, DELIVERY_MAX_ATTEMPTS: "many" })).toThrow(/DELIVERY_MAX_ATTEMPTS/);
    expect(() => loadConfig({ ...email, TEAMS_WEBHOOK_URL: reference })).toThrow(/AzureWebJobsStorage no state storage/);
  });
});

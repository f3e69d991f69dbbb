import { describe, expect, it } from "vitest";
import { loadConfig } from "../../shared/config/config";
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

  it("validates a half-configured email channel", () => {
    expect(() => loadConfig({ ...base, ALERT_EMAIL_TO: "a@contoso.com" })).toThrow(/ACS_ENDPOINT/);
    expect(() => loadConfig({ ...base, ACS_ENDPOINT: "https://x.communication.azure.com", ALERT_EMAIL_TO: "a@contoso.com" })).toThrow(/ALERT_EMAIL_FROM/);
    const config = loadConfig({ ...base, ACS_ENDPOINT: "https://x.communication.azure.com", ALERT_EMAIL_FROM: "alerts@contoso.com", ALERT_EMAIL_TO: "a@contoso.com, b@contoso.com" });
    expect(config.channels.email?.to).toEqual(["a@contoso.com", "b@contoso.com"]);
  });

  it("rejects a Teams webhook URL that is not https or not a Teams host", () => {
    expect(() => loadConfig({ ...base, TEAMS_WEBHOOK_URL: "http://prod-1.westus.logic.azure.com/workflows/x" })).toThrow(/TEAMS_WEBHOOK_URL must be an https/);
    expect(() => loadConfig({ ...base, TEAMS_WEBHOOK_URL: "https://evil.example.com/hook" })).toThrow(/not a Teams Workflows/);
    expect(loadConfig({ ...base, TEAMS_WEBHOOK_URL: "https://relay.contoso.com/hook", TEAMS_WEBHOOK_ALLOWED_HOSTS: "relay.contoso.com" }).channels.teams?.webhookUrl.host).toBe("relay.contoso.com");
  });
});

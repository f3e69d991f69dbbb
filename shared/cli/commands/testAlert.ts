import { readChannelsConfig, readIdentityConfig, readTenantSetting } from "../../config/config";
import { createAppCredential } from "../../identity/credentials";
import { describeTestResult, sendTestAlert } from "../../pipeline/testAlert";
import { cliLogger, type CliCommand } from "./command";
import { EXIT } from "./exitCodes";

export const testAlertCommand: CliCommand = {
  name: "test-alert",
  usage: "test-alert",
  summary: "send a sample alert through every configured channel",
  help: `Sends a sample alert (a SharePoint bulk restore with two failed sites, one named and one known only by
its URL, and a bulk request with errors) through every configured channel and prints each channel's
result. Nothing is recorded in the state table. A channel whose settings are unusable is reported as
disabled, with the setting at fault, and makes the command fail; the other channels are still tried.
To send it from the deployed app, with its identity and settings, call its opsTestAlert function
instead (README: "Test alert from the deployed app").

Settings: the channels (ACS_ENDPOINT or ACS_CONNECTION_STRING with ALERT_EMAIL_FROM and ALERT_EMAIL_TO;
TEAMS_WEBHOOK_URL; ALERT_OUTBOX_DIR), and AZURE_CLIENT_ID for ACS with the managed identity.`,
  options: {},
  async run(_args, io) {
    const channelsConfig = readChannelsConfig(io.env);
    const credential = io.credential ?? createAppCredential(readIdentityConfig(io.env).clientId);
    const result = await sendTestAlert(channelsConfig, credential, {
      tenantId: readTenantSetting(io.env) ?? "test",
      now: io.now?.() ?? new Date(),
      log: cliLogger(io),
      channelLog: io.out,
    });
    for (const channel of result.channels) io.out(describeTestResult(channel));
    return result.channels.every((channel) => channel.outcome === "delivered") ? EXIT.ok : EXIT.failure;
  },
};

import type { Alert } from "../../domain/alert";
import { createChannels } from "../../channels/createChannels";
import { groupKeyOf } from "../../channels/deliver";
import { readChannelsConfig, readIdentityConfig, readTenantSetting } from "../../config/config";
import { createAppCredential } from "../../identity/credentials";
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

Settings: the channels (ACS_ENDPOINT or ACS_CONNECTION_STRING with ALERT_EMAIL_FROM and ALERT_EMAIL_TO;
TEAMS_WEBHOOK_URL; ALERT_OUTBOX_DIR), and AZURE_CLIENT_ID for ACS with the managed identity.`,
  options: {},
  async run(_args, io) {
    const channelsConfig = readChannelsConfig(io.env);
    const credential = io.credential ?? createAppCredential(readIdentityConfig(io.env).clientId);
    const now = (io.now?.() ?? new Date()).toISOString();
    const sample = sampleAlert(readTenantSetting(io.env) ?? "test", now);
    // A channel whose settings are unusable is reported and counts as a failure; the others are still tried.
    for (const off of channelsConfig.disabled ?? []) io.out(`${off.name}: disabled: ${off.reason}. ${off.fix}`);
    let failures = channelsConfig.disabled?.length ?? 0;
    for (const channel of createChannels(channelsConfig, credential, cliLogger(io))) {
      const outcome = await channel.send([sample], { groupKey: groupKeyOf(channel.name, [sample]), log: io.out });
      if (outcome.kind !== "delivered") failures++;
      io.out(`${channel.name}: ${outcome.kind === "delivered" ? `delivered${outcome.messageId ? ` (${outcome.messageId})` : ""}` : `${outcome.kind}: ${outcome.error}`}`);
    }
    return failures === 0 ? EXIT.ok : EXIT.failure;
  },
};

function sampleAlert(tenantId: string, now: string): Alert {
  return {
    id: `test-${now.replace(/[-:.]/g, "")}`,
    tenantId,
    kind: "status",
    status: "failed",
    recordedAt: now,
    runId: `test-${now}`,
    session: {
      id: "00000000-0000-0000-0000-000000000000",
      workload: "sharePoint",
      status: "failed",
      restoreJobType: "bulk",
      createdBy: "restorewatch test-alert",
      createdDateTime: now,
      completedDateTime: now,
      artifactCount: { total: 3, completed: 1, inProgress: 0, failed: 2 },
    },
    detail: {
      available: true,
      omittedCount: 0,
      failedArtifacts: [
        {
          id: "sample-1",
          kind: "site",
          name: "HR Policies (sample)",
          siteId: "contoso.sharepoint.com,00000000-0000-0000-0000-000000000001,00000000-0000-0000-0000-000000000002",
          webUrl: "https://contoso.sharepoint.com/sites/hr-policies-sample",
          restoredTo: "HR Policies (sample, restored)",
          restoredToUrl: "https://contoso.sharepoint.com/sites/hr-policies-sample-restored",
          errorCode: "ArtifactCannotBeRestored",
          errorMessage: "This is a test alert from restorewatch.",
          destinationType: "new",
        },
        { id: "sample-2", kind: "site", webUrl: "https://contoso.sharepoint.com/sites/finance-sample", errorCode: "InvalidRestoreTime", errorMessage: "This is a test alert from restorewatch.", destinationType: "inPlace" },
      ],
      bulkIssues: [
        { id: "sample-request", displayName: "Sites to restore (sample)", status: "completedWithErrors", errorCode: "BulkRestoreInvalidCreateRequestSiteUrl", errorMessage: "This is a test alert from restorewatch.", requestedCount: 4 },
      ],
    },
  };
}

import type { TokenCredential } from "@azure/core-auth";
import type { AlertChannel } from "../channels/channel";
import { createChannels } from "../channels/createChannels";
import { groupKeyOf } from "../channels/deliver";
import type { ChannelsConfig } from "../config/config";
import type { Alert } from "../domain/alert";
import type { SendOutcome } from "../domain/delivery";
import { errorMessage } from "../domain/errors";
import type { Logger } from "../domain/logger";
import { boundText } from "../domain/textBounds";

/**
 * The test alert: a sample alert sent once through every configured channel, straight to the channel
 * (no outbox, no state, no rate budget: it is not an alert of a session), with each channel's result.
 * `restorewatch test-alert` (the operator's machine, local settings) and the `opsTestAlert` HTTP
 * function (the deployed app: its identity, its resolved Key Vault references) both send it from here.
 */

/** What one channel did with the test alert. Nothing in it is a secret: it is printed and answered over HTTP. */
export type TestAlertChannelResult =
  | { readonly channel: string; readonly outcome: "delivered"; readonly messageId?: string }
  /** retryable: the channel's error is transient (a real alert would be retried); false: it needs a fix. */
  | { readonly channel: string; readonly outcome: "failed"; readonly retryable: boolean; readonly error: string }
  /** Not tried: the channel's settings are unusable (the setting and what to do; never its value). */
  | { readonly channel: string; readonly outcome: "disabled"; readonly reason: string; readonly fix: string };

export interface TestAlertResult {
  /** The sample alert's id (in the email subject's thread and the card), to find what arrived. */
  readonly alertId: string;
  readonly channels: readonly TestAlertChannelResult[];
}

export interface TestAlertOptions {
  /** The tenant the sample names (GRAPH_TENANT_ID, or "test"). */
  readonly tenantId: string;
  readonly now: Date;
  readonly log: Logger;
  /** Receives each channel's own log lines (e.g. "teams: POST 2345 bytes to https://host/…: delivered"). */
  readonly channelLog?: (line: string) => void;
}

/** How much of a channel's error an answer carries. */
const MAX_ERROR_CHARS = 500;

/**
 * Sends the sample through every configured channel, all at once, and returns one result per channel
 * in the configured order. The one place each channel's result comes from: a channel that throws is a
 * failed result too, so the caller always gets an answer for every channel.
 */
export async function sendTestAlert(config: ChannelsConfig, credential: TokenCredential | undefined, options: TestAlertOptions): Promise<TestAlertResult> {
  return sendTestAlertThrough(createChannels(config, credential, options.log), config, options);
}

/** The same through channels already built (config: where the secrets to keep out of the results are). */
export async function sendTestAlertThrough(channels: readonly AlertChannel[], config: ChannelsConfig, options: TestAlertOptions): Promise<TestAlertResult> {
  const sample = sampleAlert(options.tenantId, options.now.toISOString());
  const results = await Promise.all(channels.map((channel) => sendToChannel(channel, sample, config, options)));
  const disabled = (config.disabled ?? []).map((off): TestAlertChannelResult => ({ channel: off.name, outcome: "disabled", reason: off.reason, fix: off.fix }));
  return { alertId: sample.id, channels: [...results, ...disabled] };
}

async function sendToChannel(channel: AlertChannel, sample: Alert, config: ChannelsConfig, options: TestAlertOptions): Promise<TestAlertChannelResult> {
  let outcome: SendOutcome;
  try {
    outcome = await channel.send([sample], { groupKey: groupKeyOf(channel.name, [sample]), log: options.channelLog ?? ((line) => options.log.info(line)) });
  } catch (error) {
    outcome = { kind: "retry", error: errorMessage(error) };
  }
  if (outcome.kind === "delivered") return { channel: channel.name, outcome: "delivered", ...(outcome.messageId !== undefined && { messageId: outcome.messageId }) };
  return { channel: channel.name, outcome: "failed", retryable: outcome.kind === "retry", error: boundText(withoutSecrets(outcome.error, config), MAX_ERROR_CHARS) };
}

/** One line per channel, as the CLI prints it and the function logs it (no secret: see sendToChannel). */
export function describeTestResult(result: TestAlertChannelResult): string {
  if (result.outcome === "delivered") return `${result.channel}: delivered${result.messageId ? ` (${result.messageId})` : ""}`;
  if (result.outcome === "disabled") return `${result.channel}: disabled: ${result.reason}. ${result.fix}`;
  return `${result.channel}: ${result.retryable ? "retry" : "deadLetter"}: ${result.error}`;
}

/**
 * The channels already keep their credentials out of their errors (Teams names the webhook's host
 * only); this is the second line of defence for an answer that leaves the app: the webhook URL, its
 * path and `sig`, and an ACS connection string or its key never appear, whatever a channel said.
 */
function withoutSecrets(text: string, config: ChannelsConfig): string {
  const secrets: string[] = [];
  const webhook = config.teams?.webhookUrl;
  if (webhook) {
    secrets.push(webhook.href, `${webhook.pathname}${webhook.search}`);
    const sig = webhook.searchParams.get("sig");
    if (sig) secrets.push(sig, encodeURIComponent(sig));
  }
  const connection = config.email?.connectionString;
  if (connection) {
    secrets.push(connection);
    const key = /(?:^|;)\s*accesskey=([^;]+)/i.exec(connection)?.[1]?.trim();
    if (key) secrets.push(key);
  }
  let out = text;
  for (const secret of secrets.filter((s) => s.length >= 8).sort((a, b) => b.length - a.length)) out = out.split(secret).join("<redacted>");
  return out;
}

/** A SharePoint bulk restore with two failed sites (one named, one known only by its URL) and a bulk request with errors. */
export function sampleAlert(tenantId: string, now: string): Alert {
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

import { RestError } from "@azure/core-rest-pipeline";
import { ConfigError, GraphRequestError, errorMessage } from "../domain/errors";
import { RestoreAccessDeniedError, restoreAccessFix } from "../graph/restoreAccessDenied";
import { TenantConsentError } from "../graph/tenantConsent";
import { escapeHtml } from "./renderEmail";
import { escapeCardMarkdown } from "./renderTeamsCard";
import { SUBJECT_PREFIX, formatUtc, singleLine, truncate } from "./summary";
import { parseReceiverKey } from "../domain/route";

/**
 * restorewatch's own health: "cannot see your restore sessions" after HEALTH_ALERT_AFTER failed runs
 * in a row, and "recovered" when a run succeeds again; "channelDisabled" when one alert channel's
 * settings are unusable (sent through the others), "channelRestored" when it works again. Sent
 * straight to the channels (the state table may be what is down), not through the outbox.
 */
export interface HealthNotice {
  readonly kind: "unhealthy" | "recovered" | "channelDisabled" | "channelRestored";
  readonly tenantId: string;
  /** The operator's label of a customer tenant (`restorewatch tenant add --name`); absent for the home tenant. */
  readonly tenantLabel?: string;
  /** The channel a channel notice is about ("email", "teams"), its setting at fault, and the alerts held for it. */
  readonly channel?: string;
  readonly setting?: string;
  readonly alertsHeld?: number;
  readonly consecutiveFailures: number;
  /** The last successful run, if any. */
  readonly lastSuccessAt?: string;
  /** When the notice was raised (the run's time). */
  readonly at: string;
  /** The last run's error, one line. */
  readonly cause: string;
  /** What the operator should do about it. */
  readonly fix: string;
}

/** A one-line cause and a fix for the error that failed a run. */
export function diagnose(error: unknown): { cause: string; fix: string } {
  const cause = truncate(singleLine(errorMessage(error)), 1000);
  if (error instanceof ConfigError) return { cause, fix: `Correct the app setting ${error.setting} and restart the function app.` };
  // A customer tenant's consent missing or withdrawn: the run's error names the tenant and the consent URL.
  if (error instanceof TenantConsentError) return { cause, fix: error.fix };
  // The restore APIs' 403 carries its own fix (naming the principal refused): the same words as the run's error.
  if (error instanceof RestoreAccessDeniedError) return { cause: truncate(singleLine(error.refusal), 1000), fix: error.fix };
  if (error instanceof GraphRequestError) {
    if (error.status === 403) return { cause, fix: restoreAccessFix(undefined) };
    if (error.status === 401) return { cause, fix: "Microsoft Graph refused the app's token: check that the managed identity still exists, is assigned to the function app, and that AZURE_CLIENT_ID names it (with GRAPH_CLIENT_ID: that the app registration and its service principal exist)." };
    if (error.code === "CredentialUnavailable") {
      return {
        cause,
        fix: "No token for Microsoft Graph could be obtained. Check that the managed identity named by AZURE_CLIENT_ID is assigned to the function app; with GRAPH_CLIENT_ID, that the app registration's federated credential names the identity's principal id as subject, its tenant's issuer and the audience api://AzureADTokenExchange (infra/README.md), and that the app is consented in GRAPH_TENANT_ID.",
      };
    }
    return { cause, fix: "Microsoft Graph could not be reached or kept failing. This is usually temporary; if it lasts, check the function app's outbound network (VNet, firewall, DNS) and the Microsoft 365 service health." };
  }
  if (error instanceof RestError || /table|storage/i.test(cause)) {
    return { cause, fix: "The state table could not be read or written: check that the storage account is reachable from the function app (with vnetEnabled, through its private endpoints) and that its identity has the Storage Table Data Contributor role on the state table (infra/main.bicep assigns it there) or on the account." };
  }
  return { cause, fix: "See the function's logs in Application Insights for the full error." };
}

/** A notice about a problem (with a cause and a fix), rather than a recovery. */
export function isProblem(notice: HealthNotice): boolean {
  return notice.kind === "unhealthy" || notice.kind === "channelDisabled";
}

const CHANNEL_LABELS: Readonly<Record<string, string>> = { email: "email", teams: "Teams", file: "the outbox folder" };
/** A route's receiver ("teams:route-exchange-team") reads "Teams of route exchange-team". */
const channelLabel = (notice: HealthNotice): string => {
  const { channel, route } = parseReceiverKey(notice.channel ?? "");
  const label = CHANNEL_LABELS[channel] ?? notice.channel ?? "a channel";
  return route === undefined ? label : `${label} of route ${route}`;
};

/** The tenant as a notice names it: "Contoso (<id>)" for a labelled customer tenant, else its id. */
export function tenantName(notice: Pick<HealthNotice, "tenantId" | "tenantLabel">): string {
  return notice.tenantLabel ? `${notice.tenantLabel} (${notice.tenantId})` : notice.tenantId;
}

export function healthSubject(notice: HealthNotice): string {
  // A customer tenant is named in the subject: with many tenants, "your" says nothing.
  const sessions = notice.tenantLabel ? `the restore sessions of ${singleLine(notice.tenantLabel)}` : "your restore sessions";
  switch (notice.kind) {
    case "unhealthy":
      return `${SUBJECT_PREFIX} restorewatch cannot see ${sessions} (${notice.consecutiveFailures} failed runs)`;
    case "recovered":
      return `${SUBJECT_PREFIX} restorewatch can see ${sessions} again`;
    case "channelDisabled":
      return `${SUBJECT_PREFIX} restorewatch cannot send alerts to ${channelLabel(notice)}: check ${notice.setting ?? "its settings"}`;
    case "channelRestored":
      return `${SUBJECT_PREFIX} restorewatch sends alerts to ${channelLabel(notice)} again`;
  }
}

function healthFacts(notice: HealthNotice): { label: string; value: string }[] {
  if (notice.kind === "channelDisabled" || notice.kind === "channelRestored") {
    return [
      { label: "Tenant", value: tenantName(notice) },
      { label: "Channel", value: notice.channel ?? "" },
      ...(notice.setting ? [{ label: "Setting", value: notice.setting }] : []),
      ...(notice.alertsHeld !== undefined ? [{ label: notice.kind === "channelDisabled" ? "Alerts held" : "Held alerts sent", value: String(notice.alertsHeld) }] : []),
      { label: notice.kind === "channelDisabled" ? "Raised" : "Restored", value: formatUtc(notice.at) },
    ];
  }
  return [
    { label: "Tenant", value: tenantName(notice) },
    { label: notice.kind === "unhealthy" ? "Failed runs in a row" : "Failed runs before recovery", value: String(notice.consecutiveFailures) },
    { label: "Last successful run", value: notice.lastSuccessAt ? formatUtc(notice.lastSuccessAt) : "never" },
    { label: notice.kind === "unhealthy" ? "Raised" : "Recovered", value: formatUtc(notice.at) },
  ];
}

function healthIntro(notice: HealthNotice): string {
  switch (notice.kind) {
    case "unhealthy":
      return "restorewatch cannot list your Microsoft 365 Backup restore sessions, so failed restores are not being reported. Alerts will catch up once it can see them again.";
    case "recovered":
      return "restorewatch is listing your restore sessions again. Failures that happened meanwhile are alerted as usual.";
    case "channelDisabled":
      return `restorewatch is watching your restore sessions and alerting on the other channels, but it cannot send alerts to ${channelLabel(notice)}: a setting of that channel is not usable. Its alerts are kept and go out once the setting is fixed.`;
    case "channelRestored":
      return `restorewatch can send alerts to ${channelLabel(notice)} again; the alerts held for it have gone out.`;
  }
}

/** Email for a health notice: every value (the cause may quote Graph or storage errors) escaped. */
export function renderHealthEmail(notice: HealthNotice): { subject: string; html: string; plainText: string } {
  const subject = healthSubject(notice);
  const colour = isProblem(notice) ? "#a4262c" : "#107c10";
  const rows = healthFacts(notice)
    .map((f) => `<tr><th style="padding:2px 12px 2px 0;text-align:left;font-weight:600">${escapeHtml(f.label)}</th><td>${escapeHtml(f.value)}</td></tr>`)
    .join("");
  const problem =
    isProblem(notice)
      ? `<h2 style="font-size:16px;margin:16px 0 4px 0">Cause</h2><p style="margin:0;word-break:break-word">${escapeHtml(notice.cause)}</p>` +
        `<h2 style="font-size:16px;margin:16px 0 4px 0">What to do</h2><p style="margin:0">${escapeHtml(notice.fix)}</p>`
      : "";
  const html =
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>` +
    `<body style="margin:0;padding:16px;font-family:Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;color:#323130">` +
    `<h1 style="margin:0 0 12px 0;font-size:20px;color:${colour}">${escapeHtml(subject.slice(SUBJECT_PREFIX.length + 1))}</h1>` +
    `<p style="margin:0 0 12px 0">${escapeHtml(healthIntro(notice))}</p>` +
    `<table role="presentation" style="border-collapse:collapse">${rows}</table>${problem}</body></html>`;
  const plainText =
    `${healthIntro(notice)}\n\n` +
    healthFacts(notice)
      .map((f) => `${f.label}: ${f.value}`)
      .join("\n") +
    (isProblem(notice) ? `\n\nCause: ${notice.cause}\n\nWhat to do: ${notice.fix}\n` : "\n");
  return { subject, html, plainText };
}

/** Workflows payload for a health notice: one Adaptive Card 1.4, values escaped for Teams' Markdown. */
export function renderHealthTeamsMessage(notice: HealthNotice): { body: object; bytes: number } {
  const text = (value: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ type: "TextBlock", text: escapeCardMarkdown(value), wrap: true, ...extra });
  const cardBody: Record<string, unknown>[] = [
    text(healthSubject(notice).slice(SUBJECT_PREFIX.length + 1), { weight: "Bolder", size: "Medium", color: isProblem(notice) ? "Attention" : "Good" }),
    text(healthIntro(notice)),
    { type: "FactSet", facts: healthFacts(notice).map((f) => ({ title: escapeCardMarkdown(f.label), value: escapeCardMarkdown(f.value) })) },
  ];
  if (isProblem(notice)) {
    cardBody.push(text("Cause", { weight: "Bolder", separator: true }), text(truncate(notice.cause, 600)), text("What to do", { weight: "Bolder" }), text(notice.fix));
  }
  const card = { $schema: "http://adaptivecards.io/schemas/adaptive-card.json", type: "AdaptiveCard", version: "1.4", msteams: { width: "Full" }, body: cardBody };
  const body = { type: "message", attachments: [{ contentType: "application/vnd.microsoft.card.adaptive", contentUrl: null, content: card }] };
  return { body, bytes: Buffer.byteLength(JSON.stringify(body), "utf8") };
}

/**
 * Hosts of Teams Workflows ("When a Teams webhook request is received") and legacy connector
 * webhooks. The host suffix is validated, not the path, since path variants exist.
 */
export const TEAMS_WEBHOOK_HOST_SUFFIXES: readonly string[] = [
  ".environment.api.powerplatform.com", // Workflows, current architecture
  ".logic.azure.com", // Workflows, legacy Logic Apps architecture
  ".webhook.office.com", // legacy Office 365 connector
];

/** Validates TEAMS_WEBHOOK_URL: https, no user info, a known host (or one of extraHosts). Throws with the reason. */
export function validateTeamsWebhookUrl(raw: string, extraHosts: readonly string[]): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error("is not a URL");
  }
  if (url.protocol !== "https:") throw new Error("must be an https:// URL");
  if (url.username !== "" || url.password !== "") throw new Error("must not contain user info");
  const host = url.hostname.toLowerCase();
  const allowed =
    TEAMS_WEBHOOK_HOST_SUFFIXES.some((suffix) => host.endsWith(suffix)) ||
    extraHosts.some((extra) => extra.toLowerCase() === host);
  if (!allowed) {
    throw new Error(`host '${host}' is not a Teams Workflows or connector host; add it to TEAMS_WEBHOOK_ALLOWED_HOSTS if it is a relay you trust`);
  }
  return url;
}

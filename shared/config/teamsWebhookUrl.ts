import { describeValue } from "../domain/errors";
/**
 * Hosts of Teams Workflows ("When a Teams webhook request is received") and legacy connector
 * webhooks. The host suffix is validated, not the path, since path variants exist.
 */
export const TEAMS_WEBHOOK_HOST_SUFFIXES: readonly string[] = [
  ".environment.api.powerplatform.com", // Workflows, current architecture
  ".logic.azure.com", // Workflows, legacy Logic Apps architecture
  ".webhook.office.com", // legacy Office 365 connector
];

/** Workflow triggers authenticate by the `sig` query parameter (a SAS signature); connectors by their path. */
const SIGNED_HOST_SUFFIXES: readonly string[] = [".environment.api.powerplatform.com", ".logic.azure.com"];

/**
 * Validates TEAMS_WEBHOOK_URL: https, no user info, a known host on the default port (or one of
 * extraHosts, given as `host` or `host:port`), and the `sig` parameter for a workflow trigger.
 * Throws with the reason; never quotes the URL, which holds a credential.
 */
export function validateTeamsWebhookUrl(raw: string, extraHosts: readonly string[]): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error("is not a URL");
  }
  if (url.protocol !== "https:") throw new Error("must be an https:// URL");
  if (url.username !== "" || url.password !== "") throw new Error("must not contain user info");
  const hostname = url.hostname.toLowerCase();
  const host = url.host.toLowerCase();
  const extra = extraHosts.some((entry) => {
    const allowed = entry.trim().toLowerCase();
    return allowed === hostname || allowed === host;
  });
  if (extra) return url;
  if (!TEAMS_WEBHOOK_HOST_SUFFIXES.some((suffix) => hostname.endsWith(suffix))) {
    throw new Error(`host ${describeValue(hostname)} is not a Teams Workflows or connector host; add it to TEAMS_WEBHOOK_ALLOWED_HOSTS if it is a relay you trust`);
  }
  // WHATWG URL drops an explicit :443 on https, so any port left is a non-default one.
  if (url.port !== "") throw new Error(`must use the default https port, not ${url.port}`);
  if (SIGNED_HOST_SUFFIXES.some((suffix) => hostname.endsWith(suffix)) && !url.searchParams.get("sig")) {
    throw new Error("is a workflow URL without its sig= parameter: copy the whole HTTP POST URL from the workflow's trigger");
  }
  return url;
}

/** What a log may show of a webhook URL: scheme and host, never the path or the `sig` credential. */
export function redactWebhookUrl(url: URL): string {
  return `${url.protocol}//${url.host}/…`;
}

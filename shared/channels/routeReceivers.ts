import type { DisabledChannel, RouteReceiverSettings } from "../config/config";
import { validateTeamsWebhookUrl } from "../config/teamsWebhookUrl";
import { errorMessage } from "../domain/errors";
import { parseReceiverKey, receiverKeys, type Route } from "../domain/route";
import { SecretUnavailableError, type SecretReader } from "../identity/keyVaultSecrets";
import type { DependencySink } from "../telemetry/recorder";
import type { AlertChannel } from "./channel";
import { EmailChannel } from "./emailChannel";
import { TeamsChannel } from "./teamsChannel";

/** What a route's receivers are made from: the default route's email channel, the settings, the vault. */
export interface ReceiverParts {
  readonly routes: readonly Route[];
  /** The configured channels (the default route); a route's email receiver sends like their email channel. */
  readonly channels: readonly AlertChannel[];
  /** Configured channels disabled by their settings: a route's receiver of that kind is disabled alike. */
  readonly disabled: readonly DisabledChannel[];
  readonly settings?: RouteReceiverSettings;
  /** Reads route Teams webhooks (KEY_VAULT_URI with the app's identity); absent: KEY_VAULT_URI is not set. */
  readonly secrets?: SecretReader;
  readonly dependencies?: DependencySink;
  readonly teamsTimeoutInMs?: number;
}

export interface Receivers {
  readonly channels: AlertChannel[];
  /** Receivers that cannot be used this run (their alerts are held), each naming the setting or secret at fault. */
  readonly disabled: DisabledChannel[];
}

const HELD = "Alerts for this receiver are held and go out once it works.";

/**
 * The receivers with these keys (`email:route-<name>`, `teams:route-<name>`), built for one run: each
 * Teams webhook is read from Key Vault once. A receiver that cannot be built is disabled on its own,
 * like a channel with broken settings; a key whose route was removed is disabled too (its alerts wait).
 */
export async function buildReceivers(keys: ReadonlySet<string>, parts: ReceiverParts): Promise<Receivers> {
  const channels: AlertChannel[] = [];
  const disabled: DisabledChannel[] = [];
  for (const key of [...keys].sort()) {
    const route = parts.routes.find((r) => Object.values(receiverKeys(r)).includes(key));
    if (!route) {
      const routeName = parseReceiverKey(key).route ?? key;
      disabled.push({ name: key, setting: `route ${routeName}`, reason: `route ${routeName} no longer exists (or is not a valid route); alerts recorded for it have no receiver`, fix: `Add the route again (restorewatch route add --name ${routeName} ...) and its alerts go out; restorewatch status lists them. ${HELD}` });
      continue;
    }
    const built = key.startsWith("email:") ? emailReceiver(key, route, parts) : await teamsReceiver(key, route, parts);
    if ("reason" in built) disabled.push(built);
    else channels.push(built);
  }
  return { channels, disabled };
}

function emailReceiver(key: string, route: Route, parts: ReceiverParts): AlertChannel | DisabledChannel {
  const email = parts.channels.find((c): c is EmailChannel => c instanceof EmailChannel);
  const to = route.receivers.emailTo ?? [];
  if (email) return email.withRecipients(key, to);
  const off = parts.disabled.find((d) => d.name === "email");
  if (off) return { ...off, name: key };
  return { name: key, setting: "ACS_ENDPOINT", reason: "ACS_ENDPOINT is not set: email is not configured, so a route's email recipients cannot be sent to", fix: `Set ACS_ENDPOINT and ALERT_EMAIL_FROM (and ALERT_EMAIL_TO for the default route). ${HELD}` };
}

async function teamsReceiver(key: string, route: Route, parts: ReceiverParts): Promise<AlertChannel | DisabledChannel> {
  const secret = route.receivers.teamsSecret ?? "";
  const setting = `Key Vault secret ${secret}`;
  const settings = parts.settings;
  if (settings?.keyVaultProblem !== undefined) return { name: key, setting: "KEY_VAULT_URI", reason: settings.keyVaultProblem, fix: `Correct the app setting KEY_VAULT_URI. ${HELD}` };
  if (!parts.secrets) return { name: key, setting: "KEY_VAULT_URI", reason: `KEY_VAULT_URI is not set, so the Teams webhook of route ${route.name} (secret ${secret}) cannot be read`, fix: `Set KEY_VAULT_URI to the vault that holds the secret. ${HELD}` };
  if (!settings?.teamsRateLimit) return { name: key, setting: "TEAMS_RATE_LIMIT", reason: "TEAMS_RATE_LIMIT is not a valid rate limit", fix: `Correct the app setting TEAMS_RATE_LIMIT. ${HELD}` };
  let value: string;
  try {
    value = await parts.secrets.read(secret);
  } catch (error) {
    const reason = error instanceof SecretUnavailableError ? error.message : `Key Vault secret '${secret}' could not be read: ${errorMessage(error)}`;
    return { name: key, setting, reason, fix: `Create the secret ${secret} in the vault (KEY_VAULT_URI) with the workflow's HTTP POST URL, and check that the app's identity has the Key Vault Secrets User role. ${HELD}` };
  }
  try {
    const webhookUrl = validateTeamsWebhookUrl(value.trim(), settings.teamsAllowedHosts);
    return new TeamsChannel({ webhookUrl, rateLimit: settings.teamsRateLimit }, { name: key, ...(parts.dependencies && { dependencies: parts.dependencies }), ...(parts.teamsTimeoutInMs !== undefined && { timeoutInMs: parts.teamsTimeoutInMs }) });
  } catch (error) {
    // The message never quotes the URL (it holds the sig credential).
    return { name: key, setting, reason: `the Teams webhook URL in Key Vault secret '${secret}' ${errorMessage(error)}`, fix: `Put the workflow's whole HTTP POST URL in the secret ${secret}. ${HELD}` };
  }
}

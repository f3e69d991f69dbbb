/**
 * Every app setting restorewatch reads, in one place. The README's settings table,
 * local.settings.json.example and infra/ (app settings) are checked against this list by tests.
 */
export interface SettingDoc {
  readonly name: string;
  readonly meaning: string;
  /**
   * Default as the operator would write it; undefined when the setting is optional with no default.
   * loadConfig applies it (this registry is the only place defaults are stated), unless
   * `derivedDefault` says the code derives the default from other settings.
   */
  readonly defaultValue?: string;
  /** The default shown is a description (e.g. "by domain"): the code computes the value. */
  readonly derivedDefault?: boolean;
  readonly example: string;
  /** Secret values are never logged; infra must pass them as Key Vault references. */
  readonly secret?: boolean;
  /** Set by the platform (Functions host, infra), not by the operator. */
  readonly platform?: boolean;
  /** Read from the process environment only, never from local.settings.json (so not in the example file). */
  readonly processOnly?: boolean;
}

export const DEFAULT_POLL_SCHEDULE = "0 */5 * * * *";

export const SETTINGS: readonly SettingDoc[] = [
  // --- Polling and Graph
  { name: "POLL_SCHEDULE", meaning: "NCRONTAB schedule (six fields, with seconds) of the timer function.", defaultValue: DEFAULT_POLL_SCHEDULE, example: "0 */2 * * * *" },
  { name: "GRAPH_ENDPOINT", meaning: "Microsoft Graph base URL (https). Only change it for an emulator or a relay.", defaultValue: "https://graph.microsoft.com", example: "https://127.0.0.1:8443" },
  { name: "GRAPH_TENANT_ID", meaning: "Tenant id used as the state partition; with GRAPH_CLIENT_ID also the tenant the app registration signs in to, and then required. Default: the `tid` claim of the Graph token.", example: "72f988bf-86f1-41af-91ab-2d7cd011db47" },
  { name: "GRAPH_MAX_RETRIES", meaning: "Retries of one Graph request on 429/503/504 or a network error (Retry-After honoured).", defaultValue: "4", example: "6" },
  { name: "GRAPH_TIMEOUT_SECONDS", meaning: "Timeout of one Graph request attempt.", defaultValue: "30", example: "60" },
  { name: "AZURE_CLIENT_ID", meaning: "Client id of the user-assigned managed identity. Set: ManagedIdentityCredential with it; unset: DefaultAzureCredential.", example: "00000000-0000-0000-0000-000000000000", platform: true },
  { name: "GRAPH_CLIENT_ID", meaning: "Application (client) id of an app registration whose federated identity credential trusts the user-assigned managed identity. Set: restorewatch signs in to Graph as that app, with the identity's token as its credential (no secret; needs GRAPH_TENANT_ID and AZURE_CLIENT_ID; storage, ACS and Key Vault still use the identity); unset: as the managed identity. See infra/README.md.", example: "3f2a9c1e-8b7d-4e6f-a5c4-1d2e3f4a5b6c" },
  { name: "AZURE_AUTHORITY_HOST", meaning: "Microsoft Entra authority (https) the app registration signs in to, also read by @azure/identity. A national cloud's host (`https://login.microsoftonline.us`, `https://login.chinacloudapi.cn`) also selects that cloud's token-exchange audience; any other host is taken for an emulator (no instance discovery).", defaultValue: "https://login.microsoftonline.com", example: "https://login.microsoftonline.us", platform: true },
  // --- State
  { name: "AzureWebJobsStorage", meaning: "Functions host storage; also holds the state table unless STATE_STORAGE is set. A connection string, or the identity-based `AzureWebJobsStorage__tableServiceUri` (+ `__credential`, `__clientId`).", example: "UseDevelopmentStorage=true", platform: true, secret: true },
  { name: "STATE_STORAGE", meaning: "Optional separate connection for the state table, same forms as AzureWebJobsStorage (`STATE_STORAGE__tableServiceUri`, ...).", example: "STATE_STORAGE__tableServiceUri=https://acct.table.core.windows.net", secret: true },
  { name: "STATE_TABLE", meaning: "Name of the state table (created if missing, where the identity may create tables; infra/ creates it and grants access to it alone).", defaultValue: "restorewatch", example: "restorewatchprod" },
  { name: "STATE_RETENTION_DAYS", meaning: "Days after completion that a terminal session's state and delivered alerts are kept. Longer than Graph's one-year purge, so a session is forgotten because Graph dropped it first.", defaultValue: "400", example: "500" },
  // --- What to alert on
  { name: "ALERT_ON_STATUSES", meaning: "Comma-separated restore session statuses that raise an alert.", defaultValue: "failed,completedWithError", example: "failed" },
  { name: "ALERT_BASELINE_SINCE", meaning: "ISO time. On the first run (empty state) alert on sessions that completed after it; by default the first run only records a baseline.", example: "2026-11-01T00:00:00Z" },
  { name: "ALERT_STUCK_AFTER", meaning: "Duration (`30m`, `24h`, `2d`, or `off`) after which a session still `activating` or `active` is alerted once as stuck.", defaultValue: "24h", example: "12h" },
  { name: "ALERT_REPEAT_AFTER", meaning: "Duration after which an unacknowledged failure is re-sent as a reminder, or `off`.", defaultValue: "off", example: "24h" },
  // --- Channels
  { name: "ACS_ENDPOINT", meaning: "Azure Communication Services endpoint, used with the managed identity.", example: "https://restorewatch-acs.europe.communication.azure.com" },
  { name: "ACS_CONNECTION_STRING", meaning: "ACS connection string (local or legacy use; prefer ACS_ENDPOINT).", example: "endpoint=https://...;accesskey=...", secret: true },
  { name: "ALERT_EMAIL_FROM", meaning: "Sender address on a domain linked to the ACS resource.", example: "DoNotReply@xxxxxxxx.azurecomm.net" },
  { name: "ALERT_EMAIL_TO", meaning: "Comma-separated recipients (more than 50 are split across messages).", example: "backup-admins@contoso.com" },
  { name: "ALERT_EMAIL_RATE_LIMIT", meaning: "Emails allowed per window across runs (`count/duration`, comma-separated, or `off`). Default by the sender's domain: ACS allows an Azure-managed domain (`*.azurecomm.net`) 5/1m,10/1h and a custom domain 30/1m,100/1h per subscription. Alerts over the limit wait for the next run.", defaultValue: "by domain", derivedDefault: true, example: "5/1m,10/1h" },
  { name: "TEAMS_WEBHOOK_URL", meaning: "Teams Workflows webhook URL. A secret: in Azure a Key Vault reference; logs show its host only.", example: "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/teams-webhook-url/)", secret: true },
  { name: "TEAMS_WEBHOOK_ALLOWED_HOSTS", meaning: "Extra comma-separated hosts accepted for TEAMS_WEBHOOK_URL (self-hosted relays, tests).", example: "relay.contoso.com" },
  { name: "TEAMS_RATE_LIMIT", meaning: "Teams posts allowed per window across runs (`count/duration`, comma-separated, or `off`). Workflows publish no limit; the default is the documented connector limit.", defaultValue: "4/1s,60/30s,100/1h,1800/1d", example: "30/1h" },
  { name: "KEY_VAULT_URI", meaning: "Key Vault (https://<name>.vault.azure.net) holding the Teams webhook URLs of routes (`restorewatch route add --teams-secret <name>`), read with the app's identity (Key Vault Secrets User). Unset: routes can only email.", example: "https://kv-restorewatch.vault.azure.net" },
  { name: "ALERT_OUTBOX_DIR", meaning: "Local/dev channel: write each alert as JSON and text into this folder.", example: ".local/outbox" },
  { name: "DELIVERY_MAX_ATTEMPTS", meaning: "Attempts per alert and channel before it is dead-lettered.", defaultValue: "10", example: "20" },
  { name: "RESTOREWATCH_EMULATOR_ORIGINS", meaning: "Local development and tests only. Comma-separated https origins on this machine (127.0.0.1, localhost, [::1]) of emulators that may receive tokens; everywhere else a token goes only to Microsoft Graph of a national cloud and to Microsoft Entra ID. Read from the process environment, never from local.settings.json. Unset in Azure.", example: "https://127.0.0.1:8443", processOnly: true },
  { name: "HEALTH_ALERT_AFTER", meaning: "Consecutive failed runs after which restorewatch alerts that it cannot see your restore sessions.", defaultValue: "3", example: "5" },
];

export const SETTING_NAMES: ReadonlySet<string> = new Set(SETTINGS.map((s) => s.name));

const DEFAULTS: ReadonlyMap<string, string> = new Map(
  SETTINGS.filter((s) => s.defaultValue !== undefined && !s.derivedDefault).map((s) => [s.name, s.defaultValue as string]),
);

/** The registry's default of a setting, for loadConfig; undefined when it has none (or derives it). */
export function settingDefault(name: string): string | undefined {
  return DEFAULTS.get(name);
}

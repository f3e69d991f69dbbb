import { ConfigError, describeValue } from "../domain/errors";
import { RESTORE_SESSION_STATUSES, type RestoreSessionStatus } from "../domain/restoreSession";
import { validateTeamsWebhookUrl } from "./teamsWebhookUrl";
import { defaultEmailRateLimit, parseRateLimit, type RateLimit } from "./rateLimit";
import { readIdentityConfig as readIdentitySection, type IdentityConfig } from "./identityConfig";
import { settingDefault } from "./settings";
import { disabledChannel, failIfUnresolvedReference, type DisabledChannel } from "./channelProblems";

export type { IdentityConfig } from "./identityConfig";
export type { DisabledChannel } from "./channelProblems";

export type Env = Readonly<Record<string, string | undefined>>;

/** Where the state table lives: a connection string, or a service URI used with an Entra credential. */
export type StorageConnection =
  | { readonly kind: "connectionString"; readonly settingName: string; readonly connectionString: string }
  | { readonly kind: "identity"; readonly settingName: string; readonly tableServiceUri: string; readonly clientId?: string };

export interface EmailChannelConfig {
  readonly endpoint?: string;
  readonly connectionString?: string;
  readonly from: string;
  readonly to: readonly string[];
  /** ALERT_EMAIL_RATE_LIMIT; default by the sender's domain (Azure-managed: 5/min, 10/h). */
  readonly rateLimit?: RateLimit;
}

export interface TeamsChannelConfig {
  readonly webhookUrl: URL;
  /** TEAMS_RATE_LIMIT; default the documented connector limits. */
  readonly rateLimit?: RateLimit;
}

export interface GraphConfig {
  readonly endpoint: string;
  readonly tenantId?: string;
  readonly maxRetries: number;
  readonly timeoutInMs: number;
}

export interface StateConfig {
  readonly connection: StorageConnection;
  readonly tableName: string;
  readonly retentionInMs: number;
}

export interface AlertingConfig {
  readonly onStatuses: ReadonlySet<RestoreSessionStatus>;
  readonly baselineSince?: Date;
  readonly stuckAfterInMs?: number;
  readonly repeatAfterInMs?: number;
}

export interface ChannelsConfig {
  readonly email?: EmailChannelConfig;
  readonly teams?: TeamsChannelConfig;
  readonly outboxDir?: string;
  readonly maxAttempts: number;
  /**
   * Channels that are configured but whose settings cannot be used (an unresolved Key Vault reference,
   * a malformed URL, an invalid address): left out of the run, their alerts held in the outbox.
   */
  readonly disabled?: readonly DisabledChannel[];
  /** What routes' receivers (issue 16) take from the settings; only used when routes are stored. */
  readonly routeReceivers?: RouteReceiverSettings;
}

/** A route's Teams webhook URL is read from KEY_VAULT_URI and checked like TEAMS_WEBHOOK_URL. */
export interface RouteReceiverSettings {
  readonly keyVaultUri?: string;
  /** Why KEY_VAULT_URI cannot be used (route Teams receivers are then disabled, naming it). */
  readonly keyVaultProblem?: string;
  readonly teamsAllowedHosts: readonly string[];
  /** TEAMS_RATE_LIMIT, per webhook; undefined when the setting is invalid (route Teams receivers are then disabled). */
  readonly teamsRateLimit?: RateLimit;
}

export interface Config {
  readonly pollSchedule: string;
  readonly graph: GraphConfig;
  /** Which identity signs in to Graph (the managed identity, or an app registration trusting it). */
  readonly identity: IdentityConfig;
  readonly state: StateConfig;
  readonly alerting: AlertingConfig;
  readonly channels: ChannelsConfig;
  readonly health: { readonly alertAfterRuns: number };
}

export interface LoadConfigOptions {
  /** The CLI's dry run and commands that never deliver may run without any channel. */
  readonly requireChannel?: boolean;
}

const DAY_IN_MS = 24 * 60 * 60 * 1000;

/**
 * Reads and validates every setting once. Throws ConfigError naming the setting and what is wrong.
 * Each section has its own reader, so that a command needs only the settings it uses (the CLI's
 * `status` reads the state section; `grant-graph-permission` only the Graph one).
 */
export function loadConfig(env: Env, options: LoadConfigOptions = {}): Config {
  return {
    pollSchedule: settingReader(env).required("POLL_SCHEDULE"),
    graph: readGraphConfig(env),
    identity: readIdentityConfig(env),
    state: readStateConfig(env),
    alerting: readAlertingConfig(env),
    channels: readChannelsConfig(env, options),
    health: { alertAfterRuns: settingReader(env).integer("HEALTH_ALERT_AFTER", 1, 1000) },
  };
}

/** A setting's value (trimmed; empty counts as unset), or the registry's default. */
interface SettingReader {
  (name: string): string | undefined;
  /** A setting the registry gives a default, so it always has a value. */
  required(name: string): string;
  integer(name: string, min: number, max: number): number;
}

function settingReader(env: Env): SettingReader {
  const raw = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === "" ? undefined : value;
  };
  const read = ((name: string) => raw(name) ?? settingDefault(name)) as SettingReader;
  read.required = (name) => {
    const value = read(name);
    if (value === undefined) throw new ConfigError(name, "is required");
    return value;
  };
  read.integer = (name, min, max) => {
    const value = read.required(name);
    if (!/^\d+$/.test(value)) throw new ConfigError(name, `${describeValue(value)} is not a whole number`);
    const number = Number(value);
    if (number < min || number > max) throw new ConfigError(name, `must be between ${min} and ${max}`);
    return number;
  };
  return read;
}

export function readGraphConfig(env: Env): GraphConfig {
  const read = settingReader(env);
  const endpoint = parseHttpsUrl("GRAPH_ENDPOINT", read.required("GRAPH_ENDPOINT"));
  const tenantId = readTenantSetting(env);
  return {
    endpoint: endpoint.origin + endpoint.pathname.replace(/\/+$/, ""),
    ...(tenantId !== undefined && { tenantId }),
    maxRetries: read.integer("GRAPH_MAX_RETRIES", 0, 20),
    timeoutInMs: read.integer("GRAPH_TIMEOUT_SECONDS", 1, 600) * 1000,
  };
}

/** GRAPH_TENANT_ID, the tenant's state partition when set (else the tid claim of the Graph token). */
export function readTenantSetting(env: Env): string | undefined {
  const tenantId = settingReader(env)("GRAPH_TENANT_ID");
  if (tenantId !== undefined && !/^[A-Za-z0-9._-]{1,128}$/.test(tenantId)) {
    throw new ConfigError("GRAPH_TENANT_ID", "must be a tenant id (letters, digits, '.', '_' or '-')");
  }
  return tenantId;
}

/** AZURE_CLIENT_ID, GRAPH_CLIENT_ID (with GRAPH_TENANT_ID) and AZURE_AUTHORITY_HOST: which identity signs in to Graph. */
export function readIdentityConfig(env: Env): IdentityConfig {
  return readIdentitySection(settingReader(env));
}

export function readStateConfig(env: Env): StateConfig {
  const read = settingReader(env);
  return {
    connection: readStorageConnection(env, read),
    tableName: parseTableName(read.required("STATE_TABLE")),
    retentionInMs: read.integer("STATE_RETENTION_DAYS", 1, 3650) * DAY_IN_MS,
  };
}

export function readAlertingConfig(env: Env): AlertingConfig {
  const read = settingReader(env);
  const baselineSince = read("ALERT_BASELINE_SINCE");
  return {
    onStatuses: parseStatuses(read.required("ALERT_ON_STATUSES")),
    ...(baselineSince !== undefined && { baselineSince: parseIsoTime("ALERT_BASELINE_SINCE", baselineSince) }),
    ...optionalProp("stuckAfterInMs", parseDuration("ALERT_STUCK_AFTER", read.required("ALERT_STUCK_AFTER"))),
    ...optionalProp("repeatAfterInMs", parseDuration("ALERT_REPEAT_AFTER", read.required("ALERT_REPEAT_AFTER"))),
  };
}

/**
 * The alert channels. A channel whose own settings are unusable does not fail the whole configuration:
 * it is listed in `disabled` with the setting and the reason, and the other channels carry on. Only
 * settings shared by every channel (DELIVERY_MAX_ATTEMPTS), or no channel configured at all, throw.
 */
export function readChannelsConfig(env: Env, options: LoadConfigOptions = {}): ChannelsConfig {
  const read = settingReader(env);
  const disabled: DisabledChannel[] = [];
  const email = usableOrDisabled("email", () => readEmailChannel(read), disabled);
  const teams = usableOrDisabled("teams", () => readTeamsChannel(read), disabled);
  const outboxDir = read("ALERT_OUTBOX_DIR");
  if ((options.requireChannel ?? true) && !email && !teams && !outboxDir && disabled.length === 0) {
    throw new ConfigError(
      "ALERT_EMAIL_TO",
      "no alert channel is configured: set ACS_ENDPOINT (or ACS_CONNECTION_STRING) with ALERT_EMAIL_FROM and ALERT_EMAIL_TO, and/or TEAMS_WEBHOOK_URL",
    );
  }
  return {
    ...(email && { email }),
    ...(teams && { teams }),
    ...(outboxDir !== undefined && { outboxDir }),
    maxAttempts: read.integer("DELIVERY_MAX_ATTEMPTS", 1, 1000),
    ...(disabled.length > 0 && { disabled }),
    routeReceivers: readRouteReceiverSettings(read),
  };
}

function readRouteReceiverSettings(read: SettingReader): RouteReceiverSettings {
  const keyVaultUri = read("KEY_VAULT_URI");
  let keyVault: Pick<RouteReceiverSettings, "keyVaultUri" | "keyVaultProblem"> = {};
  if (keyVaultUri !== undefined) {
    try {
      const url = parseHttpsUrl("KEY_VAULT_URI", keyVaultUri);
      keyVault = { keyVaultUri: url.origin };
    } catch (error) {
      keyVault = { keyVaultProblem: error instanceof Error ? error.message : String(error) };
    }
  }
  let teamsRateLimit: RateLimit | undefined;
  try {
    teamsRateLimit = parseRateLimit(read.required("TEAMS_RATE_LIMIT"));
  } catch {
    teamsRateLimit = undefined;
  }
  return { ...keyVault, teamsAllowedHosts: splitList(read("TEAMS_WEBHOOK_ALLOWED_HOSTS")), ...(teamsRateLimit && { teamsRateLimit }) };
}

/** A channel's settings read: the channel, undefined when not configured, or (a ConfigError) noted as disabled. */
function usableOrDisabled<T>(name: string, readChannel: () => T | undefined, disabled: DisabledChannel[]): T | undefined {
  try {
    return readChannel();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    disabled.push(disabledChannel(name, error));
    return undefined;
  }
}

const TEAMS_SETTINGS = ["TEAMS_WEBHOOK_URL", "TEAMS_WEBHOOK_ALLOWED_HOSTS", "TEAMS_RATE_LIMIT"] as const;

function readTeamsChannel(read: SettingReader): TeamsChannelConfig | undefined {
  const teamsUrl = read("TEAMS_WEBHOOK_URL");
  if (teamsUrl === undefined) return undefined;
  failIfUnresolvedReference(read, TEAMS_SETTINGS);
  const extraHosts = splitList(read("TEAMS_WEBHOOK_ALLOWED_HOSTS"));
  return {
    webhookUrl: wrap("TEAMS_WEBHOOK_URL", () => validateTeamsWebhookUrl(teamsUrl, extraHosts)),
    rateLimit: wrap("TEAMS_RATE_LIMIT", () => parseRateLimit(read.required("TEAMS_RATE_LIMIT"))),
  };
}

function optionalProp<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function wrap<T>(setting: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(setting, error instanceof Error ? error.message : String(error));
  }
}

const EMAIL_SETTINGS = ["ACS_ENDPOINT", "ACS_CONNECTION_STRING", "ALERT_EMAIL_FROM", "ALERT_EMAIL_TO", "ALERT_EMAIL_RATE_LIMIT"] as const;

function readEmailChannel(read: SettingReader): EmailChannelConfig | undefined {
  const endpoint = read("ACS_ENDPOINT");
  const connectionString = read("ACS_CONNECTION_STRING");
  const from = read("ALERT_EMAIL_FROM");
  const to = splitList(read("ALERT_EMAIL_TO"));
  if (endpoint === undefined && connectionString === undefined && from === undefined && to.length === 0) return undefined;
  failIfUnresolvedReference(read, EMAIL_SETTINGS);
  if (endpoint === undefined && connectionString === undefined) {
    throw new ConfigError("ACS_ENDPOINT", "email is half configured: set ACS_ENDPOINT (managed identity) or ACS_CONNECTION_STRING");
  }
  if (endpoint !== undefined) parseHttpsUrl("ACS_ENDPOINT", endpoint);
  if (connectionString !== undefined && !/endpoint=https:\/\/[^;]+;accesskey=.+/i.test(connectionString)) {
    throw new ConfigError("ACS_CONNECTION_STRING", "must look like 'endpoint=https://<resource>.communication.azure.com/;accesskey=<key>'");
  }
  if (from === undefined) throw new ConfigError("ALERT_EMAIL_FROM", "is required when email is configured");
  if (!isEmailAddress(from)) throw new ConfigError("ALERT_EMAIL_FROM", "is not an email address");
  if (to.length === 0) throw new ConfigError("ALERT_EMAIL_TO", "is required when email is configured");
  const bad = to.findIndex((address) => !isEmailAddress(address));
  if (bad >= 0) throw new ConfigError("ALERT_EMAIL_TO", `item ${bad + 1} of ${to.length} is not an email address`);
  const rateLimit = read("ALERT_EMAIL_RATE_LIMIT");
  return {
    ...(endpoint !== undefined && { endpoint }),
    ...(connectionString !== undefined && { connectionString }),
    from,
    to,
    rateLimit: rateLimit === undefined ? defaultEmailRateLimit(from) : wrap("ALERT_EMAIL_RATE_LIMIT", () => parseRateLimit(rateLimit)),
  };
}

function isEmailAddress(value: string): boolean {
  return /^[^\s@<>",;]+@[^\s@<>",;]+\.[^\s@<>",;]+$/.test(value);
}

/**
 * Functions convention: a connection named N is either the setting N (a connection string) or the
 * settings N__tableServiceUri (+ N__credential, N__clientId) for an identity-based connection.
 */
function readStorageConnection(env: Env, read: SettingReader): StorageConnection {
  const name = read("STATE_STORAGE") !== undefined || read("STATE_STORAGE__tableServiceUri") !== undefined ? "STATE_STORAGE" : "AzureWebJobsStorage";
  const connectionString = read(name);
  if (connectionString !== undefined) {
    if (connectionString !== "UseDevelopmentStorage=true" && !/(^|;)\s*(AccountName|TableEndpoint)\s*=/i.test(connectionString)) {
      throw new ConfigError(name, "is not a storage connection string (expected 'UseDevelopmentStorage=true' or '...;AccountName=...;AccountKey=...' / 'TableEndpoint=...')");
    }
    return { kind: "connectionString", settingName: name, connectionString };
  }
  const tableServiceUri = read(`${name}__tableServiceUri`) ?? deriveTableUri(read(`${name}__accountName`));
  if (tableServiceUri === undefined) {
    throw new ConfigError(name, `no state storage: set ${name} to a connection string, or ${name}__tableServiceUri for an identity-based connection`);
  }
  const uri = parseUrl(`${name}__tableServiceUri`, tableServiceUri);
  if (uri.protocol !== "https:" && uri.protocol !== "http:") throw new ConfigError(`${name}__tableServiceUri`, "must be an http(s) URL");
  const credential = read(`${name}__credential`);
  if (credential !== undefined && credential.toLowerCase() !== "managedidentity") {
    throw new ConfigError(`${name}__credential`, "only 'managedidentity' is supported");
  }
  const clientId = read(`${name}__clientId`) ?? (credential !== undefined ? env["AZURE_CLIENT_ID"] : undefined);
  return { kind: "identity", settingName: name, tableServiceUri: uri.toString().replace(/\/+$/, ""), ...optionalProp("clientId", clientId) };
}

function deriveTableUri(accountName: string | undefined): string | undefined {
  return accountName === undefined ? undefined : `https://${accountName}.table.core.windows.net`;
}

function parseUrl(setting: string, raw: string): URL {
  try {
    return new URL(raw);
  } catch {
    throw new ConfigError(setting, "is not a URL");
  }
}

function parseHttpsUrl(setting: string, raw: string): URL {
  const url = parseUrl(setting, raw);
  if (url.protocol !== "https:") throw new ConfigError(setting, "must be an https:// URL");
  if (url.username !== "" || url.password !== "") throw new ConfigError(setting, "must not contain user info");
  return url;
}

function parseTableName(raw: string): string {
  // Azure Table names: 3-63 alphanumerics, starting with a letter.
  if (!/^[A-Za-z][A-Za-z0-9]{2,62}$/.test(raw)) {
    throw new ConfigError("STATE_TABLE", `${describeValue(raw)} is not a valid table name (3-63 letters or digits, starting with a letter)`);
  }
  return raw;
}

function parseStatuses(raw: string): ReadonlySet<RestoreSessionStatus> {
  const known = new Set<string>(RESTORE_SESSION_STATUSES);
  const statuses = splitList(raw);
  if (statuses.length === 0) throw new ConfigError("ALERT_ON_STATUSES", "must list at least one status");
  const unknown = statuses.find((s) => !known.has(s));
  if (unknown !== undefined) {
    throw new ConfigError("ALERT_ON_STATUSES", `${describeValue(unknown)} is not a restore session status (one of ${RESTORE_SESSION_STATUSES.join(", ")})`);
  }
  return new Set(statuses as RestoreSessionStatus[]);
}

function parseIsoTime(setting: string, raw: string): Date {
  const time = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(raw) ? new Date(raw) : new Date(NaN);
  if (Number.isNaN(time.getTime())) throw new ConfigError(setting, `${describeValue(raw)} is not an ISO 8601 time such as 2026-11-01T00:00:00Z`);
  return time;
}

const DURATION_UNITS_IN_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30m`, `24h`, `2d`, `90s`; `off` (or `0`) disables. */
export function parseDuration(setting: string, raw: string): number | undefined {
  if (raw === "off" || raw === "0") return undefined;
  const match = /^(\d+)\s*([smhd])$/.exec(raw);
  const unit = match?.[2];
  if (!match || unit === undefined) throw new ConfigError(setting, `${describeValue(raw)} is not a duration such as 30m, 24h or 2d (or 'off')`);
  return Number(match[1]) * (DURATION_UNITS_IN_MS[unit] as number);
}

function splitList(raw: string | undefined): string[] {
  return (raw ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

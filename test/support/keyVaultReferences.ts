/**
 * App Service's Key Vault references, as the platform resolves them before the app starts: an app
 * setting whose whole value is
 *
 *   @Microsoft.KeyVault(SecretUri=https://<vault>.vault.azure.net/secrets/<name>[/<version>][/])
 *   @Microsoft.KeyVault(VaultName=<vault>;SecretName=<name>[;SecretVersion=<version>])
 *
 * is replaced by the secret's value. A reference that cannot be resolved (vault not found or
 * unreachable, secret or version missing, the identity denied, bad syntax) is not an error to the
 * app: it sees the literal reference text as the value. Unversioned references take the current
 * version. Vault host and secret names compare case-insensitively (DNS; Key Vault object names).
 *
 * Syntax is read as Azure Functions Core Tools reads it locally (KeyVaultReferencesManager): the
 * prefix `@Microsoft.KeyVault(` and the keys are case-sensitive. App Service's own parser is not
 * public; a value that differs only in the prefix's case is therefore kept literal and reported as
 * InvalidSyntax rather than guessed either way.
 *
 * Lives in test/support because only the rehearsal of the deployed app needs it: `npm start` sets
 * TEAMS_WEBHOOK_URL to the local receiver directly and has no Key Vault.
 */

/** A stand-in for one Key Vault: the secrets the app's identity could read from it. */
export interface StandInVault {
  /** The vault's host, e.g. kv-restorewatch.vault.azure.net (a VaultName=x reference means x.vault.azure.net). */
  readonly host: string;
  /** Secret name → current value. */
  readonly secrets: Readonly<Record<string, string>>;
  /** Pinned versions: secret name → version → value. A versioned reference resolves only from here. */
  readonly versions?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** The app's identity has no read access (e.g. no Key Vault Secrets User role). */
  readonly accessDenied?: boolean;
}

/** Why a reference stayed literal; the names are App Service's own (its ResolveStatus values). */
export type UnresolvedStatus = "InvalidSyntax" | "VaultNotFound" | "SecretNotFound" | "SecretVersionNotFound" | "AccessToKeyVaultDenied";

export interface UnresolvedReference {
  readonly setting: string;
  /** The literal reference, which is what the app sees. */
  readonly reference: string;
  readonly status: UnresolvedStatus;
}

export interface KeyVaultResolution {
  /** Every setting as the app sees it: resolved references replaced by their secret, the rest unchanged. */
  readonly settings: Record<string, string>;
  /** Names of the settings whose reference was resolved. */
  readonly resolved: string[];
  /** References left literal, and why. */
  readonly unresolved: UnresolvedReference[];
}

interface ParsedReference {
  readonly host: string;
  readonly secretName: string;
  readonly version?: string;
}

const PREFIX = "@Microsoft.KeyVault(";
const KEY_VAULT_DNS_SUFFIX = "vault.azure.net";

/** Resolves every Key Vault reference in `settings` against the stand-in vault(s). Does not change `settings`. */
export function resolveKeyVaultReferences(settings: Readonly<Record<string, string>>, vaults: StandInVault | readonly StandInVault[]): KeyVaultResolution {
  const known = Array.isArray(vaults) ? (vaults as readonly StandInVault[]) : [vaults as StandInVault];
  const result: KeyVaultResolution = { settings: { ...settings }, resolved: [], unresolved: [] };
  for (const [setting, value] of Object.entries(settings)) {
    if (!value.toLowerCase().startsWith(PREFIX.toLowerCase())) continue;
    const outcome = resolveOne(value, known);
    if (typeof outcome === "string") result.unresolved.push({ setting, reference: value, status: outcome });
    else {
      result.settings[setting] = outcome.value;
      result.resolved.push(setting);
    }
  }
  return result;
}

function resolveOne(reference: string, vaults: readonly StandInVault[]): UnresolvedStatus | { value: string } {
  const parsed = parseReference(reference);
  if (!parsed) return "InvalidSyntax";
  const vault = vaults.find((v) => v.host.toLowerCase() === parsed.host);
  if (!vault) return "VaultNotFound";
  if (vault.accessDenied) return "AccessToKeyVaultDenied";
  const name = Object.keys(vault.secrets).find((n) => n.toLowerCase() === parsed.secretName.toLowerCase());
  if (parsed.version === undefined) return name === undefined ? "SecretNotFound" : { value: vault.secrets[name] as string };
  const versionsName = Object.keys(vault.versions ?? {}).find((n) => n.toLowerCase() === parsed.secretName.toLowerCase());
  if (name === undefined && versionsName === undefined) return "SecretNotFound";
  const pinned = versionsName === undefined ? undefined : vault.versions?.[versionsName]?.[parsed.version];
  return pinned === undefined ? "SecretVersionNotFound" : { value: pinned };
}

/** The vault host, secret and version a reference names, or undefined if it is not valid syntax. */
export function parseReference(reference: string): ParsedReference | undefined {
  if (!reference.startsWith(PREFIX) || !reference.endsWith(")")) return undefined;
  const body = reference.slice(PREFIX.length, -1);
  const fields = new Map<string, string>();
  for (const part of body.split(";")) {
    if (part === "") continue;
    const at = part.indexOf("=");
    if (at <= 0) return undefined;
    const key = part.slice(0, at);
    if (fields.has(key)) return undefined;
    fields.set(key, part.slice(at + 1));
  }
  const keys = [...fields.keys()];
  const secretUri = fields.get("SecretUri");
  if (secretUri !== undefined) return keys.length === 1 ? parseSecretUri(secretUri) : undefined;
  const vaultName = fields.get("VaultName");
  const secretName = fields.get("SecretName");
  const version = fields.get("SecretVersion");
  if (!vaultName || !secretName || keys.some((k) => !["VaultName", "SecretName", "SecretVersion"].includes(k))) return undefined;
  return { host: `${vaultName}.${KEY_VAULT_DNS_SUFFIX}`.toLowerCase(), secretName, ...(version ? { version } : {}) };
}

/** https://<host>/secrets/<name>[/<version>], a trailing slash allowed (the Key Vault SDK's identifier rules). */
function parseSecretUri(text: string): ParsedReference | undefined {
  let uri: URL;
  try {
    uri = new URL(text);
  } catch {
    return undefined;
  }
  if (uri.protocol !== "https:" || uri.search !== "" || uri.hash !== "") return undefined;
  const segments = uri.pathname.replace(/^\//, "").replace(/\/$/, "").split("/");
  const [collection, secretName, version] = segments;
  if (segments.length < 2 || segments.length > 3 || collection !== "secrets" || !secretName || version === "") return undefined;
  return { host: uri.host.toLowerCase(), secretName, ...(version === undefined ? {} : { version }) };
}

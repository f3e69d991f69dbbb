import type { TokenCredential } from "@azure/core-auth";
import { errorMessage } from "../domain/errors";

/** Reads a secret's value by name; throws SecretUnavailableError (naming the secret, never its value). */
export interface SecretReader {
  read(name: string): Promise<string>;
}

export class SecretUnavailableError extends Error {
  constructor(
    readonly secretName: string,
    readonly reason: string,
  ) {
    super(`Key Vault secret '${secretName}' could not be read: ${reason}`);
    this.name = "SecretUnavailableError";
  }
}

export const KEY_VAULT_API_VERSION = "7.4";
/** Key Vault hosts per cloud, and the audience of their tokens. */
const VAULT_SUFFIXES: readonly { readonly suffix: string; readonly audience: string }[] = [
  { suffix: ".vault.azure.net", audience: "https://vault.azure.net" },
  { suffix: ".vault.usgovcloudapi.net", audience: "https://vault.usgovcloudapi.net" },
  { suffix: ".vault.azure.cn", audience: "https://vault.azure.cn" },
];
const MAX_ERROR_CHARS = 300;

export interface KeyVaultSecretsOptions {
  /** Local emulators trusted with the token (RESTOREWATCH_EMULATOR_ORIGINS); they get the public cloud's audience. */
  readonly emulatorOrigins?: readonly string[];
  readonly timeoutInMs?: number;
}

/**
 * Key Vault secrets read with the app's identity (`GET {vault}/secrets/{name}?api-version=7.4`, a
 * token for `https://vault.azure.net/.default`). The token goes only to a Key Vault host of a known
 * cloud or a trusted local emulator.
 */
export class KeyVaultSecrets implements SecretReader {
  private readonly origin: string;
  private readonly audience: string | undefined;

  constructor(
    vaultUri: string,
    private readonly credential: TokenCredential,
    private readonly options: KeyVaultSecretsOptions = {},
  ) {
    const url = new URL(vaultUri);
    this.origin = url.origin;
    const host = url.hostname.toLowerCase();
    const cloud = url.protocol === "https:" ? VAULT_SUFFIXES.find((v) => host.endsWith(v.suffix)) : undefined;
    this.audience = cloud?.audience ?? ((options.emulatorOrigins ?? []).includes(url.origin) ? VAULT_SUFFIXES[0]?.audience : undefined);
  }

  async read(name: string): Promise<string> {
    if (!this.audience) throw new SecretUnavailableError(name, `KEY_VAULT_URI ${this.origin} is not a Key Vault host (https://<name>.vault.azure.net); the app's token is not sent there`);
    let response: Response;
    try {
      const token = await this.credential.getToken(`${this.audience}/.default`);
      if (!token) throw new Error("the app's identity gave no token for Key Vault");
      response = await fetch(`${this.origin}/secrets/${encodeURIComponent(name)}?api-version=${KEY_VAULT_API_VERSION}`, {
        headers: { authorization: `Bearer ${token.token}`, accept: "application/json" },
        signal: AbortSignal.timeout(this.options.timeoutInMs ?? 30_000),
        redirect: "error",
      });
    } catch (error) {
      throw new SecretUnavailableError(name, errorMessage(error).slice(0, MAX_ERROR_CHARS));
    }
    const text = await response.text();
    if (!response.ok) throw new SecretUnavailableError(name, describeFailure(response.status, text));
    const value = parseValue(text);
    if (value === undefined) throw new SecretUnavailableError(name, "Key Vault's answer has no secret value");
    return value;
  }
}

/** Key Vault's error shape: `{"error":{"code":"SecretNotFound","message":"..."}}`. */
function describeFailure(status: number, body: string): string {
  let code: string | undefined;
  let message: string | undefined;
  try {
    const error = (JSON.parse(body) as { error?: { code?: unknown; message?: unknown; innererror?: { code?: unknown } } }).error;
    code = typeof error?.innererror?.code === "string" ? error.innererror.code : typeof error?.code === "string" ? error.code : undefined;
    message = typeof error?.message === "string" ? error.message : undefined;
  } catch {
    // not JSON: the status says enough
  }
  const hint = status === 404 ? "it does not exist in the vault" : status === 403 || status === 401 ? "the app's identity needs the Key Vault Secrets User role on the vault" : "Key Vault refused the request";
  return `HTTP ${status}${code ? ` ${code}` : ""}: ${hint}${message ? ` (${message.slice(0, MAX_ERROR_CHARS)})` : ""}`;
}

function parseValue(text: string): string | undefined {
  try {
    const value = (JSON.parse(text) as { value?: unknown }).value;
    return typeof value === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}

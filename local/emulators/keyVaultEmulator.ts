import type { IncomingMessage, ServerResponse } from "node:http";
import { LoopbackServer } from "./loopbackServer";
import type { TokenIssuer } from "./tokens";

/** Audience of Entra tokens for Key Vault (clients ask for `https://vault.azure.net/.default`). */
export const KEY_VAULT_AUDIENCE = "https://vault.azure.net";

export interface KeyVaultEmulatorOptions {
  readonly tls: { readonly cert: string; readonly key: string };
  /** Verifies the bearer token (signature, expiry, audience). */
  readonly issuer: TokenIssuer;
}

/** A secret read, as the emulator answered it. */
export interface SecretRead {
  readonly name: string;
  readonly status: number;
}

/**
 * A Key Vault secrets stand-in (data plane, `GET /secrets/{name}?api-version=7.4`): a bearer token
 * for the vault's audience, the secret bundle shape, and Key Vault's errors (401 with the challenge,
 * 403 Forbidden/ForbiddenByRbac for a principal without a role, 404 SecretNotFound).
 */
export class KeyVaultEmulator {
  readonly reads: SecretRead[] = [];
  private readonly secrets = new Map<string, string>();
  /** Object ids of principals refused as if they had no Key Vault Secrets User role. */
  private readonly forbidden = new Set<string>();
  private readonly server: LoopbackServer;

  private constructor(private readonly options: KeyVaultEmulatorOptions) {
    this.server = new LoopbackServer(options.tls, (request, response) => this.handle(request, response));
  }

  static async start(options: KeyVaultEmulatorOptions): Promise<KeyVaultEmulator> {
    const vault = new KeyVaultEmulator(options);
    await vault.server.listen();
    return vault;
  }

  /** The vault URI (KEY_VAULT_URI). */
  get uri(): string {
    return this.server.origin;
  }

  setSecret(name: string, value: string): void {
    this.secrets.set(name.toLowerCase(), value);
  }

  deleteSecret(name: string): void {
    this.secrets.delete(name.toLowerCase());
  }

  /** Refuse this principal (by object id) from now on, as without a role assignment. */
  forbid(objectId: string): void {
    this.forbidden.add(objectId);
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    request.resume();
    const url = new URL(request.url ?? "/", this.uri);
    const name = /^\/secrets\/([^/]+)\/?$/.exec(url.pathname)?.[1];
    const answer = (status: number, body: object, headers: Record<string, string> = {}): void => {
      if (name !== undefined) this.reads.push({ name: decodeURIComponent(name), status });
      response.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers }).end(JSON.stringify(body));
    };
    const authorization = request.headers.authorization ?? "";
    const verified = authorization.startsWith("Bearer ") ? this.options.issuer.verify(authorization.slice("Bearer ".length)) : undefined;
    if (!verified || !verified.ok || verified.claims.aud !== KEY_VAULT_AUDIENCE) {
      const why = !verified ? "AKV10000: Request is missing a Bearer or PoP token." : !verified.ok ? `AKV10032: Invalid token: ${verified.reason}.` : `AKV10022: Invalid audience. Expected ${KEY_VAULT_AUDIENCE}, found: ${verified.claims.aud}.`;
      answer(401, { error: { code: "Unauthorized", message: why } }, { "www-authenticate": `Bearer authorization="https://login.microsoftonline.com/${verified?.ok ? verified.claims.tid : "common"}", resource="${KEY_VAULT_AUDIENCE}"` });
      return;
    }
    if (request.method !== "GET" || name === undefined) {
      answer(400, { error: { code: "BadParameter", message: "The request URI is not valid." } });
      return;
    }
    if (url.searchParams.get("api-version") === null) {
      answer(400, { error: { code: "BadParameter", message: "The 'api-version' query parameter is missing." } });
      return;
    }
    const secretName = decodeURIComponent(name);
    if (this.forbidden.has(verified.claims.oid)) {
      answer(403, { error: { code: "Forbidden", message: `Caller is not authorized to perform action on resource. Action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action' Caller: oid=${verified.claims.oid}`, innererror: { code: "ForbiddenByRbac" } } });
      return;
    }
    const value = this.secrets.get(secretName.toLowerCase());
    if (value === undefined) {
      answer(404, { error: { code: "SecretNotFound", message: `A secret with (name/id) ${secretName} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command.` } });
      return;
    }
    answer(200, { value, id: `${this.uri}/secrets/${secretName}/0123456789abcdef0123456789abcdef`, attributes: { enabled: true, recoveryLevel: "Recoverable+Purgeable" }, tags: {} });
  }
}

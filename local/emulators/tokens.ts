import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import type { AccessToken, TokenCredential } from "@azure/core-auth";

/** Claims of an emulated Entra access token (the subset Graph and restorewatch look at). */
export interface TokenClaims {
  readonly aud: string;
  readonly iss: string;
  readonly tid: string;
  readonly oid: string;
  /** The principal the token is about: an assertion's subject (a managed identity's object id). */
  readonly sub?: string;
  readonly appid?: string;
  /** Application permissions (app roles), as in an app-only token. */
  readonly roles?: readonly string[];
  /** Delegated scopes, space-separated, as in a user token. */
  readonly scp?: string;
  readonly iat: number;
  /** Not before: Entra sets it (to iat); Azurite's `--oauth basic` refuses a token without it. */
  readonly nbf: number;
  readonly exp: number;
}

export interface IssueOptions {
  readonly audience?: string;
  readonly tenantId?: string;
  readonly objectId?: string;
  /** Application (client) id of the caller: the app registration, or the managed identity's client id. */
  readonly appId?: string;
  /** `iss`, default Entra's v1 issuer for the tenant (what Graph tokens carry). */
  readonly issuerUrl?: string;
  readonly subject?: string;
  readonly roles?: readonly string[];
  readonly scp?: string;
  readonly lifetimeInSeconds?: number;
}

export const TEST_TENANT_ID = "7e1a0c5d-3b1f-4f63-9d2a-0c6f5e8b4a11";
export const GRAPH_AUDIENCE = "https://graph.microsoft.com";
/** The global cloud's audience for federated-credential assertions (identity-and-tenants.md §1.1). */
export const TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";
/** The app id of "AAD Token Exchange Endpoint": the `aud` real managed-identity assertions carry (§1.3). */
export const TOKEN_EXCHANGE_APP_ID = "fb60f99c-7a34-4190-8149-302f77469936";

/** `iss` of tokens Entra issues in a tenant's v2 endpoint, as a managed identity's assertion carries it. */
export function entraIssuer(tenantId: string): string {
  return `https://login.microsoftonline.com/${tenantId}/v2.0`;
}

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString("base64url");
}

/**
 * Issues and verifies HS256 JWTs shaped like Entra access tokens. The managed-identity endpoint
 * emulator issues them and the Graph emulator verifies them, so a test proves the token the app
 * got from "Azure" is the one Graph received.
 */
export class TokenIssuer {
  readonly issued: TokenClaims[] = [];
  constructor(private readonly secret: string = randomUUID()) {}

  issue(options: IssueOptions = {}): { token: string; claims: TokenClaims } {
    const now = Math.floor(Date.now() / 1000);
    const tid = options.tenantId ?? TEST_TENANT_ID;
    const claims: TokenClaims = {
      aud: options.audience ?? GRAPH_AUDIENCE,
      iss: options.issuerUrl ?? `https://sts.windows.net/${tid}/`,
      tid,
      oid: options.objectId ?? randomUUID(),
      ...(options.subject !== undefined && { sub: options.subject }),
      ...(options.appId !== undefined && { appid: options.appId }),
      ...(options.roles && { roles: options.roles }),
      ...(options.scp && { scp: options.scp }),
      iat: now,
      nbf: now,
      exp: now + (options.lifetimeInSeconds ?? 3600),
    };
    const header = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
    const payload = base64url(JSON.stringify(claims));
    const signature = createHmac("sha256", this.secret).update(`${header}.${payload}`).digest("base64url");
    this.issued.push(claims);
    return { token: `${header}.${payload}.${signature}`, claims };
  }

  /** The claims of a token this issuer signed and that has not expired, or a reason it is refused. */
  verify(token: string): { ok: true; claims: TokenClaims } | { ok: false; reason: string } {
    const [header, payload, signature] = token.split(".");
    if (!header || !payload || !signature) return { ok: false, reason: "not a JWT" };
    const expected = createHmac("sha256", this.secret).update(`${header}.${payload}`).digest();
    const actual = Buffer.from(signature, "base64url");
    if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return { ok: false, reason: "bad signature" };
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as TokenClaims;
    if (claims.exp <= Math.floor(Date.now() / 1000)) return { ok: false, reason: "token expired" };
    return { ok: true, claims };
  }

  /** A TokenCredential that hands out tokens from this issuer (for tests that do not exercise the identity endpoint). */
  credential(options: IssueOptions = {}): TokenCredential & { calls: number } {
    const issue = (): { token: string; claims: TokenClaims } => this.issue(options);
    return {
      calls: 0,
      async getToken(): Promise<AccessToken> {
        this.calls += 1;
        const { token, claims } = issue();
        return { token, expiresOnTimestamp: claims.exp * 1000 };
      },
    };
  }
}

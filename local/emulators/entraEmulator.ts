import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { LoopbackServer } from "./loopbackServer";
import { GRAPH_AUDIENCE, TOKEN_EXCHANGE_APP_ID, TOKEN_EXCHANGE_AUDIENCE, type TokenIssuer } from "./tokens";

/**
 * A local Microsoft Entra token endpoint for app registrations that sign in with a managed identity's
 * token as their federated credential (identity-and-tenants.md §1-§3). It serves what
 * @azure/identity's ClientAssertionCredential calls when its authority host is not Microsoft's and
 * instance discovery is off:
 *
 *   GET  /{tenant}/v2.0/.well-known/openid-configuration   OIDC metadata, issuer on this origin
 *   POST /{tenant}/oauth2/v2.0/token                       client credentials with a client assertion
 *
 * Apps have a home tenant, federated identity credentials, and per tenant a service principal (made by
 * `az ad sp create` or admin consent) holding the Graph app roles granted there, so a multi-tenant app
 * is modelled too. Errors have Entra's shape (`error`, `error_codes`, an AADSTS description); callers
 * should key on the first two.
 */

export interface FederatedCredential {
  readonly name: string;
  readonly issuer: string;
  /** The managed identity's object (principal) id; matched case-sensitively. */
  readonly subject: string;
  readonly audiences: readonly string[];
}

export interface EmulatedApp {
  readonly appId: string;
  readonly homeTenantId: string;
  /** A single-tenant app exists only in its home tenant. */
  readonly multiTenant: boolean;
  readonly federatedCredentials: FederatedCredential[];
}

export interface EmulatedServicePrincipal {
  readonly objectId: string;
  /** Microsoft Graph app roles granted to it (app role assignments), by value. */
  roles: string[];
}

/**
 * A known app without a service principal in the requested tenant (never consented there, or deleted):
 * recent reports show 401 invalid_client AADSTS7000229, older ones 400 unauthorized_client AADSTS700016
 * (identity-and-tenants.md §8.1).
 */
export type MissingServicePrincipalError = 7000229 | 700016;

export interface EntraEmulatorOptions {
  readonly tls: { readonly cert: string; readonly key: string };
  /** Verifies client assertions (signature, expiry): the managed-identity endpoint's issuer. */
  readonly assertionIssuer: TokenIssuer;
  /** Signs the access tokens issued: the issuer the Graph emulator verifies. */
  readonly tokenIssuer: TokenIssuer;
  readonly missingServicePrincipalError?: MissingServicePrincipalError;
  /** expires_in of issued tokens; default 3599 as Entra. Below 300, MSAL fetches a new one on every call. */
  readonly tokenLifetimeInSeconds?: number;
}

export interface EntraTokenRequest {
  readonly tenant: string;
  readonly clientId?: string;
  readonly scope?: string;
  /** `sub` of the client assertion, when it had one. */
  readonly assertionSubject?: string;
  /** HTTP status answered, and the AADSTS code of an error. */
  readonly status: number;
  readonly errorCode?: number;
}

const CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const GRAPH_RESOURCES: ReadonlySet<string> = new Set([GRAPH_AUDIENCE, "00000003-0000-0000-c000-000000000000"]);
const ENTRA_ISSUER = /^https:\/\/login\.microsoftonline\.com\/([^/]+)\/v2\.0$/;

interface EntraResponse {
  readonly status: number;
  readonly body: unknown;
  readonly errorCode?: number;
}

export class EntraEmulator {
  readonly tokenRequests: EntraTokenRequest[] = [];
  /** Tenants whose OIDC metadata was asked for, in order. */
  readonly metadataRequests: string[] = [];
  private readonly tenants = new Map<string, Map<string, EmulatedServicePrincipal>>();
  private readonly apps = new Map<string, EmulatedApp>();
  /** Service principals of revoked consents, by tenant/appId, for setConsentRevoked(..., false). */
  private readonly revoked = new Map<string, EmulatedServicePrincipal>();

  private readonly server: LoopbackServer;

  private constructor(private readonly options: EntraEmulatorOptions) {
    this.server = new LoopbackServer(
      options.tls,
      (request, response) => this.handle(request, response),
      (response, error) => this.send(response, { status: 500, body: { error: "server_error", error_description: error instanceof Error ? error.message : String(error) } }),
    );
  }

  static async start(options: EntraEmulatorOptions): Promise<EntraEmulator> {
    const emulator = new EntraEmulator(options);
    await emulator.server.listen();
    return emulator;
  }

  /** The authority host: AZURE_AUTHORITY_HOST for the app. */
  get url(): string {
    return this.server.origin;
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  // --- directory -------------------------------------------------------------------------------

  addTenant(tenantId: string): void {
    if (!this.tenants.has(tenantId)) this.tenants.set(tenantId, new Map());
  }

  /** `az ad app create`: the app registration, in its home tenant (created if new). No service principal yet. */
  registerApp(input: { appId?: string; homeTenantId: string; multiTenant?: boolean }): EmulatedApp {
    const app: EmulatedApp = { appId: input.appId ?? randomUUID(), homeTenantId: input.homeTenantId, multiTenant: input.multiTenant ?? false, federatedCredentials: [] };
    if (this.apps.has(app.appId)) throw new Error(`app ${app.appId} already exists`);
    this.addTenant(app.homeTenantId);
    this.apps.set(app.appId, app);
    return app;
  }

  /** `az ad app federated-credential create`. Like Entra, wrong values are accepted here and fail at sign-in. */
  addFederatedCredential(appId: string, credential: FederatedCredential): void {
    const app = this.app(appId);
    if (app.federatedCredentials.length >= 20) throw new Error("an app can have at most 20 federated identity credentials");
    if (app.federatedCredentials.some((c) => c.name === credential.name)) throw new Error(`app ${appId} already has a federated credential named ${credential.name}`);
    app.federatedCredentials.push({ ...credential, audiences: [...credential.audiences] });
  }

  /** `az ad sp create` in the home tenant, or admin consent in another: the app's service principal there. */
  provision(appId: string, tenantId: string, input: { objectId?: string; roles?: string[] } = {}): EmulatedServicePrincipal {
    const app = this.app(appId);
    const principals = this.tenants.get(tenantId);
    if (!principals) throw new Error(`no tenant ${tenantId}`);
    if (tenantId !== app.homeTenantId && !app.multiTenant) throw new Error(`app ${appId} is single-tenant: it cannot be provisioned into ${tenantId}`);
    const principal: EmulatedServicePrincipal = { objectId: input.objectId ?? randomUUID(), roles: [...(input.roles ?? [])] };
    principals.set(appId, principal);
    return principal;
  }

  /** The app's service principal in a tenant, if provisioned there (change `roles` to grant or revoke). */
  servicePrincipal(appId: string, tenantId: string): EmulatedServicePrincipal | undefined {
    return this.tenants.get(tenantId)?.get(appId);
  }

  /** Consent withdrawn, or the service principal deleted. */
  removeServicePrincipal(appId: string, tenantId: string): void {
    this.tenants.get(tenantId)?.delete(appId);
  }

  /**
   * The switch a test flips: tenant `tenantId` withdraws its consent to the app (its service principal
   * goes, so token requests get `missingServicePrincipalError`), or (revoked false) consents again and
   * gets it back with the same object id and roles. Tokens issued before stay valid until they expire,
   * as in Entra: MSAL keeps them unless tokenLifetimeInSeconds is under 300.
   */
  setConsentRevoked(appId: string, tenantId: string, revoked: boolean): void {
    const key = `${tenantId}/${appId}`;
    if (revoked) {
      const principal = this.servicePrincipal(appId, tenantId);
      if (!principal) throw new Error(`app ${appId} has no service principal in ${tenantId} to revoke`);
      this.revoked.set(key, principal);
      this.removeServicePrincipal(appId, tenantId);
      return;
    }
    const principal = this.revoked.get(key);
    if (!principal) throw new Error(`app ${appId}'s consent in ${tenantId} was not revoked`);
    this.revoked.delete(key);
    this.tenants.get(tenantId)?.set(appId, principal);
  }

  private app(appId: string): EmulatedApp {
    const app = this.apps.get(appId);
    if (!app) throw new Error(`no app ${appId}`);
    return app;
  }

  // --- HTTP ------------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url);
    const segments = url.pathname.split("/").filter((s) => s !== "");
    const tenant = decodeURIComponent(segments[0] ?? "");
    const rest = segments.slice(1).join("/");
    if (req.method === "GET" && rest === "v2.0/.well-known/openid-configuration") {
      this.metadataRequests.push(tenant);
      return this.send(res, this.metadata(tenant));
    }
    if (req.method === "GET" && rest === "discovery/v2.0/keys") return this.send(res, { status: 200, body: { keys: [] } });
    if (rest === "oauth2/v2.0/token") {
      if (req.method !== "POST") return this.send(res, entraError(405, "invalid_request", 900561, "The endpoint only accepts POST requests."));
      const form = new URLSearchParams(await readBody(req));
      const response = this.token(tenant, form);
      const subject = readSubject(form.get("client_assertion"));
      this.tokenRequests.push({
        tenant,
        ...optional("clientId", form.get("client_id")),
        ...optional("scope", form.get("scope")),
        ...optional("assertionSubject", subject),
        status: response.status,
        ...(response.errorCode !== undefined && { errorCode: response.errorCode }),
      });
      return this.send(res, response);
    }
    this.send(res, { status: 404, body: { error: "not_found", error_description: `The emulator does not serve ${url.pathname}` } });
  }

  private metadata(tenant: string): EntraResponse {
    if (!this.tenants.has(tenant)) return tenantNotFound(tenant, "invalid_tenant");
    const base = `${this.url}/${tenant}`;
    return {
      status: 200,
      body: {
        token_endpoint: `${base}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        jwks_uri: `${base}/discovery/v2.0/keys`,
        response_modes_supported: ["query", "fragment", "form_post"],
        subject_types_supported: ["pairwise"],
        id_token_signing_alg_values_supported: ["RS256"],
        response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
        scopes_supported: ["openid", "profile", "email", "offline_access"],
        // Same origin as the authority: MSAL refuses metadata whose issuer is elsewhere.
        issuer: `${base}/v2.0`,
        request_uri_parameter_supported: false,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        tenant_region_scope: null,
        cloud_instance_name: "microsoftonline.com",
      },
    };
  }

  /** The client-credentials grant with a client assertion, checked in the order Entra reports problems. */
  private token(tenant: string, form: URLSearchParams): EntraResponse {
    const principals = this.tenants.get(tenant);
    if (!principals) return tenantNotFound(tenant, "invalid_request");

    for (const name of ["grant_type", "client_id", "scope"]) {
      if (!form.get(name)) return entraError(400, "invalid_request", 900144, `The request body must contain the following parameter: '${name}'.`);
    }
    const clientId = form.get("client_id") as string;
    if (form.get("grant_type") !== "client_credentials") return entraError(400, "unsupported_grant_type", 70003, `The app requested an unsupported grant type '${form.get("grant_type") ?? ""}'.`);
    const scopes = (form.get("scope") as string).split(" ").filter((s) => s !== "");
    if (scopes.length !== 1) return entraError(400, "invalid_scope", 28000, "Provided value for the input parameter scope is not valid because it contains more than one resource.");
    const scope = scopes[0] as string;
    if (!scope.endsWith("/.default")) {
      return entraError(400, "invalid_scope", 1002012, `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
    }
    const assertion = form.get("client_assertion");
    if (!assertion || form.get("client_assertion_type") !== CLIENT_ASSERTION_TYPE) {
      return entraError(401, "invalid_client", 7000216, "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.");
    }

    const app = this.apps.get(clientId);
    if (!app || (tenant !== app.homeTenantId && !app.multiTenant)) return appNotFound(clientId, tenant);
    const principal = principals.get(clientId);
    if (!principal) {
      return (this.options.missingServicePrincipalError ?? 7000229) === 7000229
        ? entraError(401, "invalid_client", 7000229, `The client application ${clientId} is missing service principal in the tenant ${tenant}. See instructions here: https://go.microsoft.com/fwlink/?linkid=2225119`)
        : appNotFound(clientId, tenant);
    }

    const refused = this.checkAssertion(app, assertion);
    if (refused) return refused;

    const resource = scope.slice(0, -"/.default".length);
    if (!GRAPH_RESOURCES.has(resource)) return entraError(400, "invalid_resource", 500011, `The resource principal named ${resource} was not found in the tenant named ${tenant}.`);
    const lifetime = this.options.tokenLifetimeInSeconds ?? 3599;
    const { token } = this.options.tokenIssuer.issue({ audience: GRAPH_AUDIENCE, tenantId: tenant, objectId: principal.objectId, appId: app.appId, roles: principal.roles, lifetimeInSeconds: lifetime });
    return { status: 200, body: { token_type: "Bearer", expires_in: lifetime, ext_expires_in: lifetime, access_token: token } };
  }

  /** Validates a federated credential's assertion: signature and lifetime, then issuer, subject and audience against the app's FICs. */
  private checkAssertion(app: EmulatedApp, assertion: string): EntraResponse | undefined {
    const verified = this.options.assertionIssuer.verify(assertion);
    if (!verified.ok) {
      return verified.reason === "token expired"
        ? entraError(401, "invalid_client", 700024, "Client assertion is not within its valid time range.")
        : entraError(401, "invalid_client", 700027, "Client assertion failed signature validation.");
    }
    const { iss, sub: subject = "", aud } = verified.claims;
    const assertionTenant = ENTRA_ISSUER.exec(iss)?.[1];
    if (assertionTenant !== undefined && assertionTenant !== app.homeTenantId) {
      return entraError(400, "invalid_request", 700236, `Entra ID tokens issued by issuer '${iss}' may not be used for federated identity credential flows for applications or managed identities registered in this tenant.`);
    }
    const sameIssuer = app.federatedCredentials.filter((c) => c.issuer === iss);
    if (sameIssuer.length === 0) {
      return entraError(400, "invalid_request", 70021, `No matching federated identity record found for presented assertion. Assertion Issuer: '${iss}'. Assertion Subject: '${subject}'. Assertion Audience: '${aud}'.`);
    }
    const sameSubject = sameIssuer.filter((c) => c.subject === subject);
    if (sameSubject.length === 0) {
      return entraError(401, "invalid_client", 700213, `No matching federated identity record found for presented assertion subject '${subject}'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion.`);
    }
    if (!sameSubject.some((c) => c.audiences.some((audience) => audienceMatches(audience, aud)))) {
      return entraError(401, "invalid_client", 700212, `No matching federated identity record found for presented assertion audience '${aud}'.`);
    }
    return undefined;
  }

  private send(res: ServerResponse, response: EntraResponse): void {
    if (res.destroyed) return;
    res.writeHead(response.status, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store, no-cache" });
    res.end(JSON.stringify(response.body));
  }
}

/** A managed identity's assertion carries the token exchange app id; the FIC names the URI. Either form is accepted. */
function audienceMatches(credentialAudience: string, assertionAudience: string): boolean {
  if (credentialAudience === assertionAudience) return true;
  return credentialAudience === TOKEN_EXCHANGE_AUDIENCE && assertionAudience === TOKEN_EXCHANGE_APP_ID;
}

function appNotFound(clientId: string, tenant: string): EntraResponse {
  return entraError(
    400,
    "unauthorized_client",
    700016,
    `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
  );
}

function tenantNotFound(tenant: string, error: "invalid_request" | "invalid_tenant"): EntraResponse {
  return entraError(400, error, 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
}

/** Entra's error body (identity-and-tenants.md §3.2). */
function entraError(status: number, error: string, code: number, description: string): EntraResponse {
  const timestamp = new Date().toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
  const traceId = randomUUID();
  const correlationId = randomUUID();
  return {
    status,
    errorCode: code,
    body: {
      error,
      error_description: `AADSTS${code}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
    },
  };
}

function readSubject(assertion: string | null): string | undefined {
  const payload = assertion?.split(".")[1];
  if (!payload) return undefined;
  try {
    const sub = (JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { sub?: unknown }).sub;
    return typeof sub === "string" ? sub : undefined;
  } catch {
    return undefined;
  }
}

function optional<K extends string>(key: K, value: string | null | undefined): { [P in K]?: string } {
  return (value === null || value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

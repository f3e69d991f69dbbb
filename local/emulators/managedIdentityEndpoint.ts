import { randomUUID } from "node:crypto";
import type http from "node:http";
import { LoopbackServer } from "./loopbackServer";
import { TEST_TENANT_ID, TOKEN_EXCHANGE_APP_ID, TOKEN_EXCHANGE_AUDIENCE, entraIssuer, type TokenIssuer } from "./tokens";

export interface ManagedIdentityEndpointOptions {
  issuer: TokenIssuer;
  /** App roles put in issued tokens (changeable with setRoles). */
  roles?: string[];
  /** The identity's home tenant. */
  tenantId?: string;
  /**
   * The app's user-assigned identity. When set, the app has only that identity: requests must name it
   * (client_id, or object_id/principal_id matching objectId) and anything else gets 400. When unset,
   * the app has only a system-assigned identity and requests naming a user-assigned one get 400.
   */
  clientId?: string;
  /** The identity's object (principal) id, the `oid` of issued tokens. */
  objectId?: string;
  /**
   * `aud` of token-exchange assertions (resource api://AzureADTokenExchange): the "AAD Token Exchange
   * Endpoint" app id, as real ones carry (default), or the URI that was asked for.
   */
  assertionAudience?: "appId" | "uri";
}

export interface ManagedIdentityRequest {
  readonly resource?: string;
  /** The user-assigned client_id the caller asked for, if any. */
  readonly clientId?: string;
  /** X-IDENTITY-HEADER carried the right secret. */
  readonly headerOk: boolean;
}

const API_VERSION = "2019-08-01";
const TOKEN_PATH = "/msi/token";

/**
 * Emulates the App Service / Azure Functions managed identity endpoint (IDENTITY_ENDPOINT +
 * IDENTITY_HEADER, api-version 2019-08-01) as MSAL node's AppService source calls it:
 * GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=...[&client_id=...|&object_id=...|&mi_res_id=...]
 * with the X-IDENTITY-HEADER secret.
 *
 * For resource api://AzureADTokenExchange it issues what a federated identity credential trusts: `iss`
 * https://login.microsoftonline.com/{home tenant}/v2.0, `sub` the identity's object id, `aud` the token
 * exchange app id (identity-and-tenants.md §1.3).
 */
export class ManagedIdentityEndpoint {
  readonly requests: ManagedIdentityRequest[] = [];
  readonly secret = randomUUID();
  private roles: string[];
  /** client_id reported for the system-assigned identity. */
  private readonly systemClientId = randomUUID();
  /** The identity's object (principal) id: the `oid` of its tokens, the `sub` of its assertions. */
  readonly objectId: string;

  private readonly server: LoopbackServer;

  private constructor(private readonly options: ManagedIdentityEndpointOptions) {
    this.roles = [...(options.roles ?? [])];
    this.objectId = options.objectId ?? randomUUID();
    // Plain HTTP on loopback, as App Service's identity endpoint is.
    this.server = new LoopbackServer(undefined, (request, response) => this.handle(request, response));
  }

  static async start(options: ManagedIdentityEndpointOptions): Promise<ManagedIdentityEndpoint> {
    const endpoint = new ManagedIdentityEndpoint(options);
    await endpoint.server.listen();
    return endpoint;
  }

  /** IDENTITY_ENDPOINT for the app. */
  get endpoint(): string {
    return `${this.server.origin}${TOKEN_PATH}`;
  }

  /** Roles for tokens issued from now on (tokens already cached by a client keep their roles until they expire). */
  setRoles(roles: string[]): void {
    this.roles = [...roles];
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const query = url.searchParams;
    const header = req.headers["x-identity-header"];
    const headerOk = header === this.secret;
    const resource = query.get("resource") ?? undefined;
    const clientId = query.get("client_id") ?? undefined;
    this.requests.push({ headerOk, ...(resource !== undefined && { resource }), ...(clientId !== undefined && { clientId }) });

    if (req.method !== "GET" || url.pathname !== TOKEN_PATH) return this.fail(res, 404, "Not found.");
    if (header === undefined) return this.fail(res, 400, "Missing X-IDENTITY-HEADER.");
    if (!headerOk) return this.fail(res, 401, "X-IDENTITY-HEADER is not valid.");
    if (query.get("api-version") !== API_VERSION) return this.fail(res, 400, `Unsupported api-version '${query.get("api-version") ?? ""}'; this endpoint serves ${API_VERSION}.`);
    if (!resource) return this.fail(res, 400, "The 'resource' parameter is required.");
    const identityError = this.checkIdentity(query);
    if (identityError) return this.fail(res, 400, identityError);

    // Entra names the audience without the trailing slash a scope-derived resource carries (https://communication.azure.com/).
    const audience = resource.replace(/\/\.default$/, "").replace(/\/+$/, "");
    const clientIdOfIdentity = this.options.clientId ?? this.systemClientId;
    const tenantId = this.options.tenantId ?? TEST_TENANT_ID;
    const identity = { tenantId, objectId: this.objectId, appId: clientIdOfIdentity };
    const { token, claims } =
      audience === TOKEN_EXCHANGE_AUDIENCE
        ? this.options.issuer.issue({ ...identity, audience: this.options.assertionAudience === "uri" ? audience : TOKEN_EXCHANGE_APP_ID, issuerUrl: entraIssuer(tenantId), subject: this.objectId })
        : this.options.issuer.issue({ ...identity, audience, roles: this.roles });
    this.json(res, 200, { access_token: token, expires_on: String(claims.exp), resource: audience, token_type: "Bearer", client_id: clientIdOfIdentity });
  }

  /** Why the requested identity does not exist on this app, or undefined when it does. */
  private checkIdentity(query: URLSearchParams): string | undefined {
    const requestedClient = query.get("client_id");
    const requestedObject = query.get("object_id") ?? query.get("principal_id");
    const requestedResource = query.get("mi_res_id");
    const named = [requestedClient, requestedObject, requestedResource].filter((v) => v !== null).length;
    if (named > 1) return "Only one of client_id, object_id/principal_id and mi_res_id may be given.";
    const notFound = "No User Assigned or Delegated Managed Identity found for specified ClientId/ResourceId/PrincipalId.";
    if (this.options.clientId === undefined) return named === 0 ? undefined : notFound;
    if (requestedClient !== null) return requestedClient.toLowerCase() === this.options.clientId.toLowerCase() ? undefined : notFound;
    if (requestedObject !== null) return requestedObject.toLowerCase() === this.objectId.toLowerCase() ? undefined : notFound;
    return named === 0 ? "No system-assigned managed identity is enabled on this app; name the user-assigned identity (client_id)." : notFound;
  }

  private fail(res: http.ServerResponse, status: number, message: string): void {
    // App Service's error shape; MSAL reads `message` (error_description) and `correlationId`.
    this.json(res, status, { statusCode: status, message, correlationId: randomUUID() });
  }

  private json(res: http.ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { "Content-Type": "application/json; charset=utf-8" });
    res.end(JSON.stringify(body));
  }
}

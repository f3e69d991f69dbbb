import {
  AuthenticationHandler,
  Client,
  GraphError,
  HTTPMessageHandler,
  type AuthenticationProvider,
  type GraphRequest,
} from "@microsoft/microsoft-graph-client";
import type { TokenCredential } from "@azure/core-auth";
import { GraphRequestError, errorMessage } from "../domain/errors";
import { graphTarget } from "./graphClouds";
import { RestoreAccessDeniedError, directoryReadFix, isRestoreApiPath, restoreAccessFix, type GraphPrincipal, type GraphPrincipalKind } from "./restoreAccessDenied";
import { TenantConsentError } from "./tenantConsent";
import { GraphCallState, RetryMiddleware, type GraphTrafficCounters } from "./retryMiddleware";
import type { DependencySink } from "../telemetry/recorder";

/** The global cloud's Graph scope (the tenant-of-credential look-up; clients use their cloud's). */
export const GRAPH_SCOPE = "https://graph.microsoft.com/.default";
const API_VERSION = "v1.0";
/**
 * Without this header Graph serves evolvable enum members declared after `unknownFutureValue`
 * (restoreSessionStatus `failed`!) as `unknownFutureValue`.
 */
const PREFER_HEADER = "include-unknown-enum-members";

export interface GraphApiOptions {
  /** GRAPH_ENDPOINT, e.g. https://graph.microsoft.com (no version): Microsoft Graph of a national cloud, or a trusted emulator. */
  readonly endpoint: string;
  /** Emulator origins the process environment trusts with tokens (readEmulatorOrigins); empty in Azure. */
  readonly emulatorOrigins?: readonly string[];
  readonly credential: TokenCredential;
  /** Who the credential signs in as, to name the principal Graph refused (default managedIdentity). */
  readonly principalKind?: GraphPrincipalKind;
  readonly maxRetries: number;
  readonly timeoutInMs: number;
  readonly counters: GraphTrafficCounters;
  /** Takes one dependency record per HTTP attempt (telemetry). */
  readonly dependencies?: DependencySink;
  readonly baseDelayInMs?: number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface GraphCallOptions {
  /** The run's deadline: aborts the request in flight and any wait between retries. */
  readonly abortSignal?: AbortSignal;
}

/** The few Graph calls restorewatch makes, over @microsoft/microsoft-graph-client. */
export interface GraphApi {
  /** GET a path under /v1.0 (`/solutions/...`) or an @odata.nextLink (absolute, or relative with or without the version). */
  get(pathOrLink: string, options?: GraphCallOptions): Promise<unknown>;
  post(path: string, body: unknown, options?: GraphCallOptions): Promise<unknown>;
  /** The app-only scope of its cloud (an emulator: the global one). */
  readonly scope: string;
}

export function createGraphApi(options: GraphApiOptions): GraphApi {
  // Refuses, before any token is asked for, an endpoint that is neither Microsoft Graph nor a trusted emulator.
  const target = graphTarget(options.endpoint, options.emulatorOrigins ?? []);
  const endpoint = new URL(target.origin);
  const tokens = new GraphTokenProvider(options.credential, target.scope, options.principalKind ?? "managedIdentity");
  const client = graphClientFor(endpoint, tokens, options);

  const resolve = (pathOrLink: string): string => {
    const url = resolveGraphUrl(endpoint, pathOrLink);
    if (url.origin !== endpoint.origin) {
      // Never send the token, or any request, off the configured Graph host.
      throw new GraphRequestError(`Graph returned a link to another host (${url.host}); refusing to follow it`, undefined, "UnexpectedLink", url.origin);
    }
    return url.toString();
  };

  const call = async (url: string, callOptions: GraphCallOptions | undefined, send: (request: GraphRequest) => Promise<unknown>): Promise<unknown> => {
    const state = new GraphCallState(callOptions?.abortSignal);
    try {
      return await send(client.api(url).header("Prefer", PREFER_HEADER).middlewareOptions([state]));
    } catch (error) {
      // What a middleware or the credential threw comes back flattened into a GraphError: rethrow the original.
      if (state.error) throw state.error;
      if (error instanceof GraphError && tokens.lastError && error.code === tokens.lastError.name) throw tokens.lastError;
      throw toGraphRequestError(error, url, tokens.principal);
    }
  };

  return {
    scope: target.scope,
    get(pathOrLink, callOptions) {
      return call(resolve(pathOrLink), callOptions, (request) => request.get());
    },
    post(path, body, callOptions) {
      return call(resolve(path), callOptions, (request) => request.post(body));
    },
  };
}

/** Gets Graph tokens from the credential, and remembers who they were issued to (to name the principal on a 403). */
class GraphTokenProvider implements AuthenticationProvider {
  principal: GraphPrincipal | undefined;
  /** The SDK flattens errors thrown by the auth provider into a GraphError; keep ours to rethrow it intact. */
  lastError: GraphRequestError | undefined;

  constructor(
    private readonly credential: TokenCredential,
    private readonly scope: string,
    private readonly principalKind: GraphPrincipalKind,
  ) {}

  async getAccessToken(): Promise<string> {
    let token;
    try {
      token = await this.credential.getToken(this.scope);
    } catch (error) {
      // A customer tenant's missing consent already says what to do (tenantConsent.ts): kept as it is.
      this.lastError = error instanceof TenantConsentError ? error : new GraphRequestError(`could not get a token for Microsoft Graph: ${errorMessage(error)}`, undefined, "CredentialUnavailable", this.scope, { cause: error });
      throw this.lastError;
    }
    if (!token) {
      this.lastError = new GraphRequestError("the credential returned no token for Microsoft Graph", undefined, "CredentialUnavailable", this.scope);
      throw this.lastError;
    }
    const claims = readTokenClaims(token.token);
    this.principal = { kind: this.principalKind, ...(claims.oid !== undefined && { objectId: claims.oid }), ...(claims.appid !== undefined && { appId: claims.appid }) };
    return token.token;
  }
}

/** The SDK client with our middleware chain: authentication, then our retry (in place of the SDK's), then HTTP. */
function graphClientFor(endpoint: URL, tokens: AuthenticationProvider, options: GraphApiOptions): Client {
  const auth = new AuthenticationHandler(tokens);
  const retry = new RetryMiddleware({
    maxRetries: options.maxRetries,
    timeoutInMs: options.timeoutInMs,
    counters: options.counters,
    ...(options.dependencies && { dependencies: options.dependencies }),
    ...(options.baseDelayInMs !== undefined && { baseDelayInMs: options.baseDelayInMs }),
    ...(options.sleep && { sleep: options.sleep }),
  });
  auth.setNext(retry);
  retry.setNext(new HTTPMessageHandler());
  return Client.initWithMiddleware({
    middleware: auth,
    baseUrl: endpoint.origin,
    defaultVersion: API_VERSION,
    // The SDK attaches the token to Graph's own hosts only; a trusted emulator is named here.
    ...(endpoint.hostname !== "graph.microsoft.com" && { customHosts: new Set([endpoint.hostname]) }),
  });
}

/**
 * An @odata.nextLink may be absolute, or relative with or without the version segment (the docs
 * show `/solutions/backupRestore/...` for artifact lists); a path we build is relative without it.
 */
export function resolveGraphUrl(endpoint: URL, pathOrLink: string): URL {
  if (/^https?:\/\//i.test(pathOrLink)) return new URL(pathOrLink);
  const path = pathOrLink.startsWith("/") ? pathOrLink : `/${pathOrLink}`;
  const versioned = /^\/(v1\.0|beta)\//i.test(path) ? path : `/${API_VERSION}${path}`;
  return new URL(endpoint.origin + versioned);
}

function toGraphRequestError(error: unknown, url: string, principal: GraphPrincipal | undefined): GraphRequestError {
  if (error instanceof GraphRequestError) return error;
  const path = new URL(url).pathname;
  if (error instanceof GraphError) {
    const status = error.statusCode > 0 ? error.statusCode : undefined;
    const code = error.code ?? undefined;
    const detail = error.message || code || "request failed";
    const prefix = status !== undefined ? `Graph answered ${status}${code ? ` ${code}` : ""}` : "Graph request failed";
    if (status === 403 && isRestoreApiPath(path)) {
      return new RestoreAccessDeniedError(`${prefix} for ${path}: ${detail}`, restoreAccessFix(principal), principal, code, url, { cause: error });
    }
    if (status === 403 && /\/directoryObjects\/getByIds$/i.test(path)) {
      return new GraphRequestError(`${prefix} for ${path}: ${detail.replace(/[.\s]+$/, "")}. ${directoryReadFix(principal)}`, status, code, url, { cause: error });
    }
    const hint =
      status === 401
        ? principal?.kind === "appRegistration"
          ? " (the token was refused: check the app registration GRAPH_CLIENT_ID and GRAPH_TENANT_ID)"
          : " (the token was refused: check the managed identity and AZURE_CLIENT_ID)"
        : "";
    return new GraphRequestError(`${prefix} for ${path}: ${detail}${hint}`, status, code, url, { cause: error });
  }
  return new GraphRequestError(`Graph request failed for ${path}: ${errorMessage(error)}`, undefined, undefined, url, { cause: error });
}

/** The identity claims of a JWT access token, read without verification (we hold the token; we only need to name its tenant and principal). */
export interface TokenIdentityClaims {
  readonly tid?: string;
  readonly oid?: string;
  /** `appid` (v1 tokens, as Graph's are) or `azp` (v2). */
  readonly appid?: string;
}

export function readTokenClaims(token: string): TokenIdentityClaims {
  const payload = token.split(".")[1];
  if (!payload) return {};
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    return {};
  }
  if (typeof claims !== "object" || claims === null) return {};
  const text = (name: string): string | undefined => {
    const value = (claims as Record<string, unknown>)[name];
    return typeof value === "string" ? value : undefined;
  };
  const [tid, oid, appid] = [text("tid"), text("oid"), text("appid") ?? text("azp")];
  return { ...(tid !== undefined && { tid }), ...(oid !== undefined && { oid }), ...(appid !== undefined && { appid }) };
}

/** The `tid` claim of a JWT access token, read without verification. */
export function readTenantClaim(token: string): string | undefined {
  return readTokenClaims(token).tid;
}

import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { LoopbackServer } from "../loopbackServer";
import { graphError, type GraphRoute, type GraphRouteRequest, type GraphRouteResponse } from "./graphRoutes";
import { GRAPH_AUDIENCE, type TokenClaims, type TokenIssuer } from "../tokens";
import { renderArtifact, renderGranularMailboxArtifact, type ArtifactView } from "./artifacts";
import { getBulkRequest, listBulkRequests } from "./bulkRequests";
import { DirectoryObjects, getByIdsRoute } from "./directoryObjects";
import { matchRestoreEndpoint, type RestoreEndpoint } from "./endpoints";
import { artifactExpand, expandParameter, type ArtifactExpandSupport } from "./expand";
import { FAULT_CODES, matches, type Fault, type QueuedFault } from "./faults";
import { renderGranularItem } from "./granular";
import { WORKLOAD_SHAPES, type EmulatedDirectoryObject, type EmulatedSession, type EmulatedWorkload } from "./model";
import { decodeSkipToken, encodeSkipToken, itemsOffset, relativePage } from "./paging";
import { nameVisibility, type NameOptions } from "./protectionUnits";
import { renderSession, type RenderOptions } from "./render";
import type { SessionLog } from "./sessionLog";
import { TenantSessions } from "./tenantSessions";

export type {
  EmulatedArtifact,
  EmulatedArtifactStatus,
  EmulatedBulkRequest,
  EmulatedBulkRequestStatus,
  EmulatedDirectoryObject,
  EmulatedIdentity,
  EmulatedProtectionUnit,
  EmulatedSession,
  EmulatedStatus,
  EmulatedWorkload,
} from "./model";
export type { ArtifactExpandSupport } from "./expand";
export type { Fault } from "./faults";
export type { TenantSessions } from "./tenantSessions";
export { bulkResolutionError, MAX_BULK_RESOURCES } from "./bulkRequests";
export { MAX_GET_BY_IDS } from "./directoryObjects";

export interface GraphEmulatorOptions {
  tls: { cert: string; key: string };
  issuer: TokenIssuer;
  /** restoreSessions page size, default 3. */
  pageSize?: number;
  /** Artifact list page size, default 2. */
  artifactPageSize?: number;
  /** App role (or delegated scope) the restore endpoints require, default BackupRestore-Restore.Read.All; ReadWrite.All is always accepted too. */
  requiredRole?: string;
  /** Extra endpoints; they run after token verification and before the built-in endpoints, so they can also override them. */
  routes?: GraphRoute[];
  /** Emit '#microsoft.graph.sharepointRestoreSession' as the docs examples do; default false (canonical CSDL casing). */
  lowercaseSharePointType?: boolean;
  /**
   * Backup Storage serves only these applications (`appid` of the token), e.g. the tenant's registered
   * Backup Storage controller: any other principal, a managed identity included, gets 403 on the
   * restore endpoints even with the app role. Unset: any principal with the role is served. Whether
   * and how Microsoft enforces this is undocumented (graph-backup-restore.md §3).
   */
  allowedAppIds?: readonly string[];
  /** Bulk addition request list page size, default 2. */
  bulkRequestPageSize?: number;
  /**
   * Which $expand forms the artifact lists accept (default "nested"): "nested" also accepts
   * restorePoint($expand=protectionUnit), "restorePoint" only $expand=restorePoint, "none" no $expand.
   * A refused form gets Graph's 400. The public field `artifactExpand` changes it at runtime.
   */
  artifactExpand?: ArtifactExpandSupport;
  /** Artifact items carry restorePoint without $expand, as the docs examples show; default true. Else only with $expand. */
  restorePointWithoutExpand?: boolean;
  /** Serve mailbox/drive protection units' displayName and email to app-only callers too; default false (Graph: delegated only). */
  protectionUnitNamesForApps?: boolean;
  /** Serve site protection units' siteName and siteWebUrl to app-only callers; default true. */
  siteNamesForApps?: boolean;
  /** Users and groups POST /directoryObjects/getByIds knows; more with addDirectoryObject(). */
  directoryObjects?: readonly EmulatedDirectoryObject[];
}

export interface RecordedRequest {
  readonly method: string;
  /** Path with query string, e.g. `/v1.0/solutions/backupRestore/restoreSessions?$skiptoken=...`. */
  readonly path: string;
  readonly prefer?: string;
  /** The request carried a bearer token this emulator accepts for Graph (signature, expiry, audience). */
  readonly authorized: boolean;
  /** `appid` of that token: the application (or managed identity client id) that called. */
  readonly appId?: string;
  /** `oid` of that token: the caller's service principal. */
  readonly objectId?: string;
  /** `tid` of that token: the tenant whose sessions it was served. */
  readonly tenantId?: string;
  /** Status sent, 0 while the request is still pending. */
  readonly status: number;
  readonly at: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const READ_WRITE_ROLE = "BackupRestore-Restore.ReadWrite.All";
/** Audiences Graph accepts: the resource URI with or without the trailing slash, and Graph's app id. */
const GRAPH_AUDIENCES: ReadonlySet<string> = new Set([GRAPH_AUDIENCE, `${GRAPH_AUDIENCE}/`, "00000003-0000-0000-c000-000000000000"]);
const ODATA_JSON = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

// ---------------------------------------------------------------------------------------------
// Request helpers
// ---------------------------------------------------------------------------------------------

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(", ") : value;
}

/** Prefer is a comma-separated list of preferences, each possibly with `=value` or `; param`. */
function prefersUnknownEnumMembers(prefer: string | undefined): boolean {
  return (prefer ?? "").split(",").some((preference) => preference.split(/[=;]/)[0]?.trim().toLowerCase() === "include-unknown-enum-members");
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

type Authentication = { ok: true; claims: TokenClaims } | { ok: false; message: string };

/** The $skiptoken of a query, whatever its case. */
function skipTokenOf(query: URLSearchParams): string | undefined {
  return [...query.entries()].find(([key]) => key.toLowerCase() === "$skiptoken")?.[1];
}

function sessionNotFound(): GraphRouteResponse {
  return graphError(404, "RestoreSessionNotFound", "Valid ID but session not found.");
}

// ---------------------------------------------------------------------------------------------
// The emulator
// ---------------------------------------------------------------------------------------------

/**
 * An HTTPS emulator of Microsoft Graph's restore-session endpoints (v1.0 and beta): sessions, their
 * standard and granular artifact lists (restore points and protection units per $expand), bulk
 * addition requests, and POST /directoryObjects/getByIds to name the units' users and groups.
 */
export class GraphEmulator {
  readonly requests: RecordedRequest[] = [];
  /** Which $expand forms the artifact lists accept; see GraphEmulatorOptions.artifactExpand. Settable between requests. */
  artifactExpand: ArtifactExpandSupport;
  /** The default tenant's sessions, and those of tenants given their own (tenant()), by tid. */
  private readonly home = new TenantSessions();
  private readonly tenants = new Map<string, TenantSessions>();
  private readonly directory = new DirectoryObjects();
  private readonly directoryRoute: GraphRoute;
  private readonly faults: QueuedFault[] = [];
  private readonly pageSize: number;
  private readonly artifactPageSize: number;
  private readonly bulkRequestPageSize: number;
  private readonly requiredRole: string;
  private readonly nameOptions: NameOptions;

  private readonly server: LoopbackServer;

  private constructor(private readonly options: GraphEmulatorOptions) {
    this.server = new LoopbackServer(
      options.tls,
      (request, response) => this.handle(request, response),
      (response, error) => this.send(response, undefined, graphError(500, "InternalServerError", error instanceof Error ? error.message : String(error))),
    );
    this.pageSize = options.pageSize ?? 3;
    this.artifactPageSize = options.artifactPageSize ?? 2;
    this.bulkRequestPageSize = options.bulkRequestPageSize ?? 2;
    this.requiredRole = options.requiredRole ?? "BackupRestore-Restore.Read.All";
    if (this.pageSize < 1 || this.artifactPageSize < 1 || this.bulkRequestPageSize < 1) throw new RangeError("page sizes must be at least 1");
    this.artifactExpand = options.artifactExpand ?? "nested";
    this.nameOptions = { protectionUnitNamesForApps: options.protectionUnitNamesForApps ?? false, siteNamesForApps: options.siteNamesForApps ?? true };
    for (const object of options.directoryObjects ?? []) this.directory.add(object);
    this.directoryRoute = getByIdsRoute(this.directory, () => this.url);
  }

  static async start(options: GraphEmulatorOptions): Promise<GraphEmulator> {
    const emulator = new GraphEmulator(options);
    await emulator.server.listen();
    return emulator;
  }

  /** https://127.0.0.1:<port>, the GRAPH_ENDPOINT of the app under test. */
  get url(): string {
    return this.server.origin;
  }

  // --- state -----------------------------------------------------------------------------------

  createSession(input: Partial<EmulatedSession> & { workload: EmulatedWorkload }): EmulatedSession {
    return this.home.createSession(input);
  }

  updateSession(id: string, patch: Partial<EmulatedSession>): EmulatedSession {
    return this.home.updateSession(id, patch);
  }

  removeSession(id: string): void {
    this.home.removeSession(id);
  }

  /** The live session object (mutating it directly does not bump lastModifiedDateTime). */
  session(id: string): EmulatedSession | undefined {
    return this.home.session(id);
  }

  sessions(): EmulatedSession[] {
    return this.home.sessions();
  }

  /**
   * The sessions of tenant `tenantId` (created empty on first use): served to tokens whose `tid` is
   * that tenant, and to no other. A token of a tenant never named here gets the default tenant's
   * sessions (the methods above), so a single-tenant test needs none of this.
   */
  tenant(tenantId: string): TenantSessions {
    const key = tenantId.toLowerCase();
    let sessions = this.tenants.get(key);
    if (!sessions) {
      sessions = new TenantSessions();
      this.tenants.set(key, sessions);
    }
    return sessions;
  }

  /** The session store a token's tenant reads. */
  private logFor(claims: TokenClaims): SessionLog {
    return (this.tenants.get(claims.tid.toLowerCase()) ?? this.home).log;
  }

  /** Adds a user or group for POST /directoryObjects/getByIds (replacing one with the same id). */
  addDirectoryObject(object: EmulatedDirectoryObject): void {
    this.directory.add(object);
  }

  directoryObjects(): EmulatedDirectoryObject[] {
    return this.directory.all();
  }

  // --- faults and inspection ---------------------------------------------------------------------

  /** The next `times` requests whose path (with query) matches answer with the fault instead; queued faults are matched in order. */
  injectFault(match: RegExp, fault: Fault, times = 1): void {
    if (!Number.isInteger(times) || times < 1) throw new RangeError("times must be a positive integer");
    this.faults.push({ match, fault, remaining: times });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  requestCount(match?: RegExp): number {
    return match ? this.requests.filter((r) => matches(match, r.path)).length : this.requests.length;
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  // --- request handling --------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url);
    const prefer = headerValue(req.headers.prefer);
    const auth = this.authenticate(req.headers.authorization);
    const caller = auth.ok ? { ...(auth.claims.appid !== undefined && { appId: auth.claims.appid }), objectId: auth.claims.oid, tenantId: auth.claims.tid } : {};
    const record: Mutable<RecordedRequest> = { method: req.method ?? "GET", path: url.pathname + url.search, authorized: auth.ok, ...caller, status: 0, at: Date.now(), ...(prefer !== undefined && { prefer }) };
    this.requests.push(record);

    const fault = this.takeFault(record.path);
    if (fault) {
      if (fault.delayMs && !(await this.wait(fault.delayMs, res))) return;
      if (fault.destroySocket) return this.reset(res, record, fault.status);
      if (fault.status >= 400 || fault.body !== undefined) return this.sendFault(res, record, fault);
    }
    const body = req.method === "GET" || req.method === "HEAD" ? "" : await readBody(req);
    this.send(res, record, await this.route(req, url, auth, body, prefer));
  }

  private async route(req: IncomingMessage, url: URL, auth: Authentication, rawBody: string, prefer: string | undefined): Promise<GraphRouteResponse> {
    if (!auth.ok) {
      return { ...graphError(401, "InvalidAuthenticationToken", auth.message), headers: { "WWW-Authenticate": 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"' } };
    }
    const versionMatch = /^\/(v1\.0|beta)(\/.*)?$/.exec(url.pathname);
    if (!versionMatch) return graphError(400, "BadRequest", `Invalid version: ${url.pathname.split("/")[1] ?? ""}`);
    let body: unknown;
    if (rawBody.length > 0) {
      try {
        body = JSON.parse(rawBody);
      } catch {
        return graphError(400, "BadRequest", "Unable to read JSON request payload.");
      }
    }
    const version = versionMatch[1] as "v1.0" | "beta";
    const request: GraphRouteRequest = { method: req.method ?? "GET", path: versionMatch[2] ?? "/", version, query: url.searchParams, headers: req.headers, body, claims: auth.claims };
    // Mounted routes first (they may override), then the built-in getByIds, then the restore endpoints.
    for (const mounted of [...(this.options.routes ?? []), this.directoryRoute]) {
      const response = await mounted(request);
      if (response) return response;
    }
    return this.routeRestore(request, prefer);
  }

  private routeRestore(request: GraphRouteRequest, prefer: string | undefined): GraphRouteResponse {
    const segments = request.path.split("/").filter((s) => s.length > 0).map((s) => decodeURIComponent(s));
    const [solutions, backupRestore, ...rest] = segments;
    if (solutions?.toLowerCase() !== "solutions") return this.notFound(solutions ?? "");
    if (backupRestore?.toLowerCase() !== "backuprestore") return this.notFound(backupRestore ?? solutions);
    if (rest.length === 0) return this.notFound(backupRestore); // the root itself is not emulated
    const endpoint = matchRestoreEndpoint(rest);
    if (!endpoint) return this.notFound(rest[0] ?? request.path);
    if (request.method !== "GET") {
      return { ...graphError(405, "MethodNotAllowed", `The HTTP method '${request.method}' is not supported for this resource by the emulator.`), headers: { Allow: "GET" } };
    }
    if (!this.hasRestoreReadRole(request.claims)) return graphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
    if (!this.isAllowedApp(request.claims)) return graphError(403, "Forbidden", "The calling application is not authorized to access Microsoft 365 Backup Storage in this tenant.");
    return this.serveRestore(endpoint, request, { includeUnknownEnumMembers: prefersUnknownEnumMembers(prefer), lowercaseSharePointType: this.options.lowercaseSharePointType ?? false });
  }

  private serveRestore(endpoint: RestoreEndpoint, request: GraphRouteRequest, render: RenderOptions): GraphRouteResponse {
    const log = this.logFor(request.claims);
    switch (endpoint.kind) {
      case "list":
        return this.listSessions(log, request.version, skipTokenOf(request.query), render);
      case "get": {
        const session = log.get(endpoint.id);
        if (!session) return sessionNotFound();
        const item = renderSession(session, render);
        const context = `${this.url}/${request.version}/$metadata#solutions/backupRestore/restoreSessions/$entity`;
        return { status: 200, body: typeof item === "object" && item !== null && !Array.isArray(item) ? { "@odata.context": context, ...item } : item };
      }
      case "artifacts":
        return this.listArtifacts(request, endpoint);
      case "bulkRequests": {
        const session = log.get(endpoint.id);
        if (!session || session.workload !== endpoint.workload) return sessionNotFound();
        const context = { origin: this.url, version: request.version, session, query: request.query, pageSize: this.bulkRequestPageSize };
        return endpoint.requestId === undefined ? listBulkRequests(context) : getBulkRequest(context, endpoint.requestId);
      }
    }
  }

  private listSessions(log: SessionLog, version: string, skipToken: string | undefined, render: RenderOptions): GraphRouteResponse {
    let from = 0;
    let end = log.highWater;
    if (skipToken !== undefined) {
      const state = decodeSkipToken(skipToken);
      if (state?.kind !== "sessions") return graphError(400, "BadRequest", "The $skiptoken is invalid.");
      ({ from, end } = state);
    }
    const page = log.page(from, end, this.pageSize);
    const base = `${this.url}/${version}`;
    return {
      status: 200,
      body: {
        "@odata.context": `${base}/$metadata#solutions/backupRestore/restoreSessions`,
        // Absolute, as Graph returns for restoreSessions.
        ...(page.next !== undefined && { "@odata.nextLink": `${base}/solutions/backupRestore/restoreSessions?$skiptoken=${encodeURIComponent(encodeSkipToken({ kind: "sessions", from: page.next, end }))}` }),
        value: page.sessions.map((s) => renderSession(s, render)),
      },
    };
  }

  /** A standard or granular artifact list. A granular session's artifacts are in its granular collection, any other's in the standard one. */
  private listArtifacts(request: GraphRouteRequest, endpoint: Extract<RestoreEndpoint, { kind: "artifacts" }>): GraphRouteResponse {
    const session = this.logFor(request.claims).get(endpoint.id);
    if (!session || session.workload !== endpoint.workload) return sessionNotFound();
    const shape = WORKLOAD_SHAPES[endpoint.workload];
    // The granular drive and site artifacts have no restorePoint navigation; the granular mailbox ones do.
    const granularItems = endpoint.granular && endpoint.workload !== "exchange";
    const expand = expandParameter(request.query);
    if (typeof expand === "object") return expand;
    const form = artifactExpand(expand, endpoint.granular ? shape.granularType : shape.artifactType, !granularItems, this.artifactExpand);
    if (typeof form === "object") return form;
    const collection = endpoint.granular ? shape.granularCollection : shape.artifactsCollection;
    const offset = itemsOffset(skipTokenOf(request.query), session.id, collection);
    if (offset === undefined) return graphError(400, "BadRequest", "The $skiptoken is invalid.");
    const view: ArtifactView = {
      restorePoint: form === "nested" ? "nested" : form === "restorePoint" || (this.options.restorePointWithoutExpand ?? true) ? "plain" : "omit",
      names: nameVisibility(request.claims, this.nameOptions),
      version: request.version,
    };
    const render = granularItems ? renderGranularItem : endpoint.granular ? renderGranularMailboxArtifact : renderArtifact;
    const page = relativePage({
      context: `${this.url}/${request.version}/$metadata#solutions/backupRestore/${shape.sessionsCollection}('${session.id}')/${collection}`,
      path: `/solutions/backupRestore/${shape.sessionsCollection}/${encodeURIComponent(session.id)}/${collection}`,
      // Like Graph, the nextLink keeps the request's $expand.
      ...(expand !== undefined && expand.trim() !== "" && { carry: `$expand=${encodeURIComponent(expand)}` }),
      session: session.id,
      collection,
      items: (session.restoreJobType === "granular") === endpoint.granular ? session.artifacts : [],
      offset,
      pageSize: this.artifactPageSize,
      render: (artifact) => render(session, artifact, view),
    });
    return { status: 200, body: page };
  }

  private authenticate(authorization: string | undefined): Authentication {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "")?.[1];
    if (!token) return { ok: false, message: "Access token is empty." };
    const verified = this.options.issuer.verify(token);
    if (!verified.ok) {
      return { ok: false, message: verified.reason === "token expired" ? "Lifetime validation failed, the token is expired." : `Access token validation failure (${verified.reason}).` };
    }
    if (!GRAPH_AUDIENCES.has(verified.claims.aud)) return { ok: false, message: "Access token validation failure. Invalid audience." };
    return { ok: true, claims: verified.claims };
  }

  private hasRestoreReadRole(claims: TokenClaims): boolean {
    const granted = new Set([...(claims.roles ?? []), ...(claims.scp ?? "").split(" ")]);
    return granted.has(this.requiredRole) || granted.has(READ_WRITE_ROLE);
  }

  private isAllowedApp(claims: TokenClaims): boolean {
    const allowed = this.options.allowedAppIds;
    return allowed === undefined || (claims.appid !== undefined && allowed.some((appId) => appId.toLowerCase() === claims.appid?.toLowerCase()));
  }

  private notFound(segment: string): GraphRouteResponse {
    return graphError(404, "ResourceNotFound", `Resource not found for the segment '${segment}'.`);
  }

  private takeFault(path: string): Fault | undefined {
    const index = this.faults.findIndex((f) => matches(f.match, path));
    const queued = this.faults[index];
    if (!queued) return undefined;
    queued.remaining -= 1;
    if (queued.remaining === 0) this.faults.splice(index, 1);
    return queued.fault;
  }

  /** Resolves true after `ms`, or false as soon as the connection closes (client gave up, or stop()). */
  private wait(ms: number, res: ServerResponse): Promise<boolean> {
    return new Promise((resolve) => {
      const onClose = (): void => {
        clearTimeout(timer);
        resolve(false);
      };
      const timer = setTimeout(() => {
        res.off("close", onClose);
        resolve(!res.destroyed);
      }, ms);
      res.once("close", onClose);
    });
  }

  private reset(res: ServerResponse, record: Mutable<RecordedRequest>, status: number): void {
    record.status = status;
    res.writeHead(status, { "Content-Type": "application/json", "Content-Length": "4096" });
    res.write('{"@odata.context":"', () => res.socket?.destroy());
  }

  private sendFault(res: ServerResponse, record: Mutable<RecordedRequest>, fault: Fault): void {
    const retryAfter = fault.retryAfterSeconds !== undefined ? { "Retry-After": String(fault.retryAfterSeconds) } : undefined;
    if (fault.body !== undefined) {
      record.status = fault.status;
      res.writeHead(fault.status, { "Content-Type": "application/json", ...retryAfter });
      res.end(fault.body);
      return;
    }
    const code = FAULT_CODES[fault.status] ?? "UnknownError";
    const message = fault.status === 429 ? "Too many requests, please retry later." : `Injected fault: HTTP ${fault.status}.`;
    const response = graphError(fault.status, code, message);
    this.send(res, record, { ...response, ...(retryAfter && { headers: retryAfter }) });
  }

  private send(res: ServerResponse, record: Mutable<RecordedRequest> | undefined, response: GraphRouteResponse): void {
    if (res.destroyed) return;
    if (record) record.status = response.status;
    const requestId = randomUUID();
    const clientRequestId = headerValue(res.req.headers["client-request-id"]) ?? requestId;
    const payload = response.body === undefined ? undefined : JSON.stringify(response.body);
    res.writeHead(response.status, {
      ...(payload !== undefined && { "Content-Type": ODATA_JSON }),
      "OData-Version": "4.0",
      "request-id": requestId,
      "client-request-id": clientRequestId,
      ...response.headers,
    });
    res.end(payload);
  }
}

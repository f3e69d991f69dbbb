import { createHash, randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { graphError, type GraphRoute, type GraphRouteResponse } from "./graphRoutes";
import { GRAPH_AUDIENCE, type TokenClaims, type TokenIssuer } from "./tokens";

export type EmulatedStatus = "draft" | "activating" | "active" | "completedWithError" | "completed" | "failed";
export type EmulatedWorkload = "exchange" | "sharePoint" | "oneDrive";
export type EmulatedArtifactStatus = "added" | "scheduling" | "scheduled" | "inProgress" | "succeeded" | "failed";

export interface EmulatedArtifact {
  id: string;
  status: EmulatedArtifactStatus;
  destinationType?: "new" | "inPlace";
  /** restoredFolderName (mailbox) or restoredSiteName (site, drive). */
  name?: string;
  /** restoredSiteWebUrl (site, drive only). */
  webUrl?: string;
  /** restoredItemCount (mailbox only); defaults to a stable number for succeeded artifacts, else 0. */
  restoredItemCount?: number;
  error?: { code: string; message: string };
  restorePointDateTime?: string;
  startDateTime?: string;
  completionDateTime?: string;
}

export interface EmulatedIdentity {
  user?: { id: string; displayName: string };
  application?: { id: string; displayName: string };
}

export interface EmulatedSession {
  id: string;
  workload: EmulatedWorkload;
  status: EmulatedStatus;
  createdDateTime: string;
  completedDateTime?: string;
  lastModifiedDateTime: string;
  createdBy?: EmulatedIdentity;
  restoreJobType?: "standard" | "bulk" | "granular";
  error?: { code: string; message: string } | null;
  artifacts: EmulatedArtifact[];
  /** Raw override: when set, served verbatim instead of the rendered item (for malformed-data tests). */
  raw?: unknown;
}

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
}

export interface Fault {
  status: number;
  /** A number, or a string sent verbatim as the Retry-After header (an HTTP date, a hostile value). */
  retryAfterSeconds?: number | string;
  /** Raw body sent verbatim as application/json (e.g. malformed JSON). */
  body?: string;
  /** Hang this long before answering. With a status below 400 and no body, the request is then served normally. */
  delayMs?: number;
  /** Send the headers and part of a body, then reset the connection. */
  destroySocket?: boolean;
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
  /** Status sent, 0 while the request is still pending. */
  readonly status: number;
  readonly at: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface WorkloadShape {
  readonly odataType: string;
  readonly sessionsCollection: string;
  readonly artifactsCollection: string;
  readonly defaultDestination: "new" | "inPlace";
}

const WORKLOAD_SHAPES: Readonly<Record<EmulatedWorkload, WorkloadShape>> = {
  exchange: { odataType: "#microsoft.graph.exchangeRestoreSession", sessionsCollection: "exchangeRestoreSessions", artifactsCollection: "mailboxRestoreArtifacts", defaultDestination: "inPlace" },
  sharePoint: { odataType: "#microsoft.graph.sharePointRestoreSession", sessionsCollection: "sharePointRestoreSessions", artifactsCollection: "siteRestoreArtifacts", defaultDestination: "new" },
  oneDrive: { odataType: "#microsoft.graph.oneDriveForBusinessRestoreSession", sessionsCollection: "oneDriveForBusinessRestoreSessions", artifactsCollection: "driveRestoreArtifacts", defaultDestination: "new" },
};

const TERMINAL: ReadonlySet<EmulatedStatus> = new Set(["completed", "completedWithError", "failed"]);
const READ_WRITE_ROLE = "BackupRestore-Restore.ReadWrite.All";
/** Audiences Graph accepts: the resource URI with or without the trailing slash, and Graph's app id. */
const GRAPH_AUDIENCES: ReadonlySet<string> = new Set([GRAPH_AUDIENCE, `${GRAPH_AUDIENCE}/`, "00000003-0000-0000-c000-000000000000"]);
const ODATA_JSON = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";
const FAULT_CODES: Readonly<Record<number, string>> = {
  400: "BadRequest",
  401: "InvalidAuthenticationToken",
  403: "Forbidden",
  404: "ResourceNotFound",
  409: "Conflict",
  429: "TooManyRequests",
  500: "InternalServerError",
  502: "BadGateway",
  503: "ServiceUnavailable",
  504: "GatewayTimeout",
};
const DAY_MS = 24 * 3600 * 1000;

// ---------------------------------------------------------------------------------------------
// Session store: insertion order, stable paging, O(log n + page) per page.
// ---------------------------------------------------------------------------------------------

interface Entry {
  readonly seq: number;
  readonly session: EmulatedSession;
  removed: boolean;
}

/**
 * Sessions in insertion order. Each entry gets an increasing sequence number and a listing is the
 * range [from, end) of sequence numbers, where `end` is fixed when the first page is served. So a
 * skiptoken is just (next seq, end): no per-listing copy, items present at the start are served once,
 * items added later are not served, and removed items are skipped.
 */
class SessionLog {
  private readonly byId = new Map<string, Entry>();
  private entries: Entry[] = [];
  private nextSeq = 0;
  private tombstones = 0;

  get highWater(): number {
    return this.nextSeq;
  }

  add(session: EmulatedSession): void {
    if (this.byId.has(session.id)) throw new Error(`session ${session.id} already exists`);
    const entry: Entry = { seq: this.nextSeq++, session, removed: false };
    this.entries.push(entry);
    this.byId.set(session.id, entry);
  }

  get(id: string): EmulatedSession | undefined {
    return this.byId.get(id)?.session;
  }

  remove(id: string): boolean {
    const entry = this.byId.get(id);
    if (!entry) return false;
    entry.removed = true;
    this.byId.delete(id);
    this.tombstones += 1;
    // Compact only when tombstones dominate, so removal stays amortised O(1).
    if (this.tombstones > 1024 && this.tombstones * 2 > this.entries.length) {
      this.entries = this.entries.filter((e) => !e.removed);
      this.tombstones = 0;
    }
    return true;
  }

  all(): EmulatedSession[] {
    return this.entries.filter((e) => !e.removed).map((e) => e.session);
  }

  /** Up to `limit` live sessions with from <= seq < end, and the seq to continue from, if any remain. */
  page(from: number, end: number, limit: number): { sessions: EmulatedSession[]; next?: number } {
    const sessions: EmulatedSession[] = [];
    let index = this.lowerBound(from);
    for (; index < this.entries.length && sessions.length < limit; index++) {
      const entry = this.entries[index];
      if (!entry || entry.seq >= end) break;
      if (!entry.removed) sessions.push(entry.session);
    }
    // Skip trailing tombstones so the last page is not followed by an empty one.
    while (this.entries[index]?.removed) index++;
    const next = this.entries[index];
    return next && next.seq < end ? { sessions, next: next.seq } : { sessions };
  }

  private lowerBound(seq: number): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.entries[mid]?.seq ?? Infinity) < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

// ---------------------------------------------------------------------------------------------
// Skiptokens: opaque base64 of a small JSON state, validated on the way back.
// ---------------------------------------------------------------------------------------------

type PageState = { kind: "sessions"; from: number; end: number } | { kind: "artifacts"; session: string; offset: number };

function encodeSkipToken(state: PageState): string {
  return Buffer.from(JSON.stringify(state), "utf8").toString("base64");
}

function decodeSkipToken(token: string): PageState | undefined {
  try {
    const value = JSON.parse(Buffer.from(token, "base64").toString("utf8")) as Partial<Record<string, unknown>>;
    if (value["kind"] === "sessions" && Number.isInteger(value["from"]) && Number.isInteger(value["end"])) return value as PageState;
    if (value["kind"] === "artifacts" && typeof value["session"] === "string" && Number.isInteger(value["offset"])) return value as PageState;
  } catch {
    // fall through: not our token
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Rendering: EmulatedSession/EmulatedArtifact -> Graph JSON shapes (see graph-fixtures.json).
// ---------------------------------------------------------------------------------------------

interface RenderOptions {
  readonly includeUnknownEnumMembers: boolean;
  readonly lowercaseSharePointType: boolean;
}

/** A GUID derived from a string, so rendered ids (restore points, restored folders) are stable across requests. */
function stableGuid(seed: string): string {
  const hex = createHash("sha256").update(seed).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function publicError(error: { code: string; message: string } | null | undefined): unknown {
  return error ? { code: error.code, message: error.message, target: null, details: [], innerError: null } : null;
}

function artifactCount(session: EmulatedSession): { total: number; completed: number; inProgress: number; failed: number } {
  const counts = { total: session.artifacts.length, completed: 0, inProgress: 0, failed: 0 };
  // NOTE: draft semantics are undocumented; like the fixtures, a draft counts its artifacts in total only.
  if (session.status === "draft") return counts;
  for (const artifact of session.artifacts) {
    if (artifact.status === "succeeded") counts.completed += 1;
    else if (artifact.status === "failed") counts.failed += 1;
    else counts.inProgress += 1;
  }
  return counts;
}

function renderSession(session: EmulatedSession, options: RenderOptions): unknown {
  if (session.raw !== undefined) return session.raw;
  const odataType = session.workload === "sharePoint" && options.lowercaseSharePointType ? "#microsoft.graph.sharepointRestoreSession" : WORKLOAD_SHAPES[session.workload].odataType;
  // Graph hides enum members declared after unknownFutureValue unless the caller opts in.
  const status = session.status === "failed" && !options.includeUnknownEnumMembers ? "unknownFutureValue" : session.status;
  const jobType = session.restoreJobType ?? "standard";
  return {
    "@odata.type": odataType,
    id: session.id,
    status,
    restoreJobType: jobType === "granular" && !options.includeUnknownEnumMembers ? "unknownFutureValue" : jobType,
    restoreSessionArtifactCount: artifactCount(session),
    createdBy: session.createdBy ?? null,
    createdDateTime: session.createdDateTime,
    lastModifiedBy: session.createdBy ?? null,
    lastModifiedDateTime: session.lastModifiedDateTime,
    completedDateTime: session.completedDateTime ?? null,
    error: publicError(session.error),
  };
}

function renderArtifact(session: EmulatedSession, artifact: EmulatedArtifact): unknown {
  const restored = artifact.name !== undefined || artifact.webUrl !== undefined;
  const own =
    session.workload === "exchange"
      ? {
          restoredFolderId: restored ? stableGuid(`${artifact.id}/folder`) : null,
          restoredFolderName: artifact.name ?? null,
          restoredItemCount: artifact.restoredItemCount ?? (artifact.status === "succeeded" ? 1 + (parseInt(stableGuid(artifact.id).slice(0, 4), 16) % 2000) : 0),
        }
      : {
          restoredSiteId: restored ? stableGuid(`${artifact.id}/site`) : null,
          restoredSiteName: artifact.name ?? null,
          restoredSiteWebUrl: artifact.webUrl ?? null,
        };
  // Restore point: the given time, else the last full hour a day before the session was created.
  const protectedAt = artifact.restorePointDateTime ? Date.parse(artifact.restorePointDateTime) : Math.floor((Date.parse(session.createdDateTime) - DAY_MS) / 3_600_000) * 3_600_000;
  return {
    id: artifact.id,
    destinationType: artifact.destinationType ?? WORKLOAD_SHAPES[session.workload].defaultDestination,
    status: artifact.status,
    startDateTime: artifact.startDateTime ?? null,
    completionDateTime: artifact.completionDateTime ?? null,
    ...own,
    error: publicError(artifact.error),
    restorePoint: {
      id: `${stableGuid(`${artifact.id}/restorePoint`)}_${Math.floor(protectedAt / 1000)}_12_2`,
      protectionDateTime: new Date(protectedAt).toISOString(),
      expirationDateTime: new Date(protectedAt + 365 * DAY_MS).toISOString(),
      tags: "none",
    },
  };
}

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

interface QueuedFault {
  readonly match: RegExp;
  readonly fault: Fault;
  remaining: number;
}

function matches(pattern: RegExp, value: string): boolean {
  pattern.lastIndex = 0; // a /g or /y pattern is stateful
  return pattern.test(value);
}

// ---------------------------------------------------------------------------------------------
// The emulator
// ---------------------------------------------------------------------------------------------

/** An HTTPS emulator of Microsoft Graph's restore-session endpoints (v1.0 and beta). */
export class GraphEmulator {
  readonly requests: RecordedRequest[] = [];
  private readonly log = new SessionLog();
  private readonly faults: QueuedFault[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly pageSize: number;
  private readonly artifactPageSize: number;
  private readonly requiredRole: string;

  private constructor(
    private readonly server: https.Server,
    readonly url: string,
    private readonly options: GraphEmulatorOptions,
  ) {
    this.pageSize = options.pageSize ?? 3;
    this.artifactPageSize = options.artifactPageSize ?? 2;
    this.requiredRole = options.requiredRole ?? "BackupRestore-Restore.Read.All";
    if (this.pageSize < 1 || this.artifactPageSize < 1) throw new RangeError("page sizes must be at least 1");
  }

  static async start(options: GraphEmulatorOptions): Promise<GraphEmulator> {
    const server = https.createServer({ cert: options.tls.cert, key: options.tls.key });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const emulator = new GraphEmulator(server, `https://127.0.0.1:${port}`, options);
    server.on("connection", (socket: Socket) => {
      emulator.sockets.add(socket);
      socket.once("close", () => emulator.sockets.delete(socket));
    });
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      emulator.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) emulator.send(res, undefined, graphError(500, "InternalServerError", error instanceof Error ? error.message : String(error)));
        else res.destroy();
      });
    });
    return emulator;
  }

  // --- state -----------------------------------------------------------------------------------

  createSession(input: Partial<EmulatedSession> & { workload: EmulatedWorkload }): EmulatedSession {
    const now = new Date().toISOString();
    const status = input.status ?? "draft";
    const lastModifiedDateTime = input.lastModifiedDateTime ?? input.createdDateTime ?? now;
    const session: EmulatedSession = {
      id: input.id ?? randomUUID(),
      workload: input.workload,
      status,
      restoreJobType: input.restoreJobType ?? "standard",
      createdBy: input.createdBy ?? { application: { id: "4d43deb5-3880-41de-b9fd-9702b6bc8abb", displayName: "Contoso Backup Controller" } },
      createdDateTime: input.createdDateTime ?? now,
      lastModifiedDateTime,
      completedDateTime: input.completedDateTime ?? (TERMINAL.has(status) ? lastModifiedDateTime : undefined),
      error: input.error ?? null,
      artifacts: input.artifacts ?? [],
      ...(input.raw !== undefined && { raw: input.raw }),
    };
    this.log.add(session);
    return session;
  }

  updateSession(id: string, patch: Partial<EmulatedSession>): EmulatedSession {
    const session = this.log.get(id);
    if (!session) throw new Error(`no session ${id}`);
    if (patch.id !== undefined && patch.id !== id) throw new Error("a session's id cannot change");
    const wasTerminal = TERMINAL.has(session.status);
    Object.assign(session, patch);
    // Strictly increasing, so a poller comparing lastModifiedDateTime sees every update.
    session.lastModifiedDateTime = patch.lastModifiedDateTime ?? new Date(Math.max(Date.now(), Date.parse(session.lastModifiedDateTime) + 1)).toISOString();
    if (patch.completedDateTime === undefined) {
      if (!wasTerminal && TERMINAL.has(session.status)) session.completedDateTime = session.lastModifiedDateTime;
      if (!TERMINAL.has(session.status)) session.completedDateTime = undefined;
    }
    return session;
  }

  removeSession(id: string): void {
    if (!this.log.remove(id)) throw new Error(`no session ${id}`);
  }

  /** The live session object (mutating it directly does not bump lastModifiedDateTime). */
  session(id: string): EmulatedSession | undefined {
    return this.log.get(id);
  }

  sessions(): EmulatedSession[] {
    return this.log.all();
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

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  // --- request handling --------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url);
    const prefer = headerValue(req.headers.prefer);
    const auth = this.authenticate(req.headers.authorization);
    const caller = auth.ok ? { ...(auth.claims.appid !== undefined && { appId: auth.claims.appid }), objectId: auth.claims.oid } : {};
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
    const version = versionMatch[1] as "v1.0" | "beta";
    const path = versionMatch[2] ?? "/";
    const method = req.method ?? "GET";

    let body: unknown;
    if (rawBody.length > 0) {
      try {
        body = JSON.parse(rawBody);
      } catch {
        return graphError(400, "BadRequest", "Unable to read JSON request payload.");
      }
    }
    for (const mounted of this.options.routes ?? []) {
      const response = await mounted({ method, path, version, query: url.searchParams, headers: req.headers, body, claims: auth.claims });
      if (response) return response;
    }

    const segments = path.split("/").filter((s) => s.length > 0).map((s) => decodeURIComponent(s));
    const [solutions, backupRestore, ...rest] = segments;
    if (solutions?.toLowerCase() !== "solutions") return this.notFound(solutions ?? "");
    if (backupRestore?.toLowerCase() !== "backuprestore") return this.notFound(backupRestore ?? solutions);
    if (rest.length === 0) return this.notFound(backupRestore); // the root itself is not emulated
    const endpoint = this.matchRestoreEndpoint(rest);
    if (!endpoint) return this.notFound(rest[0] ?? path);
    if (method !== "GET") {
      return { ...graphError(405, "MethodNotAllowed", `The HTTP method '${method}' is not supported for this resource by the emulator.`), headers: { Allow: "GET" } };
    }
    if (!this.hasRestoreReadRole(auth.claims)) return graphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
    if (!this.isAllowedApp(auth.claims)) return graphError(403, "Forbidden", "The calling application is not authorized to access Microsoft 365 Backup Storage in this tenant.");

    const render: RenderOptions = { includeUnknownEnumMembers: prefersUnknownEnumMembers(prefer), lowercaseSharePointType: this.options.lowercaseSharePointType ?? false };
    const skipToken = url.searchParams.get("$skiptoken") ?? url.searchParams.get("$skipToken") ?? undefined;
    switch (endpoint.kind) {
      case "list":
        return this.listSessions(version, skipToken, render);
      case "get": {
        const session = this.log.get(endpoint.id);
        if (!session) return graphError(404, "RestoreSessionNotFound", "Valid ID but session not found.");
        const item = renderSession(session, render);
        const context = `${this.url}/${version}/$metadata#solutions/backupRestore/restoreSessions/$entity`;
        return { status: 200, body: typeof item === "object" && item !== null && !Array.isArray(item) ? { "@odata.context": context, ...item } : item };
      }
      case "artifacts":
        return this.listArtifacts(version, endpoint.id, endpoint.workload, skipToken);
    }
  }

  private matchRestoreEndpoint(rest: string[]): { kind: "list" } | { kind: "get"; id: string } | { kind: "artifacts"; id: string; workload: EmulatedWorkload } | undefined {
    const [collection, id, child, ...more] = rest;
    if (more.length > 0 || !collection) return undefined;
    if (collection.toLowerCase() === "restoresessions" && child === undefined) return id === undefined ? { kind: "list" } : { kind: "get", id };
    if (id === undefined || child === undefined) return undefined;
    for (const [workload, shape] of Object.entries(WORKLOAD_SHAPES) as [EmulatedWorkload, WorkloadShape][]) {
      if (collection.toLowerCase() === shape.sessionsCollection.toLowerCase() && child.toLowerCase() === shape.artifactsCollection.toLowerCase()) return { kind: "artifacts", id, workload };
    }
    return undefined;
  }

  private listSessions(version: string, skipToken: string | undefined, render: RenderOptions): GraphRouteResponse {
    let from = 0;
    let end = this.log.highWater;
    if (skipToken !== undefined) {
      const state = decodeSkipToken(skipToken);
      if (state?.kind !== "sessions") return graphError(400, "BadRequest", "The $skiptoken is invalid.");
      ({ from, end } = state);
    }
    const page = this.log.page(from, end, this.pageSize);
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

  private listArtifacts(version: string, id: string, workload: EmulatedWorkload, skipToken: string | undefined): GraphRouteResponse {
    const session = this.log.get(id);
    if (!session || session.workload !== workload) return graphError(404, "RestoreSessionNotFound", "Valid ID but session not found.");
    let offset = 0;
    if (skipToken !== undefined) {
      const state = decodeSkipToken(skipToken);
      if (state?.kind !== "artifacts" || state.session !== id) return graphError(400, "BadRequest", "The $skiptoken is invalid.");
      offset = state.offset;
    }
    const shape = WORKLOAD_SHAPES[workload];
    const next = offset + this.artifactPageSize;
    const relativePath = `/solutions/backupRestore/${shape.sessionsCollection}/${encodeURIComponent(id)}/${shape.artifactsCollection}`;
    return {
      status: 200,
      body: {
        "@odata.context": `${this.url}/${version}/$metadata#solutions/backupRestore/${shape.sessionsCollection}('${id}')/${shape.artifactsCollection}`,
        // Relative and without the version, as the docs show for the artifact lists.
        ...(next < session.artifacts.length && { "@odata.nextLink": `${relativePath}?$skiptoken=${encodeURIComponent(encodeSkipToken({ kind: "artifacts", session: id, offset: next }))}` }),
        value: session.artifacts.slice(offset, next).map((a) => renderArtifact(session, a)),
      },
    };
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

import { EventEmitter } from "node:events";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** One request as the proxy saw it. */
export interface ProxiedRequest {
  /** 1-based arrival order. */
  readonly seq: number;
  readonly method: string;
  /** Path with query, percent-decoded (so `RowKey='alert_...'` can be matched as written). */
  readonly path: string;
  /** Request body as text ($batch bodies are multipart text with the entities' JSON). */
  readonly body: string;
  /** What happened to it: the upstream status, or the fault that answered it. */
  outcome?: string;
}

/**
 * What the proxy does with a matching request:
 * - `status`: answers itself with this status and a Table Storage error body; Azurite never sees it;
 * - `reset`: destroys the client's connection without forwarding (a network failure before the service);
 * - `hold`: parks the request until releaseHeld() (a slow service, or a point to kill a process at);
 * - `holdResponse`: forwards it, then parks Azurite's answer (the write is committed, the client does not know yet);
 * - `dropResponse`: forwards it, then resets the client's connection (committed, but the answer is lost).
 */
export type ProxyAction =
  | { readonly kind: "status"; readonly status: number; readonly code?: string; readonly retryAfterSeconds?: number }
  | { readonly kind: "reset" }
  | { readonly kind: "hold" }
  | { readonly kind: "holdResponse" }
  | { readonly kind: "dropResponse" };

export type RequestMatcher = (request: ProxiedRequest) => boolean;

interface Rule {
  readonly match: RequestMatcher;
  readonly action: ProxyAction;
  /** Matching requests to let through untouched before the rule applies. */
  skip: number;
  remaining: number;
}

interface Held {
  readonly request: ProxiedRequest;
  readonly res: ServerResponse;
  /** Forward (or, for a held response, deliver it) — or drop it. */
  readonly release: (forward: boolean) => void;
}

/** Matchers for Table Storage requests. */
export const tableRequests = {
  /** An entity-group transaction. */
  batch: (request: ProxiedRequest): boolean => request.method === "POST" && /\/\$batch(\?|$)/.test(request.path),
  /** A $batch whose operations touch rows whose key starts with `prefix` (e.g. `alert_`). */
  batchWith: (prefix: string): RequestMatcher => (request) => tableRequests.batch(request) && request.body.includes(`"RowKey":"${prefix}`),
  /** A single-entity write (update/merge/upsert: PUT, PATCH or MERGE) of a row whose key starts with `prefix`. */
  entityWrite: (prefix: string): RequestMatcher => (request) => ["PUT", "PATCH", "MERGE"].includes(request.method) && request.path.includes(`RowKey='${prefix}`),
  /** The $batch that writes delivery outcomes (Outbox.updateManyDeliveries: deliveries, lease cleared). */
  deliveryMarks: (): RequestMatcher => (request) => tableRequests.batch(request) && request.body.includes('"leaseUntil":""') && request.body.includes('"deliveries":'),
  /** Create Table (POST /Tables): an action on the account, not on any one table. */
  createTable: (request: ProxiedRequest): boolean => request.method === "POST" && /\/Tables(\?|$)/.test(request.path),
  /** Any request at all. */
  any: (): boolean => true,
} as const;

/**
 * An HTTP proxy in front of Azurite's Table endpoint that injects faults at the wire: pass-through by
 * default, with rules that answer a status, reset the connection, hold a request or its answer, or
 * lose the answer of a committed write; it can also refuse every connection (storage unreachable).
 * Every request is logged, and tests can await a matching request or answer.
 */
export class FaultProxy {
  readonly requests: ProxiedRequest[] = [];
  private readonly rules: Rule[] = [];
  private readonly held: Held[] = [];
  private readonly events = new EventEmitter();
  private readonly sockets = new Set<Socket>();
  private readonly agent = new http.Agent({ keepAlive: true });
  private refusing = false;

  private constructor(
    private readonly server: http.Server,
    private readonly target: { readonly host: string; readonly port: number },
  ) {
    this.events.setMaxListeners(100);
  }

  static async start(target: { host?: string; port: number }): Promise<FaultProxy> {
    const server = http.createServer();
    const proxy = new FaultProxy(server, { host: target.host ?? "127.0.0.1", port: target.port });
    server.on("connection", (socket: Socket) => {
      if (proxy.refusing) {
        socket.destroy();
        return;
      }
      proxy.sockets.add(socket);
      socket.once("close", () => proxy.sockets.delete(socket));
    });
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      proxy.handle(req, res).catch(() => res.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The same connection string with the table endpoint moved to this proxy. */
  connectionStringFor(azuriteConnectionString: string): string {
    return azuriteConnectionString.replace(/TableEndpoint=http:\/\/[^/;]+/, `TableEndpoint=http://127.0.0.1:${this.port}`);
  }

  /** Applies `action` to the matching requests after the first `skip` of them, `times` times (default: until cleared). */
  rule(match: RequestMatcher, action: ProxyAction, options: { skip?: number; times?: number } = {}): void {
    this.rules.push({ match, action, skip: options.skip ?? 0, remaining: options.times ?? Number.POSITIVE_INFINITY });
  }

  clearRules(): void {
    this.rules.length = 0;
  }

  /** While on, every new connection is closed at once and open ones are cut: the storage account is unreachable. */
  refuseConnections(on: boolean): void {
    this.refusing = on;
    if (on) for (const socket of this.sockets) socket.destroy();
  }

  /** Requests parked by `hold` or `holdResponse`. */
  get heldCount(): number {
    return this.held.length;
  }

  /** Lets parked requests go on (forward = true) or drops them (their client gets a reset). */
  releaseHeld(forward = true): void {
    for (const held of this.held.splice(0)) held.release(forward);
  }

  /** Resolves once `count` requests (or answers) are parked at the same time. */
  whenHeld(count: number, timeoutInMs = 20_000): Promise<void> {
    if (this.held.length >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.events.off("held", listener);
        reject(new Error(`the proxy never held ${count} requests at once within ${timeoutInMs} ms (holds ${this.held.length})`));
      }, timeoutInMs);
      const listener = (): void => {
        if (this.held.length < count) return;
        clearTimeout(timer);
        this.events.off("held", listener);
        resolve();
      };
      this.events.on("held", listener);
    });
  }

  count(match: RequestMatcher = tableRequests.any): number {
    return this.requests.filter(match).length;
  }

  /**
   * Resolves with the next matching request once it reaches `phase`: `request` when it arrived (and was
   * read), `held` when a rule parked it or its answer, `answered` when its answer (or fault) was settled.
   */
  next(match: RequestMatcher, phase: "request" | "held" | "answered" = "request", timeoutInMs = 20_000): Promise<ProxiedRequest> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.events.off(phase, listener);
        reject(new Error(`the proxy saw no matching request reach '${phase}' within ${timeoutInMs} ms`));
      }, timeoutInMs);
      const listener = (request: ProxiedRequest): void => {
        if (!match(request)) return;
        clearTimeout(timer);
        this.events.off(phase, listener);
        resolve(request);
      };
      this.events.on(phase, listener);
    });
  }

  async stop(): Promise<void> {
    this.releaseHeld(false);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.agent.destroy();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const request: ProxiedRequest = { seq: this.requests.length + 1, method: req.method ?? "GET", path: safeDecode(req.url ?? "/"), body: raw.toString("utf8") };
    this.requests.push(request);
    this.events.emit("request", request);

    const action = this.takeAction(request);
    const settle = (outcome: string): void => {
      request.outcome = outcome;
      this.events.emit("answered", request);
    };
    switch (action?.kind) {
      case "status":
        answerWithError(res, action.status, action.code, action.retryAfterSeconds);
        return settle(`fault ${action.status}`);
      case "reset":
        res.socket?.destroy();
        return settle("fault reset");
      case "hold":
        this.park(request, res, (forward) => {
          if (!forward || res.destroyed) {
            res.socket?.destroy();
            return settle("dropped while held");
          }
          void this.forward(req, raw).then(
            (upstream) => {
              relay(res, upstream);
              settle(`${upstream.status} after a hold`);
            },
            () => {
              res.socket?.destroy();
              settle("upstream failed");
            },
          );
        });
        return;
      default:
        break;
    }

    let upstream: Upstream;
    try {
      upstream = await this.forward(req, raw);
    } catch {
      res.socket?.destroy();
      return settle("upstream failed");
    }
    if (action?.kind === "dropResponse") {
      res.socket?.destroy();
      return settle(`${upstream.status} committed, answer lost`);
    }
    if (action?.kind === "holdResponse") {
      request.outcome = `${upstream.status} held`;
      this.park(request, res, (forward) => {
        if (forward && !res.destroyed) relay(res, upstream);
        else res.socket?.destroy();
        settle(`${upstream.status} ${forward ? "after a held answer" : "committed, answer dropped while held"}`);
      });
      return;
    }
    relay(res, upstream);
    settle(String(upstream.status));
  }

  private park(request: ProxiedRequest, res: ServerResponse, release: (forward: boolean) => void): void {
    this.held.push({ request, res, release });
    this.events.emit("held", request);
  }

  private takeAction(request: ProxiedRequest): ProxyAction | undefined {
    for (const [index, rule] of this.rules.entries()) {
      if (!rule.match(request)) continue;
      if (rule.skip > 0) {
        rule.skip--;
        continue;
      }
      rule.remaining--;
      if (rule.remaining <= 0) this.rules.splice(index, 1);
      return rule.action;
    }
    return undefined;
  }

  private forward(req: IncomingMessage, body: Buffer): Promise<Upstream> {
    return new Promise((resolve, reject) => {
      const headers = { ...req.headers, host: `${this.target.host}:${this.target.port}`, "content-length": String(body.length) };
      delete headers["transfer-encoding"];
      const upstream = http.request({ host: this.target.host, port: this.target.port, method: req.method, path: req.url, headers, agent: this.agent }, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 502, headers: response.headers, body: Buffer.concat(chunks) }));
        response.on("error", reject);
      });
      upstream.on("error", reject);
      upstream.end(body);
    });
  }
}

interface Upstream {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

function relay(res: ServerResponse, upstream: Upstream): void {
  if (res.destroyed) return;
  const headers = { ...upstream.headers, "content-length": String(upstream.body.length) };
  delete headers["transfer-encoding"];
  res.writeHead(upstream.status, headers);
  res.end(upstream.body);
}

const ERROR_CODES: Readonly<Record<number, string>> = {
  404: "ResourceNotFound",
  409: "EntityAlreadyExists",
  412: "UpdateConditionNotSatisfied",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServerBusy",
};

/** A Table Storage error in the service's JSON shape (x-ms-error-code plus an odata.error body). */
function answerWithError(res: ServerResponse, status: number, code = ERROR_CODES[status] ?? "InternalError", retryAfterSeconds?: number): void {
  const body = JSON.stringify({ "odata.error": { code, message: { lang: "en-US", value: `Injected by the fault proxy: ${status} ${code}` } } });
  res.writeHead(status, {
    "content-type": "application/json;odata=minimalmetadata;streaming=true;charset=utf-8",
    "content-length": String(Buffer.byteLength(body)),
    "x-ms-error-code": code,
    ...(retryAfterSeconds !== undefined && { "retry-after": String(retryAfterSeconds) }),
  });
  res.end(body);
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

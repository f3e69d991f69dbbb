import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { FunctionsHost, InvocationResult, RpcHttpRequest, RpcHttpResponse } from "./functionsHost";
import { authorizes, generateHostKeys, indexHttpRoutes, matchRoute, presentedKey, ROUTE_PREFIX, type HostKeys, type HttpRoute } from "./httpRoutes";

/**
 * The host's HTTP front door for the emulated host: HTTP-triggered functions at `/api/<route>` with the
 * host's routing and keys (see httpRoutes.ts), each request handed to the function as the host sends
 * it over RPC and the function's answer written back as the host writes it; and the admin endpoint
 * `POST /admin/functions/<name>` (master key) that starts a non-HTTP function, answering 202 at once.
 */

/** The timer input the host gives a timer run by hand (the admin endpoint, `--invoke`): not past due, no status. */
export const MANUAL_TIMER_INPUT = { Schedule: { AdjustForDST: true }, ScheduleStatus: null, IsPastDue: false } as const;

/** The host's request size limit (httpRuntime maxRequestLength, 100 MB). */
const MAX_BODY_BYTES = 100 * 1024 * 1024;

export interface HttpServerOptions {
  /** 0: any free port. */
  readonly port: number;
  /** The keys to accept; default: new ones (generateHostKeys). */
  readonly keys?: HostKeys;
  /** One line per request served and per function put in error. */
  readonly log?: (message: string) => void;
  /** Each invocation the server started (HTTP or admin), once it finished. */
  readonly onInvoked?: (result: InvocationResult, via: "http" | "admin") => void;
}

export class HttpTriggerServer {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly routes: readonly HttpRoute[],
    /** Functions the host put in error at indexing: name → the host's message. */
    readonly functionErrors: ReadonlyMap<string, string>,
    readonly keys: HostKeys,
  ) {}

  /** Indexes the host's HTTP functions (logging each one in error) and listens on 127.0.0.1. */
  static async start(host: FunctionsHost, options: HttpServerOptions): Promise<HttpTriggerServer> {
    const log = options.log ?? (() => undefined);
    const { routes, errors } = indexHttpRoutes(host.functions);
    for (const [name, message] of errors) log(`The '${name}' function is in error: ${message}`);
    const keys = options.keys ?? generateHostKeys(host.functions.map((fn) => fn.name));
    const handler = new RequestHandler(host, routes, keys, { ...options, log });
    const server = createServer((request, response) => void handler.handle(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port, "127.0.0.1", () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    return new HttpTriggerServer(server, `http://127.0.0.1:${port}`, routes, errors, keys);
  }

  /** The URL of an HTTP function (its route template as it stands). */
  functionUrl(name: string): string {
    const route = this.routes.find((r) => r.functionName.toLowerCase() === name.toLowerCase());
    if (!route) throw new Error(`no HTTP function named "${name}" is served`);
    return `${this.url}/${ROUTE_PREFIX}/${route.template}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

class RequestHandler {
  constructor(
    private readonly host: FunctionsHost,
    private readonly routes: readonly HttpRoute[],
    private readonly keys: HostKeys,
    private readonly options: HttpServerOptions & { readonly log: (message: string) => void },
  ) {}

  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      const url = new URL(request.url ?? "/", `http://${request.headers.host ?? "127.0.0.1"}`);
      const method = (request.method ?? "GET").toUpperCase();
      const body = await readBody(request);
      if (body === undefined) return end(response, 413);
      const headers = requestHeaders(request);
      const key = presentedKey({ get: (name) => headers[name] ?? null }, url.searchParams);
      const admin = /^\/admin\/functions\/([^/]+)\/?$/i.exec(url.pathname);
      if (admin) return this.adminInvoke(response, method, decodeURIComponent(admin[1] ?? ""), key, body);
      const match = matchRoute(this.routes, method, url.pathname);
      if (!match) return end(response, 404);
      if (!authorizes(this.keys, match.route.authLevel, match.route.functionName, key)) return end(response, 401);
      const rpc: RpcHttpRequest = { method, url: url.href, headers, query: Object.fromEntries(url.searchParams), params: match.params, ...(body.length > 0 && { body: { bytes: body } }) };
      const { result, response: answer } = await this.host.invokeHttp(match.route.functionName, rpc);
      this.options.log(`Executed 'Functions.${result.functionName}' (${result.ok ? "Succeeded" : `Failed: ${result.error ?? ""}`}, Id=${result.invocationId}, Duration=${result.durationMs}ms)`);
      this.options.onInvoked?.(result, "http");
      // A failed invocation is a 500 with no body, as the host answers; no answer at all is a 204.
      if (!result.ok) return end(response, 500);
      writeAnswer(response, answer);
    } catch (error) {
      this.options.log(`request failed in the emulated host: ${error instanceof Error ? error.message : String(error)}`);
      if (!response.headersSent) end(response, 500);
      else response.destroy();
    }
  }

  /** POST /admin/functions/<name> with `{"input": "..."}`: 202 and the function runs in the background. */
  private adminInvoke(response: ServerResponse, method: string, name: string, key: string | undefined, body: Uint8Array): void {
    if (method !== "POST") return end(response, 404);
    if (!authorizes(this.keys, "admin", name, key)) return end(response, 401);
    const fn = this.host.functions.find((f) => f.name.toLowerCase() === name.toLowerCase());
    if (!fn || fn.trigger.type.toLowerCase() === "httptrigger") return end(response, 404);
    if (body.length === 0) return end(response, 400);
    let input: unknown;
    try {
      input = (JSON.parse(Buffer.from(body).toString("utf8")) as { input?: unknown } | null)?.input;
    } catch {
      return end(response, 400);
    }
    const triggerInput = fn.trigger.type.toLowerCase() === "timertrigger" ? MANUAL_TIMER_INPUT : (input ?? null);
    end(response, 202);
    void this.host.invoke(fn.name, triggerInput).then((result) => {
      this.options.log(`Executed 'Functions.${result.functionName}' (${result.ok ? "Succeeded" : `Failed: ${result.error ?? ""}`}, Id=${result.invocationId}, Duration=${result.durationMs}ms)`);
      this.options.onInvoked?.(result, "admin");
    });
  }
}

/** The body, or undefined past the host's size limit. */
async function readBody(request: IncomingMessage): Promise<Uint8Array | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Headers as the host passes them: lower-case names, repeated values joined with ", ". */
function requestHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

function writeAnswer(response: ServerResponse, answer: RpcHttpResponse | undefined): void {
  if (!answer) return end(response, 204);
  const status = Number(answer.statusCode ?? "200");
  const body = answer.body?.bytes ?? (answer.body?.string !== undefined ? Buffer.from(answer.body.string) : new Uint8Array());
  response.writeHead(Number.isInteger(status) ? status : 500, { ...answer.headers, "content-length": String(body.length) });
  response.end(body);
}

function end(response: ServerResponse, status: number): void {
  response.writeHead(status, { "content-length": "0" });
  response.end();
}

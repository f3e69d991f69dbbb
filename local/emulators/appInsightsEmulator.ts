import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { LoopbackServer } from "./loopbackServer";
import type { TokenIssuer } from "./tokens";

/** The audience of Entra-authenticated ingestion (tokens for https://monitor.azure.com/.default). */
export const MONITOR_AUDIENCE = "https://monitor.azure.com";

export interface AppInsightsEmulatorOptions {
  readonly tls: { readonly cert: string; readonly key: string };
  /** Verifies bearer tokens (signature, lifetime, audience), as the managed-identity endpoint issued them. */
  readonly issuer: TokenIssuer;
  readonly instrumentationKey?: string;
  /** Accept /v2/track with the instrumentation key alone; default false, as with DisableLocalAuth (infra/main.bicep). */
  readonly localAuth?: boolean;
}

/** One row as Application Insights stores it (the columns restorewatch's queries read). */
export interface TelemetryRow {
  readonly table: "customEvents" | "dependencies";
  readonly timestamp: string;
  readonly name: string;
  readonly operation_Id?: string;
  readonly operation_Name?: string;
  readonly cloud_RoleName?: string;
  readonly iKey: string;
  readonly customDimensions: Readonly<Record<string, string>>;
  /** dependencies only */
  readonly id?: string;
  readonly target?: string;
  readonly type?: string;
  readonly data?: string;
  readonly resultCode?: string;
  readonly success?: boolean;
  /** Milliseconds, as the `duration` column holds it. */
  readonly duration?: number;
}

interface ItemError {
  readonly index: number;
  readonly statusCode: number;
  readonly message: string;
}

type Scripted = { readonly status: number } | { readonly itemStatus: number };

/**
 * An HTTPS stand-in for Application Insights' ingestion API (POST /v2.1/track with an Entra token,
 * /v2/track with the instrumentation key only): validates each envelope as the service does, answers
 * with its `{itemsReceived, itemsAccepted, errors[]}` body (206 when some items failed), and keeps the
 * accepted ones as rows of customEvents and dependencies.
 */
export class AppInsightsEmulator {
  readonly rows: TelemetryRow[] = [];
  /** Every request's path, status and whether it carried a bearer token (never the token). */
  readonly requests: { path: string; status: number; bearer: boolean; items: number }[] = [];
  readonly instrumentationKey: string;
  private readonly scripted: Scripted[] = [];
  private readonly server: LoopbackServer;
  private waiters: { count: number; resolve: () => void }[] = [];

  private constructor(private readonly options: AppInsightsEmulatorOptions) {
    this.instrumentationKey = options.instrumentationKey ?? randomUUID();
    this.server = new LoopbackServer(options.tls, (request, response) => this.handle(request, response));
  }

  static async start(options: AppInsightsEmulatorOptions): Promise<AppInsightsEmulator> {
    const emulator = new AppInsightsEmulator(options);
    await emulator.server.listen();
    return emulator;
  }

  get origin(): string {
    return this.server.origin;
  }

  /** APPLICATIONINSIGHTS_CONNECTION_STRING pointing here. */
  get connectionString(): string {
    return `InstrumentationKey=${this.instrumentationKey};IngestionEndpoint=${this.origin}/;LiveEndpoint=${this.origin}/`;
  }

  /** The next n requests are answered with this status (whole request), or 206 with every item failed with itemStatus. */
  respondWith(count: number, answer: Scripted): void {
    for (let i = 0; i < count; i++) this.scripted.push(answer);
  }

  /** Resolves once at least count rows are stored. */
  waitForRows(count: number): Promise<void> {
    if (this.rows.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const path = new URL(request.url ?? "/", "https://127.0.0.1").pathname.replace(/\/+/g, "/");
    const authorization = request.headers["authorization"] ?? "";
    const bearer = authorization.startsWith("Bearer ");
    const answer = (status: number, body: object, items: number): void => {
      this.requests.push({ path, status, bearer, items });
      response.writeHead(status, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify(body));
    };
    if (request.method !== "POST" || (path !== "/v2.1/track" && path !== "/v2/track")) return answer(404, { error: { message: "Not found" } }, 0);
    const items = parseItems(Buffer.concat(chunks).toString("utf8"));
    if (!items) return answer(400, { itemsReceived: 0, itemsAccepted: 0, errors: [{ index: 0, statusCode: 400, message: "Invalid JSON" }] }, 0);
    const refused = this.authenticate(path, authorization);
    if (refused) return answer(refused.status, everyItem(items.length, refused.status, refused.message), items.length);
    const scripted = this.scripted.shift();
    if (scripted && "status" in scripted) return answer(scripted.status, everyItem(items.length, scripted.status, "Scripted failure"), items.length);
    const errors: ItemError[] = [];
    items.forEach((item, index) => {
      if (scripted) return errors.push({ index, statusCode: scripted.itemStatus, message: "Scripted item failure" });
      const row = this.toRow(item);
      if (typeof row === "string") errors.push({ index, statusCode: 400, message: row });
      else this.rows.push(row);
    });
    answer(errors.length > 0 ? 206 : 200, { itemsReceived: items.length, itemsAccepted: items.length - errors.length, appId: null, errors }, items.length);
    this.notify();
  }

  /** Why the request is refused, as the service words it; undefined when it is let in. */
  private authenticate(path: string, authorization: string): { status: number; message: string } | undefined {
    if (path === "/v2/track") {
      if (this.options.localAuth) return undefined;
      return { status: 400, message: "Authentication not supported: local authentication is disabled; use /v2.1/track with a Microsoft Entra token" };
    }
    if (!authorization.startsWith("Bearer ")) return { status: 401, message: "Authorization token not found" };
    const verified = this.options.issuer.verify(authorization.slice("Bearer ".length));
    if (!verified.ok) return { status: 401, message: `Invalid token: ${verified.reason}` };
    if (verified.claims.aud !== MONITOR_AUDIENCE) return { status: 401, message: `The audience ${verified.claims.aud} is not valid; expected ${MONITOR_AUDIENCE}` };
    return undefined;
  }

  /** An accepted envelope as its row, or why the service rejects it. */
  private toRow(item: unknown): TelemetryRow | string {
    const envelope = item as { name?: unknown; time?: unknown; iKey?: unknown; tags?: Record<string, unknown>; data?: { baseType?: unknown; baseData?: Record<string, unknown> } };
    if (envelope.iKey !== this.instrumentationKey) return "Invalid instrumentation key";
    if (typeof envelope.time !== "string" || Number.isNaN(Date.parse(envelope.time))) return "Field 'time' on type 'Envelope' is required";
    const base = envelope.data?.baseData;
    if (!base || typeof base["name"] !== "string") return "Field 'name' on type 'baseData' is required";
    const properties = base["properties"] ?? {};
    if (typeof properties !== "object" || properties === null || Object.values(properties).some((v) => typeof v !== "string")) return "Field 'properties' is of incorrect type: values must be strings";
    const tag = (name: string): string | undefined => (typeof envelope.tags?.[name] === "string" ? (envelope.tags[name] as string) : undefined);
    const common = {
      timestamp: new Date(envelope.time).toISOString(),
      name: base["name"],
      iKey: envelope.iKey,
      customDimensions: properties as Record<string, string>,
      ...optional("operation_Id", tag("ai.operation.id")),
      ...optional("operation_Name", tag("ai.operation.name")),
      ...optional("cloud_RoleName", tag("ai.cloud.role")),
    };
    if (envelope.data?.baseType === "EventData") return { table: "customEvents", ...common };
    if (envelope.data?.baseType !== "RemoteDependencyData") return `Unknown baseType ${String(envelope.data?.baseType)}`;
    const duration = parseDuration(base["duration"]);
    if (duration === undefined) return "Field 'duration' on type 'RemoteDependencyData' is required (d.hh:mm:ss.fffffff)";
    if (typeof base["success"] !== "boolean") return "Field 'success' on type 'RemoteDependencyData' must be a boolean";
    return {
      table: "dependencies",
      ...common,
      duration,
      success: base["success"],
      ...optional("id", text(base["id"])),
      ...optional("target", text(base["target"])),
      ...optional("type", text(base["type"])),
      ...optional("data", text(base["data"])),
      ...optional("resultCode", text(base["resultCode"])),
    };
  }

  private notify(): void {
    const ready = this.waiters.filter((w) => this.rows.length >= w.count);
    this.waiters = this.waiters.filter((w) => this.rows.length < w.count);
    for (const waiter of ready) waiter.resolve();
  }
}

function parseItems(text: string): unknown[] | undefined {
  try {
    const body = JSON.parse(text) as unknown;
    return Array.isArray(body) ? body : [body];
  } catch {
    // The service also takes newline-delimited JSON.
    try {
      return text.split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line) as unknown);
    } catch {
      return undefined;
    }
  }
}

function everyItem(count: number, statusCode: number, message: string): object {
  return { itemsReceived: count, itemsAccepted: 0, errors: Array.from({ length: count }, (_, index) => ({ index, statusCode, message })) };
}

/** `d.hh:mm:ss.fff…` or `hh:mm:ss.fff…` in milliseconds. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const match = /^(?:(\d+)\.)?(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?$/.exec(value);
  if (!match) return undefined;
  const [, days = "0", hours = "0", minutes = "0", seconds = "0", fraction = "0"] = match;
  return ((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60_000 + Number(seconds) * 1000 + Number(`0.${fraction}`) * 1000;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

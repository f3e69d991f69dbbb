import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { LoopbackServer } from "./loopbackServer";
import type { TokenIssuer } from "./tokens";

/** Audience of Entra tokens for Communication Services (the SDK asks for `https://communication.azure.com//.default`). */
export const ACS_AUDIENCE = "https://communication.azure.com";
export const ACS_API_VERSION = "2025-09-01";
/** ACS limits per request: 10 MB in total, 50 recipients. */
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
const MAX_RECIPIENTS = 50;
const MAX_CLOCK_SKEW_MS = 15 * 60_000;
/** Azure-managed domain limits (per subscription): sends 5/min and 10/hour, status reads 10/min and 20/hour. */
const MANAGED_DOMAIN_LIMITS = {
  send: [
    { windowMs: 60_000, max: 5 },
    { windowMs: 3_600_000, max: 10 },
  ],
  operation: [
    { windowMs: 60_000, max: 10 },
    { windowMs: 3_600_000, max: 20 },
  ],
} as const;

export interface AcsEmailEmulatorOptions {
  readonly tls: { readonly cert: string; readonly key: string };
  /** Base64 access key of the connection string; a random one when absent. */
  readonly accessKey?: string;
  /** Verifies bearer tokens (audience https://communication.azure.com); without it only HMAC is accepted. */
  readonly issuer?: TokenIssuer;
  /** Status reads of a new operation that answer Running before it ends; default 0. */
  readonly runningPolls?: number;
  /** retry-after (seconds) on 202 and Running answers; default 1. */
  readonly retryAfterSeconds?: number;
  /** Enforce the Azure-managed domain limits (429 with Retry-After); default false. */
  readonly managedDomainLimits?: boolean;
  /** Clock for the rate windows and x-ms-date checks; default Date.now. */
  readonly now?: () => number;
  /**
   * The sender domains linked to the resource (an Azure-managed `<id>.azurecomm.net`, or verified custom
   * domains). When given, a send from any other domain is accepted but its operation ends Failed with
   * DomainNotLinked (as failOperations models it). Absent: any sender is accepted.
   */
  readonly linkedSenderDomains?: readonly string[];
  /** Origin of the operation-location header of accepted sends (a hostile or broken service); default this emulator's. */
  readonly operationLocationOrigin?: string;
}

export interface AcceptedMessage {
  readonly operationId: string;
  readonly sender: string;
  readonly recipients: { readonly to: string[]; readonly cc: string[]; readonly bcc: string[] };
  readonly subject: string;
  readonly html?: string;
  readonly plainText?: string;
  readonly userEngagementTrackingDisabled?: boolean;
  readonly auth: "hmac" | "bearer";
}

export interface RecordedAcsRequest {
  readonly method: string;
  /** Path with query. */
  readonly path: string;
  readonly operationId?: string;
  readonly status: number;
  readonly auth: "hmac" | "bearer" | "none";
}

export type AcsFault =
  | { readonly status: 429; readonly retryAfterSeconds?: number }
  | { readonly status: number; readonly code?: string; readonly message?: string }
  /** The request is processed (a send is accepted) but the answer comes only after hangMs: a lost response. */
  | { readonly hangMs: number };

export type OperationStatus = "Running" | "Succeeded" | "Failed";

export interface EmulatedOperation {
  status: OperationStatus;
  runningPollsLeft: number;
  readonly finalStatus: "Succeeded" | "Failed";
  readonly error?: { readonly code: string; readonly message: string };
}

interface Answer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/**
 * An HTTPS emulator of the ACS Email data plane: POST /emails:send and GET /emails/operations/{id},
 * with the SDK's HMAC-SHA256 request signing or Entra bearer tokens.
 *
 * A send that repeats an existing Operation-Id is answered as the original (202, same operation) and
 * records no second message: ACS documents no semantics for a reused id, and this is the behaviour
 * the idempotency design hopes for. `requests` still shows the repeated POST, so tests can assert the
 * client never re-posted.
 */
export class AcsEmailEmulator {
  readonly messages: AcceptedMessage[] = [];
  readonly requests: RecordedAcsRequest[] = [];
  readonly operations = new Map<string, EmulatedOperation>();
  /** Sends that reused an existing operation id. */
  duplicateSends = 0;
  managedDomainLimits: boolean;
  private readonly faults: { target: "send" | "operation"; fault: AcsFault }[] = [];
  private readonly operationFailures: { code: string; message: string }[] = [];
  private readonly rateLog = { send: [] as number[], operation: [] as number[] };
  private readonly timers = new Set<NodeJS.Timeout>();

  private readonly server: LoopbackServer;
  readonly accessKey: string;

  private constructor(private readonly options: AcsEmailEmulatorOptions) {
    this.accessKey = options.accessKey ?? randomBytes(32).toString("base64");
    this.managedDomainLimits = options.managedDomainLimits ?? false;
    this.server = new LoopbackServer(options.tls, (request, response) => this.handle(request, response));
  }

  static async start(options: AcsEmailEmulatorOptions): Promise<AcsEmailEmulator> {
    const emulator = new AcsEmailEmulator(options);
    await emulator.server.listen();
    return emulator;
  }

  get endpoint(): string {
    return this.server.origin;
  }

  get connectionString(): string {
    return `endpoint=${this.endpoint}/;accesskey=${this.accessKey}`;
  }

  /** The next n requests to the target answer with this fault instead. */
  failNext(count: number, fault: AcsFault, target: "send" | "operation" = "send"): void {
    for (let i = 0; i < count; i++) this.faults.push({ target, fault });
  }

  /** The next n accepted sends end Failed with this error (after the configured Running polls). */
  failOperations(count: number, error: { code: string; message: string }): void {
    for (let i = 0; i < count; i++) this.operationFailures.push(error);
  }

  stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    return this.server.stop();
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const url = new URL(request.url ?? "/", `https://${request.headers.host ?? "127.0.0.1"}`);
    const auth = body === undefined ? { ok: false as const, kind: "none" as const, reason: "request too large" } : this.authenticate(request, url, body);
    const route = routeOf(request.method ?? "GET", url.pathname);
    const operationId = route?.kind === "operation" ? route.operationId : headerOf(request, "operation-id");
    const record = (answer: Answer): void => {
      this.requests.push({ method: request.method ?? "GET", path: url.pathname + url.search, ...(operationId && { operationId }), status: answer.status, auth: auth.kind });
    };

    let answer: Answer;
    if (body === undefined) answer = errorAnswer(413, "RequestEntityTooLarge", "The request exceeds 10 MB.");
    else if (!auth.ok) answer = errorAnswer(401, "Denied", `Denied by the resource provider: ${auth.reason}`);
    else if (!route) answer = errorAnswer(404, "NotFound", `no route for ${request.method} ${url.pathname}`);
    else if (url.searchParams.get("api-version") === null) answer = errorAnswer(400, "MissingApiVersionParameter", "The api-version query parameter is required.");
    else {
      const faultIndex = this.faults.findIndex((entry) => entry.target === route.kind);
      const fault = faultIndex === -1 ? undefined : this.faults.splice(faultIndex, 1)[0]?.fault;
      if (fault && "hangMs" in fault) {
        answer = this.serve(route, body, auth.kind, request);
        record(answer);
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          if (!response.destroyed) send(response, answer);
        }, fault.hangMs);
        this.timers.add(timer);
        return;
      }
      answer = fault ? faultAnswer(fault) : (this.throttle(route.kind) ?? this.serve(route, body, auth.kind, request));
    }
    record(answer);
    send(response, answer);
  }

  private serve(route: Route, body: Buffer, auth: "hmac" | "bearer", request: IncomingMessage): Answer {
    return route.kind === "send" ? this.acceptSend(body, auth, headerOf(request, "operation-id")) : this.readOperation(route.operationId);
  }

  private acceptSend(raw: Buffer, auth: "hmac" | "bearer", requestedId: string | undefined): Answer {
    if (requestedId !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(requestedId)) {
      return errorAnswer(400, "InvalidOperationId", "Operation-Id must be a UUID.");
    }
    const operationId = requestedId ?? randomUUID();
    const existing = this.operations.get(operationId);
    if (existing) {
      this.duplicateSends++;
      return this.accepted(operationId, existing.status);
    }
    let message: WireMessage;
    try {
      message = JSON.parse(raw.toString("utf8")) as WireMessage;
    } catch {
      return errorAnswer(400, "InvalidRequest", "The request body is not JSON.");
    }
    const invalid = validate(message);
    if (invalid) return errorAnswer(400, "InvalidRequest", invalid);
    const failure = this.unlinkedSender(message.senderAddress ?? "") ?? this.operationFailures.shift();
    this.operations.set(operationId, {
      status: "Running",
      runningPollsLeft: this.options.runningPolls ?? 0,
      finalStatus: failure ? "Failed" : "Succeeded",
      ...(failure && { error: failure }),
    });
    this.messages.push({
      operationId,
      sender: message.senderAddress ?? "",
      recipients: { to: addresses(message.recipients?.to), cc: addresses(message.recipients?.cc), bcc: addresses(message.recipients?.bcc) },
      subject: message.content?.subject ?? "",
      ...(message.content?.html !== undefined && { html: message.content.html }),
      ...(message.content?.plainText !== undefined && { plainText: message.content.plainText }),
      ...(message.userEngagementTrackingDisabled !== undefined && { userEngagementTrackingDisabled: message.userEngagementTrackingDisabled }),
      auth,
    });
    return this.accepted(operationId, "Running");
  }

  /** The DomainNotLinked failure a send from this sender ends with, or undefined when its domain is linked (or any is). */
  private unlinkedSender(sender: string): { code: string; message: string } | undefined {
    const linked = this.options.linkedSenderDomains;
    if (linked === undefined) return undefined;
    const domain = sender.slice(sender.lastIndexOf("@") + 1).toLowerCase();
    return linked.some((d) => d.toLowerCase() === domain) ? undefined : { code: "DomainNotLinked", message: "The specified sender domain has not been linked." };
  }

  private accepted(operationId: string, status: OperationStatus): Answer {
    return {
      status: 202,
      body: { id: operationId, status },
      headers: {
        "operation-location": `${this.options.operationLocationOrigin ?? this.endpoint}/emails/operations/${operationId}?api-version=${ACS_API_VERSION}`,
        "operation-id": operationId,
        "retry-after": String(this.options.retryAfterSeconds ?? 1),
      },
    };
  }

  private readOperation(operationId: string): Answer {
    const operation = this.operations.get(operationId);
    if (!operation) return errorAnswer(404, "NotFound", `Operation ${operationId} was not found.`);
    if (operation.status === "Running") {
      if (operation.runningPollsLeft > 0) operation.runningPollsLeft--;
      else operation.status = operation.finalStatus;
    }
    const running = operation.status === "Running";
    return {
      status: 200,
      body: { id: operationId, status: operation.status, ...(operation.status === "Failed" && operation.error && { error: operation.error }) },
      headers: running ? { "retry-after": String(this.options.retryAfterSeconds ?? 1) } : {},
    };
  }

  /** Every request counts against the window, throttled ones included, as ACS documents. */
  private throttle(kind: "send" | "operation"): Answer | undefined {
    if (!this.managedDomainLimits) return undefined;
    const now = this.now();
    const log = this.rateLog[kind];
    log.push(now);
    let waitMs = 0;
    for (const { windowMs, max } of MANAGED_DOMAIN_LIMITS[kind]) {
      const inWindow = log.filter((time) => time > now - windowMs);
      if (inWindow.length > max) {
        // The window admits a new request once all but max-1 of those in it have aged out.
        const oldestToExpire = inWindow[inWindow.length - max] ?? now;
        waitMs = Math.max(waitMs, oldestToExpire + windowMs - now);
      }
    }
    if (waitMs === 0) return undefined;
    const retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000));
    return { ...errorAnswer(429, "TooManyRequests", "Too many requests for an Azure-managed domain."), headers: { "retry-after": String(retryAfterSeconds), "x-ms-error-code": "TooManyRequests" } };
  }

  private authenticate(request: IncomingMessage, url: URL, body: Buffer): { ok: true; kind: "hmac" | "bearer" } | { ok: false; kind: "none"; reason: string } {
    const authorization = headerOf(request, "authorization") ?? "";
    if (authorization.startsWith("Bearer ")) {
      if (!this.options.issuer) return { ok: false, kind: "none", reason: "bearer tokens are not enabled" };
      const verified = this.options.issuer.verify(authorization.slice("Bearer ".length));
      if (!verified.ok) return { ok: false, kind: "none", reason: verified.reason };
      if (verified.claims.aud !== ACS_AUDIENCE) return { ok: false, kind: "none", reason: `audience ${verified.claims.aud}` };
      return { ok: true, kind: "bearer" };
    }
    const reason = this.verifyHmac(request, url, body, authorization);
    return reason === undefined ? { ok: true, kind: "hmac" } : { ok: false, kind: "none", reason };
  }

  /** The check ACS makes of @azure/communication-common's access-key policy; the reason it fails, or undefined. */
  private verifyHmac(request: IncomingMessage, url: URL, body: Buffer, authorization: string): string | undefined {
    const match = /^HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=(.+)$/.exec(authorization);
    if (!match?.[1]) return "no HMAC-SHA256 authorization";
    const date = headerOf(request, "x-ms-date");
    const contentHash = headerOf(request, "x-ms-content-sha256");
    const host = headerOf(request, "host");
    if (!date || !contentHash || !host) return "x-ms-date, x-ms-content-sha256 and host must be signed";
    if (Math.abs(this.now() - Date.parse(date)) > MAX_CLOCK_SKEW_MS) return "x-ms-date is too far from now";
    if (createHash("sha256").update(body).digest("base64") !== contentHash) return "x-ms-content-sha256 does not match the body";
    const query = url.searchParams.toString();
    const stringToSign = `${request.method ?? "GET"}\n${query ? `${url.pathname}?${query}` : url.pathname}\n${date};${host};${contentHash}`;
    const expected = createHmac("sha256", Buffer.from(this.accessKey, "base64")).update(stringToSign).digest();
    const actual = Buffer.from(match[1], "base64");
    return actual.length === expected.length && timingSafeEqual(actual, expected) ? undefined : "signature mismatch";
  }
}

type Route = { readonly kind: "send" } | { readonly kind: "operation"; readonly operationId: string };

function routeOf(method: string, pathname: string): Route | undefined {
  if (method === "POST" && pathname === "/emails:send") return { kind: "send" };
  const operation = /^\/emails\/operations\/([^/]+)$/.exec(pathname);
  if (method === "GET" && operation?.[1]) return { kind: "operation", operationId: decodeURIComponent(operation[1]) };
  return undefined;
}

interface WireAddress {
  address?: string;
  displayName?: string;
}

interface WireMessage {
  senderAddress?: string;
  content?: { subject?: string; plainText?: string; html?: string };
  recipients?: { to?: WireAddress[]; cc?: WireAddress[]; bcc?: WireAddress[] };
  userEngagementTrackingDisabled?: boolean;
}

function validate(message: WireMessage): string | undefined {
  if (!message.senderAddress) return "senderAddress is required.";
  if (!message.content?.subject) return "content.subject is required.";
  if (message.content.html === undefined && message.content.plainText === undefined) return "content needs html or plainText.";
  const to = message.recipients?.to ?? [];
  if (to.length === 0) return "recipients.to is required.";
  const all = [...to, ...(message.recipients?.cc ?? []), ...(message.recipients?.bcc ?? [])];
  if (all.length > MAX_RECIPIENTS) return `At most ${MAX_RECIPIENTS} recipients are allowed.`;
  if (all.some((recipient) => !recipient.address || !/^[^\s@]+@[^\s@]+$/.test(recipient.address))) return "A recipient address is invalid.";
  return undefined;
}

function addresses(list: readonly WireAddress[] | undefined): string[] {
  return (list ?? []).map((recipient) => recipient.address ?? "");
}

function faultAnswer(fault: Exclude<AcsFault, { hangMs: number }>): Answer {
  if (fault.status === 429) {
    const seconds = "retryAfterSeconds" in fault ? fault.retryAfterSeconds : undefined;
    const answer = errorAnswer(429, "TooManyRequests", "Too many requests.");
    return seconds === undefined ? answer : { ...answer, headers: { ...answer.headers, "retry-after": String(seconds) } };
  }
  const code = "code" in fault && fault.code ? fault.code : fault.status >= 500 ? "InternalServerError" : "BadRequest";
  return errorAnswer(fault.status, code, "message" in fault && fault.message ? fault.message : `Emulated ${fault.status}.`);
}

function errorAnswer(status: number, code: string, message: string): Answer {
  return { status, body: { error: { code, message } }, headers: { "x-ms-error-code": code } };
}

function send(response: ServerResponse, answer: Answer): void {
  const payload = answer.body === undefined ? "" : JSON.stringify(answer.body);
  response.writeHead(answer.status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(payload), ...answer.headers });
  response.end(payload);
}

function headerOf(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The body, or undefined past ACS's 10 MB request limit. */
async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size <= MAX_REQUEST_BYTES) chunks.push(chunk as Buffer);
  }
  return size > MAX_REQUEST_BYTES ? undefined : Buffer.concat(chunks);
}

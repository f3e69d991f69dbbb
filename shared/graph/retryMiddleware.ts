import type { Context, Middleware, MiddlewareOptions } from "@microsoft/microsoft-graph-client";
import { GraphRequestError, errorMessage } from "../domain/errors";
import { retryAfterOfHeaders } from "../domain/retryAfter";
import { recordHttpCall } from "../telemetry/httpDependencies";
import type { DependencySink } from "../telemetry/recorder";

export interface GraphTrafficCounters {
  /** HTTP attempts sent to Graph, retries included. */
  requests: number;
  /** Response bytes read from Graph. */
  bytesRead: number;
  /** Attempts that were throttled (429) or refused as unavailable (503/504). */
  throttled: number;
}

export interface RetryMiddlewareOptions {
  readonly maxRetries: number;
  readonly timeoutInMs: number;
  /** First backoff when Graph gives no Retry-After; doubles each retry, with jitter. */
  readonly baseDelayInMs?: number;
  /** A Retry-After longer than this is not waited for: the request fails and the next run tries again. */
  readonly maxRetryAfterInMs?: number;
  /** Largest response body read; a longer one fails the request (ResponseTooLarge) rather than fill memory. */
  readonly maxResponseBytes?: number;
  readonly counters: GraphTrafficCounters;
  /** Takes one dependency record per HTTP attempt (telemetry); absent: none. */
  readonly dependencies?: DependencySink;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Longest Retry-After waited for inside a run (Graph asks for seconds; a minute is already a lot). */
export const MAX_GRAPH_RETRY_AFTER_IN_MS = 60_000;
/** 16 MiB: a page of restore sessions or artifacts is a few hundred KB. */
export const MAX_GRAPH_RESPONSE_BYTES = 16 * 1024 * 1024;

const RETRYABLE_STATUSES = new Set([429, 503, 504]);

/**
 * One Graph call's own state, handed to the middleware with the request: the run's abort signal (the
 * run's deadline), and the error the middleware failed with. The Graph SDK flattens whatever a
 * middleware throws into a GraphError with the class name as its code; the caller reads the original
 * here instead.
 */
export class GraphCallState implements MiddlewareOptions {
  error: GraphRequestError | undefined;
  constructor(readonly signal: AbortSignal | undefined) {}
}

/**
 * Replaces the SDK's RetryHandler: each attempt gets a timeout covering the whole body, the body is
 * buffered (up to a size cap) so a connection reset mid-page or a truncated JSON body is retried like a
 * 503, and 429/503/504 honour Retry-After (bounded). Nothing outlives the run's deadline: the call's
 * signal aborts the attempt in flight and any wait between attempts. Only used for idempotent GETs.
 */
export class RetryMiddleware implements Middleware {
  private next: Middleware | undefined;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(private readonly options: RetryMiddlewareOptions) {
    this.sleep = options.sleep ?? abortableSleep;
  }

  setNext(next: Middleware): void {
    this.next = next;
  }

  async execute(context: Context): Promise<void> {
    const next = this.next;
    if (!next) throw new Error("RetryMiddleware has no next middleware");
    const { maxRetries } = this.options;
    const baseDelayInMs = this.options.baseDelayInMs ?? 1000;
    const maxRetryAfterInMs = this.options.maxRetryAfterInMs ?? MAX_GRAPH_RETRY_AFTER_IN_MS;
    const call = context.middlewareControl?.getMiddlewareOptions(GraphCallState) as GraphCallState | undefined;
    try {
      for (let attempt = 0; ; attempt++) {
        const retry = await this.attempt(next, context, call?.signal);
        if (retry === undefined) return;
        if (attempt >= maxRetries) {
          // Hand back the last throttled response (the caller turns it into a GraphRequestError);
          // a network failure or malformed body is thrown.
          if (context.response && RETRYABLE_STATUSES.has((context.response as Response).status)) return;
          throw new Error(`${retry.failure} (after ${attempt + 1} attempts)`);
        }
        if (retry.retryAfterInMs !== undefined && retry.retryAfterInMs > maxRetryAfterInMs) return;
        const backoff = baseDelayInMs * 2 ** attempt * (0.8 + Math.random() * 0.4);
        await this.sleep(retry.retryAfterInMs ?? backoff, call?.signal);
      }
    } catch (error) {
      // Kept for the caller: the SDK flattens what a middleware throws.
      if (error instanceof GraphRequestError && call) call.error = error;
      throw error;
    }
  }

  /**
   * One attempt, its body buffered into context.response. Undefined when it is final (a success, or
   * an answer not worth retrying); otherwise why to retry, and the Retry-After Graph asked for.
   */
  private async attempt(next: Middleware, context: Context, runSignal: AbortSignal | undefined): Promise<{ failure: string; retryAfterInMs?: number } | undefined> {
    const { timeoutInMs, counters } = this.options;
    const maxResponseBytes = this.options.maxResponseBytes ?? MAX_GRAPH_RESPONSE_BYTES;
    if (runSignal?.aborted) throw deadlineError(context);
    const timeout = AbortSignal.timeout(timeoutInMs);
    context.options = { ...context.options, signal: runSignal ? AbortSignal.any([runSignal, timeout]) : timeout };
    let body: string | undefined;
    let response: Response | undefined;
    const startedAt = new Date();
    const started = performance.now();
    try {
      counters.requests++;
      context.response = undefined;
      await next.execute(context);
      response = context.response as Response | undefined;
      if (!response) throw new Error("no response");
      body = await readBody(response, maxResponseBytes);
      this.recordAttempt(context, startedAt, started, response.status);
    } catch (error) {
      this.recordAttempt(context, startedAt, started, response?.status ?? (error instanceof Error ? error.name : "Error"));
      if (error instanceof GraphRequestError) throw error;
      if (runSignal?.aborted) throw deadlineError(context);
      return { failure: timeout.aborted ? `timed out after ${timeoutInMs} ms` : errorMessage(error) };
    }
    if (body === undefined) {
      throw new GraphRequestError(`Graph sent a response of more than ${maxResponseBytes} bytes for ${urlPath(context)}; not read (ResponseTooLarge)`, response.status, "ResponseTooLarge", String(context.request));
    }
    counters.bytesRead += Buffer.byteLength(body);
    context.response = new Response(body === "" && [204, 304].includes(response.status) ? null : body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
    if (RETRYABLE_STATUSES.has(response.status)) {
      counters.throttled++;
      const retryAfterInMs = retryAfterOfHeaders((name) => response.headers.get(name));
      return { failure: `HTTP ${response.status}`, ...(retryAfterInMs !== undefined && { retryAfterInMs }) };
    }
    if (response.ok && isJson(response) && !parsesAsJson(body)) return { failure: "malformed JSON body" };
    return undefined;
  }

  /** One dependency record per attempt (the body read included), named by method and path; never the query. */
  private recordAttempt(context: Context, startedAt: Date, started: number, result: number | string): void {
    if (!this.options.dependencies) return;
    let url: URL;
    try {
      url = new URL(String(context.request));
    } catch {
      return;
    }
    recordHttpCall(this.options.dependencies, { method: context.options?.method ?? "GET", url, startedAt, durationMs: performance.now() - started, result });
  }
}

function deadlineError(context: Context): GraphRequestError {
  return new GraphRequestError(`the run's deadline passed while calling Graph for ${urlPath(context)} (RunDeadline); the next run starts over`, undefined, "RunDeadline", String(context.request));
}

function urlPath(context: Context): string {
  try {
    return new URL(String(context.request)).pathname;
  } catch {
    return String(context.request);
  }
}

/** The body as text, or undefined when it is longer than maxBytes (read no further than that). */
async function readBody(response: Response, maxBytes: number): Promise<string | undefined> {
  const declared = Number(response.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    return undefined;
  }
  if (!response.body) return "";
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > maxBytes) {
      await response.body.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Resolves after ms, or at once when the signal aborts (the caller checks the signal next). */
function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

function isJson(response: Response): boolean {
  return (response.headers.get("content-type") ?? "").toLowerCase().includes("json");
}

function parsesAsJson(body: string): boolean {
  try {
    JSON.parse(body);
    return true;
  } catch {
    return false;
  }
}

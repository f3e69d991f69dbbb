import type { Context, Middleware } from "@microsoft/microsoft-graph-client";
import { errorMessage } from "../errors";
import { parseRetryAfter } from "../retryAfter";

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
  readonly counters: GraphTrafficCounters;
  readonly sleep?: (ms: number) => Promise<void>;
}

const RETRYABLE_STATUSES = new Set([429, 503, 504]);

/**
 * Replaces the SDK's RetryHandler: each attempt gets a timeout covering the whole body, the body is
 * buffered so a connection reset mid-page or a truncated JSON body is retried like a 503, and 429/503/504
 * honour Retry-After (seconds or HTTP date). Only used for idempotent GETs.
 */
export class RetryMiddleware implements Middleware {
  private next: Middleware | undefined;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: RetryMiddlewareOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  setNext(next: Middleware): void {
    this.next = next;
  }

  async execute(context: Context): Promise<void> {
    const next = this.next;
    if (!next) throw new Error("RetryMiddleware has no next middleware");
    const { maxRetries, timeoutInMs, counters } = this.options;
    const baseDelayInMs = this.options.baseDelayInMs ?? 1000;
    const maxRetryAfterInMs = this.options.maxRetryAfterInMs ?? 120_000;

    for (let attempt = 0; ; attempt++) {
      const timeout = AbortSignal.timeout(timeoutInMs);
      context.options = { ...context.options, signal: timeout };
      let failure: string;
      let retryAfterInMs: number | undefined;
      try {
        counters.requests++;
        context.response = undefined;
        await next.execute(context);
        const response = context.response as Response | undefined;
        if (!response) throw new Error("no response");
        const body = await response.text();
        counters.bytesRead += Buffer.byteLength(body);
        context.response = new Response(body === "" && [204, 304].includes(response.status) ? null : body, {
          status: response.status,
          statusText: response.statusText,
          headers: response.headers,
        });
        if (RETRYABLE_STATUSES.has(response.status)) {
          counters.throttled++;
          failure = `HTTP ${response.status}`;
          retryAfterInMs = parseRetryAfter(response.headers.get("retry-after"));
        } else if (response.ok && isJson(response) && !parsesAsJson(body)) {
          failure = "malformed JSON body";
        } else {
          return;
        }
      } catch (error) {
        failure = timeout.aborted ? `timed out after ${timeoutInMs} ms` : errorMessage(error);
      }
      if (attempt >= maxRetries) {
        // Hand back the last throttled response (the caller turns it into a GraphRequestError);
        // a network failure or malformed body is thrown.
        if (context.response && RETRYABLE_STATUSES.has((context.response as Response).status)) return;
        throw new Error(`${failure} (after ${attempt + 1} attempts)`);
      }
      if (retryAfterInMs !== undefined && retryAfterInMs > maxRetryAfterInMs) return;
      const backoff = baseDelayInMs * 2 ** attempt * (0.8 + Math.random() * 0.4);
      await this.sleep(retryAfterInMs ?? backoff);
    }
  }
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

import type { TokenCredential } from "@azure/core-auth";
import { errorMessage } from "../domain/errors";
import type { Envelope } from "./envelopes";
import type { IngestionTarget } from "./connectionString";
import { scrubText } from "./redact";

/** The audience of Application Insights ingestion with Entra ID (DisableLocalAuth). */
export const MONITOR_SCOPE = "https://monitor.azure.com/.default";

/** Where a batch of envelopes goes; a capture in tests, the ingestion API in Azure. */
export interface EnvelopeExporter {
  export(envelopes: readonly Envelope[]): Promise<ExportResult>;
}

export interface ExportResult {
  readonly accepted: number;
  readonly rejected: number;
  /** Why some were not accepted (a status and the service's words, scrubbed), for one warning. */
  readonly problem?: string;
}

export interface IngestionExporterOptions {
  /** Entra ID: a bearer token for MONITOR_SCOPE on POST /v2.1/track. Without it: POST /v2/track (instrumentation key only). */
  readonly credential?: TokenCredential;
  /**
   * One budget for the whole export (token, both attempts): the flush runs before the invocation
   * returns, after the run's own deadline and grace, so it must not carry it past functionTimeout.
   */
  readonly timeoutInMs?: number;
  readonly fetch?: typeof fetch;
}

/** Statuses the ingestion service asks to be retried (whole request, or an item of a 206/200 `errors[]`). */
const RETRIABLE = new Set([408, 429, 439, 500, 502, 503, 504]);

interface Attempt {
  readonly retry: readonly Envelope[];
  readonly accepted: number;
  readonly rejected: number;
  readonly problem?: string;
}

/**
 * The Application Insights ingestion API, spoken directly (see README "Telemetry" for why not the
 * OpenTelemetry distro): a JSON array of envelopes per POST, a bearer token from the app's managed
 * identity on /v2.1/track (the Entra path; /v2/track answers 400 once local auth is disabled).
 * Retriable items are sent once more; what still fails is counted and described, never thrown.
 */
export class IngestionExporter implements EnvelopeExporter {
  private readonly fetch: typeof fetch;
  private readonly url: string;

  constructor(
    target: IngestionTarget,
    private readonly options: IngestionExporterOptions = {},
  ) {
    this.fetch = options.fetch ?? fetch;
    this.url = `${target.ingestionEndpoint}/${options.credential ? "v2.1" : "v2"}/track`;
  }

  async export(envelopes: readonly Envelope[]): Promise<ExportResult> {
    let pending = envelopes;
    let accepted = 0;
    let rejected = 0;
    let problem: string | undefined;
    const signal = AbortSignal.timeout(this.options.timeoutInMs ?? 15_000);
    for (let attempt = 0; attempt < 2 && pending.length > 0 && !signal.aborted; attempt++) {
      const result = await this.post(pending, signal);
      accepted += result.accepted;
      rejected += result.rejected;
      problem = result.problem ?? problem;
      pending = result.retry;
    }
    return { accepted, rejected: rejected + pending.length, ...(problem !== undefined && { problem }) };
  }

  private async post(envelopes: readonly Envelope[], signal: AbortSignal): Promise<Attempt> {
    let response: Response;
    let text: string;
    try {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (this.options.credential) {
        const token = await this.options.credential.getToken(MONITOR_SCOPE, { abortSignal: signal });
        if (!token) throw new Error(`the credential returned no token for ${MONITOR_SCOPE}`);
        headers["authorization"] = `Bearer ${token.token}`;
      }
      response = await this.fetch(this.url, { method: "POST", headers, body: JSON.stringify(envelopes), signal, redirect: "error" });
      text = await response.text();
    } catch (error) {
      return { retry: envelopes, accepted: 0, rejected: 0, problem: scrubText(`ingestion request failed: ${errorMessage(error)}`, 300) };
    }
    return classify(envelopes, response.status, text);
  }
}

/** What an answer means for each envelope: accepted, to retry, or rejected for good. */
function classify(envelopes: readonly Envelope[], status: number, text: string): Attempt {
  const what = (detail: string): string => scrubText(`HTTP ${status}${detail ? `: ${detail}` : ""}`, 300);
  if (RETRIABLE.has(status)) return { retry: envelopes, accepted: 0, rejected: 0, problem: what(firstMessage(text)) };
  if (status !== 200 && status !== 206) return { retry: [], accepted: 0, rejected: envelopes.length, problem: what(firstMessage(text)) };
  const errors = itemErrors(text);
  if (errors.length === 0) return { retry: [], accepted: envelopes.length, rejected: 0 };
  const retry: Envelope[] = [];
  let rejected = 0;
  for (const error of errors) {
    const envelope = envelopes[error.index];
    if (!envelope) continue;
    if (RETRIABLE.has(error.statusCode)) retry.push(envelope);
    else rejected++;
  }
  const first = errors[0];
  return { retry, accepted: envelopes.length - retry.length - rejected, rejected, problem: what(first ? `item ${first.index}: ${first.statusCode} ${first.message}` : "") };
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function itemErrors(text: string): { index: number; statusCode: number; message: string }[] {
  const body = parse(text) as { errors?: unknown } | undefined;
  if (!body || !Array.isArray(body.errors)) return [];
  return body.errors.flatMap((e: unknown) => {
    const item = e as { index?: unknown; statusCode?: unknown; message?: unknown };
    return typeof item.index === "number" && typeof item.statusCode === "number" ? [{ index: item.index, statusCode: item.statusCode, message: typeof item.message === "string" ? item.message : "" }] : [];
  });
}

function firstMessage(text: string): string {
  const body = parse(text) as { errors?: { message?: unknown }[]; error?: { message?: unknown } } | undefined;
  const message = body?.errors?.[0]?.message ?? body?.error?.message;
  return typeof message === "string" ? message : text.slice(0, 200);
}

import { createHash } from "node:crypto";
import { EmailClient, type EmailClientOptions, type EmailMessage, type EmailSendResult } from "@azure/communication-email";
import type { TokenCredential } from "@azure/core-auth";
import { isRestError, type PipelinePolicy, type RestError } from "@azure/core-rest-pipeline";
import type { Alert } from "../domain/alert";
import { renderHealthEmail, type HealthNotice } from "../alerts/healthNotice";
import { renderEmail } from "../alerts/renderEmail";
import type { EmailChannelConfig } from "../config/config";
import { errorMessage } from "../domain/errors";
import type { AlertChannel, SendContext } from "./channel";
import type { SendOutcome } from "../domain/delivery";
import { retryAfterOfHeaders } from "../domain/retryAfter";
import { defaultEmailRateLimit, type RateLimit } from "../config/rateLimit";
import { dependencyPolicy } from "../telemetry/httpDependencies";
import type { DependencySink } from "../telemetry/recorder";

/** ACS takes at most 50 recipients per message. */
export const MAX_RECIPIENTS_PER_MESSAGE = 50;
/**
 * How many operation ids one recipient chunk may use: a transiently failed operation is retried under
 * the next id of the sequence (an operation id is never reused), every id of which is looked up first.
 */
export const MAX_OPERATION_GENERATIONS = 5;

export interface EmailChannelOptions {
  /** Entra credential (managed identity) used with config.endpoint; without one the connection string is used. */
  readonly credential?: TokenCredential;
  /** Deadline of the HTTP requests of one recipient chunk, default 30 s. */
  readonly requestTimeoutInMs?: number;
  /** How long to wait for an accepted operation to finish, default 10 s; still running then → retry later. */
  readonly operationWaitInMs?: number;
  /** Delay between status polls when ACS gives no retry-after, default 1 s. */
  readonly pollIntervalInMs?: number;
  /** Passed to EmailClient. Retries default to 0: the outbox retries, so a 429's Retry-After never blocks a run. */
  readonly clientOptions?: EmailClientOptions;
  /** Takes one dependency record per HTTP request to ACS (telemetry). */
  readonly dependencies?: DependencySink;
  /** The receiver's key in alert records; "email" (the default route) when absent. */
  readonly name?: string;
}

/** Operation failures that a new send may fix; any other failure code is permanent. */
const TRANSIENT_FAILURE_CODES = /^(InternalServerError|ServiceUnavailable|ServerBusy|Timeout|GatewayTimeout|TooManyRequests|Throttled)$/i;
/** Error codes of a send request refused because of the sender address or its domain (ALERT_EMAIL_FROM). */
const SENDER_REFUSED_CODES = /^DomainNotLinked$/i;
/** HTTP statuses that mean the request itself is wrong, or the sender domain is: retrying cannot help. */
const PERMANENT_HTTP_STATUSES = new Set([400, 404, 405, 409, 413, 415, 422]);

type OperationState =
  | { readonly status: "absent" }
  | { readonly status: "running" }
  | { readonly status: "succeeded" }
  | { readonly status: "failed"; readonly code: string; readonly message: string };

type ChunkOutcome = SendOutcome & { readonly chunk: number };

/**
 * Sends alert emails through Azure Communication Services. Each message gets an operation id derived
 * from the group key and its recipients; before sending, the channel asks ACS for that operation, so a
 * retry after a crash (or after a lost response) finds the earlier send instead of sending twice.
 */
export class EmailChannel implements AlertChannel {
  readonly name: string;
  /** One budget for every email receiver: ACS's sending limit is per subscription. */
  readonly budgetKey = "email";
  readonly rateLimit: RateLimit;
  readonly messagesPerSend: number;
  private readonly client: EmailClient;
  private readonly requestTimeoutInMs: number;
  private readonly operationWaitInMs: number;
  private readonly pollIntervalInMs: number;

  constructor(
    private readonly config: EmailChannelConfig,
    private readonly options: EmailChannelOptions = {},
  ) {
    if (config.to.length === 0) throw new Error("email channel needs at least one recipient");
    this.name = options.name ?? "email";
    this.requestTimeoutInMs = options.requestTimeoutInMs ?? 30_000;
    this.operationWaitInMs = options.operationWaitInMs ?? 10_000;
    this.pollIntervalInMs = options.pollIntervalInMs ?? 1_000;
    const clientOptions: EmailClientOptions = {
      ...options.clientOptions,
      retryOptions: { maxRetries: 0, ...options.clientOptions?.retryOptions },
      additionalPolicies: [...(options.clientOptions?.additionalPolicies ?? []), ...(options.dependencies ? [{ policy: dependencyPolicy(options.dependencies, "HTTP"), position: "perRetry" as const }] : [])],
    };
    this.client = createClient(config, options.credential, clientOptions);
    this.rateLimit = config.rateLimit ?? defaultEmailRateLimit(config.from);
    this.messagesPerSend = Math.ceil(config.to.length / MAX_RECIPIENTS_PER_MESSAGE);
  }

  /** The same sender, ACS resource and identity, to other recipients: a route's email receiver. */
  withRecipients(name: string, to: readonly string[]): EmailChannel {
    return new EmailChannel({ ...this.config, to }, { ...this.options, name });
  }

  async send(alerts: readonly Alert[], context: SendContext): Promise<SendOutcome> {
    return this.sendEmail(renderEmail(alerts), context);
  }

  async sendNotice(notice: HealthNotice, context: SendContext): Promise<SendOutcome> {
    return this.sendEmail(renderHealthEmail(notice), context);
  }

  private async sendEmail(email: { subject: string; html: string; plainText: string }, context: SendContext): Promise<SendOutcome> {
    const chunks = chunk(this.config.to, MAX_RECIPIENTS_PER_MESSAGE);
    const outcomes: ChunkOutcome[] = [];
    for (const [index, recipients] of chunks.entries()) {
      const message: EmailMessage = {
        senderAddress: this.config.from,
        content: { subject: email.subject, html: email.html, plainText: email.plainText },
        recipients: { to: recipients.map((address) => ({ address })) },
        disableUserEngagementTracking: true,
      };
      const outcome = { ...(await this.sendChunk(message, context, recipients)), chunk: index };
      context.log(`email: message ${index + 1}/${chunks.length} (${recipients.length} recipients): ${describe(outcome)}`);
      outcomes.push(outcome);
      // Throttled, unreachable or the sender refused: the next chunk would fare no better; the retry sends what is left.
      if (outcome.kind === "retry" || (outcome.kind === "deadLetter" && outcome.setting !== undefined)) break;
    }
    return combine(outcomes, chunks.length);
  }

  private async sendChunk(message: EmailMessage, context: SendContext, recipients: readonly string[]): Promise<SendOutcome> {
    const signal = context.abortSignal
      ? AbortSignal.any([context.abortSignal, AbortSignal.timeout(this.requestTimeoutInMs)])
      : AbortSignal.timeout(this.requestTimeoutInMs);
    const failures: string[] = [];
    try {
      for (let generation = 0; generation < MAX_OPERATION_GENERATIONS; generation++) {
        const operationId = deterministicOperationId(context.groupKey, recipients, generation);
        let state = await this.runOperation(message, operationId, "lookUp", signal);
        if (state.status === "absent") state = await this.runOperation(message, operationId, "send", signal);
        switch (state.status) {
          case "succeeded":
            return { kind: "delivered", messageId: operationId };
          case "running":
          case "absent":
            return { kind: "retry", error: `operation ${operationId} is still running; the next attempt checks it without sending again` };
          case "failed":
            if (!TRANSIENT_FAILURE_CODES.test(state.code)) return { kind: "deadLetter", error: `operation ${operationId} failed: ${state.code}: ${state.message}` };
            failures.push(`${operationId}: ${state.code}`);
        }
      }
    } catch (error) {
      return classifyError(error);
    }
    return { kind: "deadLetter", error: `${MAX_OPERATION_GENERATIONS} operations failed: ${failures.join(", ")}` };
  }

  /**
   * Looks an operation up (resuming a poller from a state naming only the operation's status URL, so
   * the SDK does the GET through its own auth pipeline) or sends the message under that operation id,
   * then polls for at most operationWaitInMs.
   */
  private async runOperation(message: EmailMessage, operationId: string, mode: "lookUp" | "send", signal: AbortSignal): Promise<OperationState> {
    let lastResult: EmailSendResult | undefined;
    let poller: Awaited<ReturnType<EmailClient["beginSend"]>> | undefined;
    try {
      poller = await this.client.beginSend(message, {
        operationId,
        updateIntervalInMs: this.pollIntervalInMs,
        abortSignal: signal,
        onResponse: (response) => {
          if (response.status === 200) lastResult = response.parsedBody as EmailSendResult | undefined;
        },
        ...(mode === "lookUp" && { resumeFrom: resumeStateFor(operationId) }),
      });
      if (!poller.isDone()) {
        await poller.pollUntilDone({ abortSignal: AbortSignal.any([signal, AbortSignal.timeout(this.operationWaitInMs)]) });
      }
    } catch (error) {
      if (mode === "lookUp" && isRestError(error) && error.statusCode === 404) return { status: "absent" };
      if (lastResult?.status === "Failed" || lastResult?.status === "Canceled") return failedState(lastResult);
      // Stopped waiting on an operation that exists: its outcome is for the next attempt to find.
      if (poller && isAbortError(error)) return { status: "running" };
      throw error;
    }
    const status = poller.getOperationState().status;
    if (status === "succeeded") return { status: "succeeded" };
    if (status === "failed" || status === "canceled") return failedState(lastResult);
    return { status: "running" };
  }
}

/**
 * Refuses any request to another origin than the configured endpoint's. The SDK's poller follows the
 * operation-location header ACS returns; with the managed identity every request carries the bearer
 * token, so an answer naming another host must not take the token there.
 */
function sameOriginOnly(endpoint: string): PipelinePolicy {
  const origin = new URL(endpoint).origin;
  return {
    name: "restorewatchSameOriginOnly",
    async sendRequest(request, next) {
      const target = new URL(request.url).origin;
      if (target !== origin) throw new Error(`Azure Communication Services pointed to ${target}, not the configured endpoint ${origin}; not followed`);
      return next(request);
    },
  };
}

function createClient(config: EmailChannelConfig, credential: TokenCredential | undefined, options: EmailClientOptions): EmailClient {
  const confined = (endpoint: string): EmailClientOptions => ({ ...options, additionalPolicies: [...(options.additionalPolicies ?? []), { policy: sameOriginOnly(endpoint), position: "perRetry" }] });
  if (credential && config.endpoint) return new EmailClient(config.endpoint, credential, confined(config.endpoint));
  if (config.connectionString) {
    // Requests signed with the access key stay on the connection string's endpoint too.
    const endpoint = /(?:^|;)\s*endpoint=([^;]+)/i.exec(config.connectionString)?.[1];
    try {
      return new EmailClient(config.connectionString, endpoint ? confined(endpoint.trim()) : options);
    } catch {
      // The SDK's message quotes the whole connection string, access key included.
      throw new Error("ACS_CONNECTION_STRING is not a valid connection string ('endpoint=https://...;accesskey=...')");
    }
  }
  throw new Error(config.endpoint ? "ACS_ENDPOINT needs a credential (the managed identity)" : "email channel needs ACS_ENDPOINT or ACS_CONNECTION_STRING");
}

/** A poller state that makes the SDK's next poll a GET of /emails/operations/{id}. */
function resumeStateFor(operationId: string): string {
  return JSON.stringify({
    state: { status: "running", config: { metadata: { mode: "OperationLocation" }, operationLocation: `/emails/operations/${encodeURIComponent(operationId)}` } },
  });
}

/**
 * A UUID-formatted SHA-256 of (channel, group key, recipients, generation): the same message to the same
 * recipients gets the same operation id on every attempt. Version nibble 8 (RFC 9562 custom UUID).
 */
export function deterministicOperationId(groupKey: string, recipients: readonly string[], generation = 0): string {
  const addresses = recipients.map((address) => address.toLowerCase()).sort();
  const hex = createHash("sha256").update(["restorewatch", "email", groupKey, addresses.join(","), String(generation)].join("\n")).digest("hex");
  const variant = ((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function failedState(result: EmailSendResult | undefined): OperationState {
  return { status: "failed", code: result?.error?.code ?? result?.status ?? "Unknown", message: result?.error?.message ?? "no error detail" };
}

function classifyError(error: unknown): SendOutcome {
  if (isRestError(error)) return classifyRestError(error);
  if (isAbortError(error)) return { kind: "retry", error: "timed out or cancelled waiting for Azure Communication Services" };
  // Credential failures (token endpoint unreachable, role not yet assigned) and other transport errors.
  return { kind: "retry", error: errorMessage(error) };
}

function classifyRestError(error: RestError): SendOutcome {
  const status = error.statusCode;
  const code = error.code ?? error.response?.headers.get("x-ms-error-code");
  const what = `${status === undefined ? "request failed" : `HTTP ${status}`}${code ? ` ${code}` : ""}: ${errorMessage(error)}`;
  if (status === undefined || status === 408 || status >= 500) return { kind: "retry", error: what };
  if (status === 429) {
    const retryAfterInMs = retryAfterOf(error);
    return { kind: "retry", error: what, ...(retryAfterInMs !== undefined && { retryAfterInMs }) };
  }
  // The send itself refused for the sender (no operation was created, so a later send is a fresh one).
  if (code !== undefined && SENDER_REFUSED_CODES.test(code)) return { kind: "deadLetter", error: what, setting: "ALERT_EMAIL_FROM" };
  if (PERMANENT_HTTP_STATUSES.has(status)) return { kind: "deadLetter", error: what };
  // 401/403: a key or role problem the operator can fix; pending alerts then go out.
  return { kind: "retry", error: `${what} (check the access key or the identity's role on the Communication Services resource)` };
}

function retryAfterOf(error: RestError): number | undefined {
  const headers = error.response?.headers;
  return headers && retryAfterOfHeaders((name) => headers.get(name));
}

function isAbortError(error: unknown): boolean {
  return error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError");
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

/** All chunks delivered → delivered; any to retry → retry (delivered chunks are found, not resent); else dead-lettered. */
function combine(outcomes: readonly ChunkOutcome[], total: number): SendOutcome {
  const retry = outcomes.find((outcome) => outcome.kind === "retry");
  const deadLetters = outcomes.filter((outcome) => outcome.kind === "deadLetter");
  const label = (outcome: ChunkOutcome): string => (total > 1 ? `message ${outcome.chunk + 1}/${total}: ` : "");
  if (retry?.kind === "retry") {
    return { kind: "retry", error: `${label(retry)}${retry.error}`, ...(retry.retryAfterInMs !== undefined && { retryAfterInMs: retry.retryAfterInMs }) };
  }
  const refused = deadLetters.find((outcome) => outcome.kind === "deadLetter" && outcome.setting !== undefined);
  if (refused?.kind === "deadLetter" && refused.setting !== undefined) return { kind: "deadLetter", error: `${label(refused)}${refused.error}`, setting: refused.setting };
  if (deadLetters.length > 0) {
    return { kind: "deadLetter", error: deadLetters.map((outcome) => `${label(outcome)}${outcome.kind === "deadLetter" ? outcome.error : ""}`).join("; ") };
  }
  return { kind: "delivered", messageId: outcomes.map((outcome) => (outcome.kind === "delivered" ? outcome.messageId : "")).join(",") };
}

function describe(outcome: SendOutcome): string {
  switch (outcome.kind) {
    case "delivered":
      return `delivered (operation ${outcome.messageId})`;
    case "retry":
      return `retry (${outcome.error})`;
    case "deadLetter":
      return `dead-lettered (${outcome.error})`;
  }
}

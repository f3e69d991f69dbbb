import type { Alert } from "../domain/alert";
import { renderHealthTeamsMessage, type HealthNotice } from "../alerts/healthNotice";
import { renderTeamsMessage } from "../alerts/renderTeamsCard";
import type { TeamsChannelConfig } from "../config/config";
import { errorMessage } from "../domain/errors";
import type { AlertChannel, SendContext } from "./channel";
import type { SendOutcome } from "../domain/delivery";
import { retryAfterOfHeaders } from "../domain/retryAfter";
import { TEAMS_DEFAULT_LIMIT, type RateLimit } from "../config/rateLimit";
import { redactWebhookUrl } from "../config/teamsWebhookUrl";
import type { DependencySink } from "../telemetry/recorder";

export interface TeamsChannelOptions {
  /** Deadline of one post, default 30 s. */
  readonly timeoutInMs?: number;
  /** Injected for tests; the global fetch by default. */
  readonly fetch?: typeof fetch;
  /** Takes one dependency record per post (telemetry), naming the webhook by its host only. */
  readonly dependencies?: DependencySink;
  /** The receiver's key in alert records (and its own rate budget: the limit is per webhook); "teams" when absent. */
  readonly name?: string;
}

/** How much of an error body goes into the outcome. */
const MAX_ERROR_BODY_CHARS = 300;
/** Legacy Office 365 connectors answer 200 and report throttling in the body. */
const LEGACY_THROTTLED = "Microsoft Teams endpoint returned HTTP error 429";

/**
 * Posts an Adaptive Card to a Teams Workflows (or legacy connector) webhook. The URL's `sig` parameter
 * is a credential: logs and outcomes name the host only.
 */
export class TeamsChannel implements AlertChannel {
  readonly name: string;
  readonly budgetKey: string;
  readonly rateLimit: RateLimit;
  private readonly url: URL;
  private readonly timeoutInMs: number;
  private readonly fetch: typeof fetch;
  private readonly dependencies: DependencySink | undefined;

  constructor(config: TeamsChannelConfig, options: TeamsChannelOptions = {}) {
    this.dependencies = options.dependencies;
    this.name = options.name ?? "teams";
    // Send log keys are table property names: letters, digits and '_'.
    this.budgetKey = this.name.replace(/[^A-Za-z0-9]/g, "_");
    this.url = new URL(config.webhookUrl.href);
    this.timeoutInMs = options.timeoutInMs ?? 30_000;
    this.fetch = options.fetch ?? fetch;
    this.rateLimit = config.rateLimit ?? TEAMS_DEFAULT_LIMIT;
  }

  async send(alerts: readonly Alert[], context: SendContext): Promise<SendOutcome> {
    return this.post(renderTeamsMessage(alerts), context);
  }

  async sendNotice(notice: HealthNotice, context: SendContext): Promise<SendOutcome> {
    return this.post(renderHealthTeamsMessage(notice), context);
  }

  private async post(message: { body: object; bytes: number }, context: SendContext): Promise<SendOutcome> {
    const where = redactWebhookUrl(this.url);
    const timeout = AbortSignal.timeout(this.timeoutInMs);
    const signal = context.abortSignal ? AbortSignal.any([context.abortSignal, timeout]) : timeout;
    let outcome: SendOutcome;
    const startedAt = new Date();
    let result: number | string = "Error";
    try {
      const response = await this.fetch(this.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(message.body),
        signal,
        redirect: "error",
      });
      result = response.status;
      const body = await response.text();
      outcome = this.classify(response, body);
    } catch (error) {
      const reason = timeout.aborted ? `no answer within ${this.timeoutInMs} ms` : context.abortSignal?.aborted ? "cancelled" : errorMessage(error);
      if (typeof result !== "number") result = timeout.aborted ? "Timeout" : error instanceof Error ? error.name : "Error";
      outcome = { kind: "retry", error: this.redact(`POST to ${where} failed: ${reason}`) };
    }
    this.recordPost(startedAt, result, where);
    context.log(`teams: POST ${message.bytes} bytes to ${where}: ${outcome.kind === "delivered" ? `delivered (${outcome.messageId})` : `${outcome.kind} (${outcome.error})`}`);
    return outcome;
  }

  /** The post as a dependency: the webhook's host only (its path names the flow, its query holds the signature). */
  private recordPost(startedAt: Date, result: number | string, where: string): void {
    this.dependencies?.dependency({
      name: `POST ${this.url.host}`,
      data: where,
      target: this.url.host,
      type: "HTTP",
      startedAt,
      durationMs: Date.now() - startedAt.getTime(),
      resultCode: String(result),
      success: typeof result === "number" && result < 300,
    });
  }

  private classify(response: Response, body: string): SendOutcome {
    const status = response.status;
    if (status >= 200 && status < 300) {
      if (body.includes(LEGACY_THROTTLED)) return { kind: "retry", error: `HTTP ${status} with a throttling body: ${this.excerpt(body)}` };
      // Workflows answer 202 with the run id, which finds the run in the flow's history.
      const runId = response.headers.get("x-ms-workflow-run-id");
      return { kind: "delivered", messageId: runId ? `HTTP ${status} run ${runId}` : `HTTP ${status}` };
    }
    const what = `HTTP ${status}${body ? `: ${this.excerpt(body)}` : ""}`;
    if (status === 429) {
      const retryAfterInMs = retryAfterOfHeaders((name) => response.headers.get(name));
      return { kind: "retry", error: what, ...(retryAfterInMs !== undefined && { retryAfterInMs }) };
    }
    if (status === 408 || status >= 500) return { kind: "retry", error: what };
    // 401/403 signature, 404 deleted flow: the URL is what is wrong; fixing it sends the held alerts.
    if (status === 401 || status === 403 || status === 404) return { kind: "deadLetter", error: what, setting: "TEAMS_WEBHOOK_URL" };
    // 400 bad card, 413 too large: the same post cannot succeed.
    return { kind: "deadLetter", error: what };
  }

  private excerpt(body: string): string {
    const line = body.replace(/\s+/g, " ").trim();
    return this.redact(line.length > MAX_ERROR_BODY_CHARS ? `${line.slice(0, MAX_ERROR_BODY_CHARS)}…` : line);
  }

  /** Removes the webhook URL and its signature from text that came back from the far side. */
  private redact(text: string): string {
    const sig = this.url.searchParams.get("sig");
    let redacted = text.split(this.url.href).join(redactWebhookUrl(this.url));
    if (sig) redacted = redacted.split(sig).join("<redacted>").split(encodeURIComponent(sig)).join("<redacted>");
    return redacted;
  }
}

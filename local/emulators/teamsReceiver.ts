import { randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { LoopbackServer } from "./loopbackServer";

/** Teams refuses posts of about 28 KB and more ("Request Entity Too Large"). */
export const TEAMS_MAX_POST_BYTES = 28 * 1024;

export interface TeamsReceiverOptions {
  readonly tls: { readonly cert: string; readonly key: string };
  readonly maxPostBytes?: number;
}

export interface ReceivedPost {
  /** The parsed JSON body. */
  readonly body: unknown;
  readonly bytes: number;
  readonly contentType: string | undefined;
  /** What the receiver answered: an HTTP status, or "hang". */
  readonly answeredWith: number | "hang";
}

export type TeamsResponse =
  /** retryAfterSeconds: a number, or a string sent verbatim as the Retry-After header (a date, a hostile value). */
  | { readonly status: number; readonly body?: string; readonly retryAfterSeconds?: number | string }
  /** Never answers; the socket stays open until the client gives up or stop() is called. */
  | { readonly hang: true };

/**
 * An HTTPS stand-in for a Teams Workflows webhook ("When a Teams webhook request is received"): checks
 * the `sig` credential, records the posts it accepts and answers 202 like the Workflows trigger.
 */
export class TeamsReceiver {
  readonly posts: ReceivedPost[] = [];
  /** Requests refused for a missing or wrong sig. */
  unauthorized = 0;
  private readonly scripted: TeamsResponse[] = [];
  readonly workflowId = randomBytes(16).toString("hex");
  private readonly sig = randomBytes(24).toString("base64url");

  private readonly server: LoopbackServer;

  private constructor(private readonly maxPostBytes: number, tls: TeamsReceiverOptions["tls"]) {
    this.server = new LoopbackServer(tls, (request, response) => this.handle(request, response));
  }

  static async start(options: TeamsReceiverOptions): Promise<TeamsReceiver> {
    const receiver = new TeamsReceiver(options.maxPostBytes ?? TEAMS_MAX_POST_BYTES, options.tls);
    await receiver.server.listen();
    return receiver;
  }

  get url(): string {
    return `${this.server.origin}/workflows/${this.workflowId}/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${this.sig}`;
  }

  /** The signature, so a test can check it never leaks into logs. */
  get secret(): string {
    return this.sig;
  }

  /** The next n posts get this response instead of 202. */
  respondWith(count: number, response: TeamsResponse): void {
    for (let i = 0; i < count; i++) this.scripted.push(response);
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const url = new URL(request.url ?? "/", "https://127.0.0.1");
    if (request.method !== "POST" || url.pathname !== `/workflows/${this.workflowId}/triggers/manual/paths/invoke`) {
      return answer(response, 404, { error: { code: "WorkflowNotFound", message: "The workflow was not found." } });
    }
    if (!sameSecret(url.searchParams.get("sig") ?? "", this.sig)) {
      this.unauthorized++;
      return answer(response, 401, { error: { code: "DirectApiInvalidAuthorizationSignature", message: "The provided signature is not valid." } });
    }
    if (raw.length > this.maxPostBytes) return answer(response, 413, { error: { code: "RequestEntityTooLarge", message: "Request Entity Too Large" } });
    let body: unknown;
    try {
      body = JSON.parse(raw.toString("utf8"));
    } catch {
      return answer(response, 400, { error: { code: "InvalidRequestContent", message: "The request content is not valid JSON." } });
    }

    const scripted = this.scripted.shift();
    const answeredWith = scripted === undefined ? 202 : "hang" in scripted ? "hang" : scripted.status;
    this.posts.push({ body, bytes: raw.length, contentType: request.headers["content-type"], answeredWith });
    if (scripted && "hang" in scripted) return;
    if (!scripted) {
      response.writeHead(202, { "x-ms-workflow-run-id": randomUUID(), "content-length": 0 });
      response.end();
      return;
    }
    const headers: Record<string, string | number> = { "content-length": Buffer.byteLength(scripted.body ?? "") };
    if (scripted.retryAfterSeconds !== undefined) headers["retry-after"] = String(scripted.retryAfterSeconds);
    response.writeHead(scripted.status, headers);
    response.end(scripted.body ?? "");
  }
}

function answer(response: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
  response.end(payload);
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

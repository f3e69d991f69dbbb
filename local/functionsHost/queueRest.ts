import { createHmac } from "node:crypto";
import { AZURITE_ACCOUNT, AZURITE_KEY } from "../emulators/azurite";
import type { Settings } from "./timerScheduler";

/**
 * The Azure Queue service's REST API, as much as the emulated host's queue trigger and output binding
 * need (create, put, get, delete, update visibility), with Shared Key authorisation. Local tooling:
 * the app itself never talks to the queue (the host does, through the bindings).
 */
export interface QueueMessage {
  readonly messageId: string;
  readonly popReceipt: string;
  readonly dequeueCount: number;
  readonly insertionTime: string;
  readonly expirationTime: string;
  readonly nextVisibleTime: string;
  /** As stored: base64 when the host's messageEncoding is base64. */
  readonly messageText: string;
}

const API_VERSION = "2021-12-02";

export class QueueService {
  constructor(
    /** The account's queue endpoint, e.g. http://127.0.0.1:10001/devstoreaccount1. */
    readonly endpoint: string,
    private readonly account: string,
    private readonly key: Buffer,
  ) {}

  /**
   * The service a binding's `connection` names, as the host resolves it: the setting itself (a
   * connection string) or the identity-based `<connection>__queueServiceUri`. Locally a loopback URI is
   * Azurite, reached with its well-known key (standing for the managed identity's queue role).
   */
  static fromConnection(connection: string, settings: Settings): QueueService {
    const connectionString = settings[connection] ?? (connection === "" ? settings["AzureWebJobsStorage"] : undefined);
    if (connectionString) return QueueService.fromConnectionString(connectionString, connection);
    const uri = settings[`${connection}__queueServiceUri`];
    if (!uri) throw new Error(`the queue connection '${connection}' is not configured: set ${connection} (a connection string) or ${connection}__queueServiceUri`);
    const url = new URL(uri);
    if (!["127.0.0.1", "localhost"].includes(url.hostname)) throw new Error(`${connection}__queueServiceUri (${uri}) is not a local emulator: the emulated host reaches only Azurite's queue service`);
    return new QueueService(uri.replace(/\/+$/, ""), AZURITE_ACCOUNT, Buffer.from(AZURITE_KEY, "base64"));
  }

  static fromConnectionString(connectionString: string, settingName: string): QueueService {
    // Azurite's default queue port, as the Functions host and the Storage SDKs read this shorthand.
    if (connectionString.trim() === "UseDevelopmentStorage=true") return new QueueService(`http://127.0.0.1:10001/${AZURITE_ACCOUNT}`, AZURITE_ACCOUNT, Buffer.from(AZURITE_KEY, "base64"));
    const parts = new Map(connectionString.split(";").filter(Boolean).map((part) => { const at = part.indexOf("="); return [part.slice(0, at), part.slice(at + 1)] as const; }));
    const endpoint = parts.get("QueueEndpoint");
    const account = parts.get("AccountName");
    const key = parts.get("AccountKey");
    if (!endpoint || !account || !key) throw new Error(`the queue connection string in ${settingName} needs QueueEndpoint, AccountName and AccountKey`);
    return new QueueService(endpoint.replace(/\/+$/, ""), account, Buffer.from(key, "base64"));
  }

  async createQueue(queue: string): Promise<void> {
    await this.request("PUT", `/${queue}`, {}, undefined, [201, 204]);
  }

  async put(queue: string, messageText: string): Promise<void> {
    const body = `<?xml version="1.0" encoding="utf-8"?><QueueMessage><MessageText>${escapeXml(messageText)}</MessageText></QueueMessage>`;
    await this.request("POST", `/${queue}/messages`, {}, body, [201]);
  }

  /** Up to `count` (1–32) visible messages, each hidden for visibilitySeconds. */
  async get(queue: string, count: number, visibilitySeconds: number, options: { missingIsEmpty?: boolean } = {}): Promise<QueueMessage[]> {
    const xml = await this.request("GET", `/${queue}/messages`, { numofmessages: String(count), visibilitytimeout: String(visibilitySeconds) }, undefined, options.missingIsEmpty ? [200, 404] : [200]);
    if (!xml.includes("<QueueMessagesList")) return [];
    return [...xml.matchAll(/<QueueMessage>([\s\S]*?)<\/QueueMessage>/g)].map(([, inner]) => {
      const field = (name: string): string => unescapeXml(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(inner ?? "")?.[1] ?? "");
      return { messageId: field("MessageId"), popReceipt: field("PopReceipt"), dequeueCount: Number(field("DequeueCount")), insertionTime: field("InsertionTime"), expirationTime: field("ExpirationTime"), nextVisibleTime: field("TimeNextVisible"), messageText: field("MessageText") };
    });
  }

  /** Every message in the queue without dequeuing it (up to 32). */
  async peek(queue: string): Promise<{ messageText: string; dequeueCount: number }[]> {
    const xml = await this.request("GET", `/${queue}/messages`, { peekonly: "true", numofmessages: "32" }, undefined, [200]);
    return [...xml.matchAll(/<QueueMessage>([\s\S]*?)<\/QueueMessage>/g)].map(([, inner]) => ({
      messageText: unescapeXml(/<MessageText>([\s\S]*?)<\/MessageText>/.exec(inner ?? "")?.[1] ?? ""),
      dequeueCount: Number(/<DequeueCount>(\d+)<\/DequeueCount>/.exec(inner ?? "")?.[1] ?? "0"),
    }));
  }

  /** Whether the queue exists (the fan-out's tests: "no queue touched"). */
  async exists(queue: string): Promise<boolean> {
    const status = await this.request("GET", `/${queue}`, { comp: "metadata" }, undefined, [200, 404]);
    return !status.includes("QueueNotFound");
  }

  async delete(queue: string, message: Pick<QueueMessage, "messageId" | "popReceipt">): Promise<void> {
    await this.request("DELETE", `/${queue}/messages/${message.messageId}`, { popreceipt: message.popReceipt }, undefined, [204]);
  }

  /** Makes the message visible again after visibilitySeconds (the host's retry delay after a failure). */
  async release(queue: string, message: Pick<QueueMessage, "messageId" | "popReceipt">, visibilitySeconds: number): Promise<void> {
    await this.request("PUT", `/${queue}/messages/${message.messageId}`, { popreceipt: message.popReceipt, visibilitytimeout: String(visibilitySeconds) }, undefined, [204]);
  }

  private async request(method: string, resource: string, query: Record<string, string>, body: string | undefined, ok: readonly number[]): Promise<string> {
    const url = new URL(this.endpoint + resource);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    const headers: Record<string, string> = { "x-ms-date": new Date().toUTCString(), "x-ms-version": API_VERSION };
    if (body !== undefined) headers["content-type"] = "application/xml";
    const length = body === undefined ? 0 : Buffer.byteLength(body);
    headers["authorization"] = `SharedKey ${this.account}:${this.sign(method, url, headers, length)}`;
    const response = await fetch(url, { method, headers, ...(body !== undefined && { body }) });
    const text = await response.text();
    if (!ok.includes(response.status) && !(method === "PUT" && resource.split("/").length === 2 && response.status === 409)) {
      throw new Error(`queue ${method} ${url.pathname}: HTTP ${response.status} ${text.slice(0, 300)}`);
    }
    return text;
  }

  /** Shared Key signature (Blob, Queue and File services, version 2009-09-19 and later). */
  private sign(method: string, url: URL, headers: Record<string, string>, contentLength: number): string {
    const canonicalHeaders = Object.keys(headers).filter((h) => h.startsWith("x-ms-")).sort().map((h) => `${h}:${headers[h]}\n`).join("");
    const params = [...url.searchParams.keys()].map((k) => k.toLowerCase()).sort().map((k) => `\n${k}:${url.searchParams.get(k) ?? ""}`).join("");
    const canonicalResource = `/${this.account}${decodeURIComponent(url.pathname)}${params}`;
    const toSign = [method, "", "", contentLength === 0 ? "" : String(contentLength), "", headers["content-type"] ?? "", "", "", "", "", "", ""].join("\n") + "\n" + canonicalHeaders + canonicalResource;
    return createHmac("sha256", this.key).update(toSign, "utf8").digest("base64");
  }
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function unescapeXml(text: string): string {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, "&");
}

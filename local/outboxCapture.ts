import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { AcceptedMessage } from "./emulators/acsEmailEmulator";

/** One captured message, as listed in the outbox page and in `captured.json`. */
export interface CapturedItem {
  readonly kind: "email" | "teams";
  readonly capturedAt: string;
  /** Files written for it, relative to the outbox folder. */
  readonly files: readonly string[];
  readonly title: string;
  /** Who received it: an email's recipients; the workflow a Teams post went to, when named. */
  readonly to?: string;
}

const ADAPTIVECARDS_BUNDLE = path.resolve(__dirname, "../node_modules/adaptivecards/dist/adaptivecards.min.js");
const INDEX_FILE = "captured.json";

/**
 * Writes what the local ACS Email emulator and Teams receiver received into a folder: each email as a
 * viewable `.html` and an `.eml`, each Teams post as its JSON, and `index.html`, a page that lists
 * them newest first with each email as the recipient sees it and each card rendered by the
 * `adaptivecards` library as Teams renders it.
 */
export class OutboxCapture {
  private readonly items: CapturedItem[];

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    const index = path.join(dir, INDEX_FILE);
    this.items = existsSync(index) ? (JSON.parse(readFileSync(index, "utf8")) as CapturedItem[]) : [];
    copyFileSync(ADAPTIVECARDS_BUNDLE, path.join(dir, "adaptivecards.min.js"));
  }

  get captured(): readonly CapturedItem[] {
    return this.items;
  }

  addEmail(message: AcceptedMessage, at = new Date()): CapturedItem {
    const base = `${this.nextName(at)}-email`;
    writeFileSync(path.join(this.dir, `${base}.html`), message.html ?? `<pre>${escapeHtml(message.plainText ?? "")}</pre>`);
    writeFileSync(path.join(this.dir, `${base}.eml`), toEml(message, at));
    return this.add({ kind: "email", capturedAt: at.toISOString(), files: [`${base}.html`, `${base}.eml`], title: message.subject, to: message.recipients.to.join(", ") });
  }

  /** `to`: which Teams workflow it went to (e.g. "route exchange-team"), when there is more than one. */
  addTeamsPost(body: unknown, at = new Date(), to?: string): CapturedItem {
    const base = `${this.nextName(at)}-teams`;
    writeFileSync(path.join(this.dir, `${base}.json`), `${JSON.stringify(body, null, 2)}\n`);
    return this.add({ kind: "teams", capturedAt: at.toISOString(), files: [`${base}.json`], title: cardTitle(body), ...(to !== undefined && { to }) });
  }

  private add(item: CapturedItem): CapturedItem {
    this.items.push(item);
    writeFileSync(path.join(this.dir, INDEX_FILE), `${JSON.stringify(this.items, null, 2)}\n`);
    writeFileSync(path.join(this.dir, "index.html"), renderIndexPage(this.dir, this.items));
    return item;
  }

  private nextName(at: Date): string {
    const stamp = at.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}Z$/, "Z");
    return `${stamp}-${String(this.items.length + 1).padStart(4, "0")}`;
  }
}

function cardTitle(body: unknown): string {
  const content = (body as { attachments?: { content?: { body?: { text?: unknown }[] } }[] }).attachments?.[0]?.content;
  const text = content?.body?.[0]?.text;
  return typeof text === "string" ? text.replace(/\\(.)/g, "$1").replace(/\u200b/g, "") : "Teams post";
}

/** RFC 5322 message with a multipart/alternative body (plain text and HTML), base64 encoded. */
function toEml(message: AcceptedMessage, at: Date): string {
  const boundary = `restorewatch-${at.getTime().toString(36)}`;
  const b64 = (text: string): string => Buffer.from(text, "utf8").toString("base64").replace(/.{76}/g, "$&\r\n");
  const encodedSubject = `=?UTF-8?B?${Buffer.from(message.subject, "utf8").toString("base64")}?=`;
  const lines = [
    `From: ${message.sender}`,
    `To: ${message.recipients.to.join(", ")}`,
    ...(message.recipients.cc.length ? [`Cc: ${message.recipients.cc.join(", ")}`] : []),
    `Subject: ${encodedSubject}`,
    `Date: ${at.toUTCString()}`,
    `Message-ID: <${message.operationId}@acs.emulator.local>`,
    "MIME-Version: 1.0",
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
    "",
    `--${boundary}`,
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: base64",
    "",
    b64(message.plainText ?? ""),
    `--${boundary}`,
    "Content-Type: text/html; charset=utf-8",
    "Content-Transfer-Encoding: base64",
    "",
    b64(message.html ?? ""),
    `--${boundary}--`,
    "",
  ];
  return lines.join("\r\n");
}

function escapeHtml(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/** JSON inside a <script> element: `<` escaped so no `</script>` in the data can end it. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

/**
 * The page. Cards are rendered in the browser by adaptivecards (the library Teams' renderer is built
 * on); the page records how many cards rendered and every parse warning in `data-*` attributes and its
 * title, so a headless browser can check it.
 */
export function renderIndexPage(dir: string, items: readonly CapturedItem[]): string {
  const newestFirst = [...items].reverse();
  const cards = newestFirst.filter((item) => item.kind === "teams").map((item) => ({ id: item.files[0], body: JSON.parse(readFileSync(path.join(dir, item.files[0] as string), "utf8")) as unknown }));
  const sections = newestFirst
    .map((item) => {
      const head = `<h2><span class="kind ${item.kind}">${item.kind === "email" ? "Email" : "Teams"}</span> ${escapeHtml(item.title)}</h2><p class="meta">${item.to !== undefined ? `to ${escapeHtml(item.to)} · ` : ""}${escapeHtml(item.capturedAt)} · ${item.files.map((f) => `<a href="${escapeHtml(f)}">${escapeHtml(f)}</a>`).join(" · ")}</p>`;
      const view =
        item.kind === "email"
          ? `<iframe class="email" sandbox src="${escapeHtml(item.files[0] as string)}" title="${escapeHtml(item.title)}"></iframe>`
          : `<div class="card" data-card="${escapeHtml(item.files[0] as string)}"></div>`;
      return `<section>${head}${view}</section>`;
    })
    .join("\n");
  const emails = items.filter((i) => i.kind === "email").length;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>restorewatch outbox</title>
<style>
body{font-family:Segoe UI,Helvetica,Arial,sans-serif;margin:0;background:#f5f5f5;color:#242424}
header{background:#0f6cbd;color:#fff;padding:12px 24px}header h1{margin:0;font-size:20px}
main{padding:16px 24px;max-width:1100px}section{background:#fff;border-radius:6px;box-shadow:0 1px 3px rgba(0,0,0,.15);padding:12px 16px;margin:0 0 16px}
h2{font-size:16px;margin:0 0 4px}.meta{margin:0 0 8px;color:#616161;font-size:12px}
.kind{display:inline-block;font-size:11px;padding:2px 6px;border-radius:3px;color:#fff;vertical-align:middle}.kind.email{background:#0f6cbd}.kind.teams{background:#5b5fc7}
iframe.email{width:100%;height:420px;border:1px solid #e0e0e0}.card{max-width:760px;border:1px solid #e0e0e0;border-radius:4px;padding:12px;background:#fff}
.ac-textBlock{white-space:pre-wrap}
</style></head>
<body data-rendered-cards="0" data-card-errors="pending">
<header><h1>restorewatch outbox: ${emails} email(s), ${items.length - emails} Teams post(s), newest first</h1></header>
<main>
${sections || "<p>Nothing captured yet.</p>"}
</main>
<script src="adaptivecards.min.js"></script>
<script id="cards" type="application/json">${scriptJson(cards)}</script>
<script>
(function () {
  var problems = [];
  var rendered = 0;
  var cards = JSON.parse(document.getElementById("cards").textContent);
  cards.forEach(function (entry) {
    var target = document.querySelector('[data-card="' + entry.id + '"]');
    try {
      var attachment = entry.body.attachments[0];
      var card = new AdaptiveCards.AdaptiveCard();
      card.hostConfig = new AdaptiveCards.HostConfig({ fontFamily: "Segoe UI, Helvetica, Arial, sans-serif" });
      var context = new AdaptiveCards.SerializationContext();
      card.parse(attachment.content, context);
      for (var i = 0; i < context.eventCount; i++) problems.push(entry.id + ": " + context.getEventAt(i).message);
      var element = card.render();
      if (!element) throw new Error("render() returned nothing");
      target.appendChild(element);
      rendered++;
    } catch (error) {
      problems.push(entry.id + ": " + error.message);
      target.textContent = "Could not render this card: " + error.message;
    }
  });
  document.body.setAttribute("data-rendered-cards", String(rendered));
  document.body.setAttribute("data-card-errors", problems.length ? problems.join(" | ") : "none");
  document.title = "restorewatch outbox: " + rendered + " of " + cards.length + " cards rendered, " + problems.length + " problem(s)";
})();
</script>
</body></html>
`;
}

/** The captured files of a folder, for scripts that only read it. */
export function listCaptured(dir: string): CapturedItem[] {
  const index = path.join(dir, INDEX_FILE);
  return existsSync(index) ? (JSON.parse(readFileSync(index, "utf8")) as CapturedItem[]) : [];
}

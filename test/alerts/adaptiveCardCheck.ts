import * as AC from "adaptivecards";
import { TEAMS_CARD_BUDGET_BYTES } from "../../shared/alerts/renderTeamsCard";

/**
 * Problems the adaptivecards library (parsing for Adaptive Card 1.4, then validating) and the Workflows
 * envelope rules find in a Teams message; empty when the message is fine.
 */
export function teamsMessageProblems(message: unknown): string[] {
  const problems: string[] = [];
  const envelope = message as { type?: unknown; attachments?: { contentType?: unknown; contentUrl?: unknown; content?: unknown }[] };
  if (envelope.type !== "message") problems.push("envelope type is not 'message'");
  if (!Array.isArray(envelope.attachments) || envelope.attachments.length !== 1) return [...problems, "there must be exactly one attachment"];
  const [attachment] = envelope.attachments;
  if (attachment?.contentType !== "application/vnd.microsoft.card.adaptive") problems.push("attachment is not an Adaptive Card");
  if (attachment?.contentUrl !== null) problems.push("contentUrl must be null");
  const content = attachment?.content as { version?: unknown; msteams?: { width?: unknown } } | undefined;
  if (content?.version !== "1.4") problems.push(`card version is ${String(content?.version)}, not 1.4`);
  if (content?.msteams?.width !== "Full") problems.push("card is not full width");

  const card = new AC.AdaptiveCard();
  const context = new AC.SerializationContext(AC.Versions.v1_4);
  card.parse(content, context);
  for (let index = 0; index < context.eventCount; index++) problems.push(`parse: ${context.getEventAt(index).message}`);
  for (const event of card.validateProperties().validationEvents) problems.push(`validate: ${event.message}`);
  const bytes = Buffer.byteLength(JSON.stringify(message), "utf8");
  if (bytes > TEAMS_CARD_BUDGET_BYTES) problems.push(`message is ${bytes} bytes, over ${TEAMS_CARD_BUDGET_BYTES}`);
  return problems;
}

export function parseCard(message: unknown): AC.AdaptiveCard {
  const content = (message as { attachments: { content: unknown }[] }).attachments[0]?.content;
  const card = new AC.AdaptiveCard();
  card.parse(content, new AC.SerializationContext(AC.Versions.v1_4));
  return card;
}

const ASCII_PUNCTUATION = /[!-/:-@[-`{-~]/;
const ENTITIES: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" };

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/**
 * A small model of the Markdown Teams applies to TextBlocks and Fact values (a CommonMark subset:
 * backslash escapes, entities, links, autolinks, inline HTML, **bold**, _italic_ / *italic*, and
 * line-start headings, lists and quotes). Deliberately permissive, like the worst client: whatever
 * escaping survives it shows literally.
 */
export function markdownModel(text: string): string {
  let block = "";
  let rest = text;
  const blockMatch = /^(#{1,6} |[-+*] |\d+[.)] |> )/.exec(rest);
  if (blockMatch?.[1]) {
    block = blockMatch[1].trim().startsWith("#") ? "h1" : blockMatch[1].startsWith(">") ? "blockquote" : "li";
    rest = rest.slice(blockMatch[1].length);
  }
  let html = "";
  let index = 0;
  const open = { strong: false, em: false };
  while (index < rest.length) {
    const char = rest.charAt(index);
    const next = rest.charAt(index + 1);
    if (char === "\\" && ASCII_PUNCTUATION.test(next)) {
      html += escapeHtml(next);
      index += 2;
      continue;
    }
    if (char === "&") {
      const entity = /^&(amp|lt|gt|quot|#39);/.exec(rest.slice(index));
      if (entity?.[1]) {
        html += escapeHtml(ENTITIES[entity[1]] ?? "");
        index += entity[0].length;
        continue;
      }
    }
    if (char === "[") {
      const link = /^\[([^\]\\]*)\]\(([^)\s]*)\)/.exec(rest.slice(index));
      if (link) {
        html += `<a href="${escapeHtml(link[2] ?? "")}">${escapeHtml(link[1] ?? "")}</a>`;
        index += link[0].length;
        continue;
      }
    }
    if (char === "<") {
      const autolink = /^<(https?:[^>\s]*)>/.exec(rest.slice(index));
      if (autolink) {
        html += `<a href="${escapeHtml(autolink[1] ?? "")}">${escapeHtml(autolink[1] ?? "")}</a>`;
        index += autolink[0].length;
        continue;
      }
      const tag = /^<\/?[A-Za-z][^>]*>/.exec(rest.slice(index));
      if (tag) {
        html += tag[0]; // inline HTML passed through, as CommonMark does
        index += tag[0].length;
        continue;
      }
    }
    if (char === "*" && next === "*") {
      html += open.strong ? "</strong>" : "<strong>";
      open.strong = !open.strong;
      index += 2;
      continue;
    }
    if (char === "_" || char === "*") {
      html += open.em ? "</em>" : "<em>";
      open.em = !open.em;
      index += 1;
      continue;
    }
    html += escapeHtml(char);
    index += 1;
  }
  if (open.em) html += "</em>";
  if (open.strong) html += "</strong>";
  return block ? `<${block}>${html}</${block}>` : html;
}

/** Renders a card in the jsdom environment with markdownModel as the Markdown processor. */
export function renderCard(message: unknown): HTMLElement {
  if (!("innerText" in HTMLElement.prototype) || Object.getOwnPropertyDescriptor(HTMLElement.prototype, "innerText") === undefined) {
    // jsdom has no innerText, which the library uses for plain text.
    Object.defineProperty(HTMLElement.prototype, "innerText", {
      get(this: HTMLElement) {
        return this.textContent;
      },
      set(this: HTMLElement, value: string) {
        this.textContent = value;
      },
    });
  }
  AC.AdaptiveCard.onProcessMarkdown = (text, result) => {
    result.outputHtml = markdownModel(text);
    result.didProcess = true;
  };
  const element = parseCard(message).render();
  if (!element) throw new Error("the card did not render");
  return element;
}

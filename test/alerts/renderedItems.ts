import type { Alert } from "../../shared/domain/alert";
import { renderEmail, type RenderedEmail } from "../../shared/alerts/renderEmail";
import { renderTeamsMessage } from "../../shared/alerts/renderTeamsCard";
import { teamsMessageProblems } from "./adaptiveCardCheck";

/**
 * The rows of an alert's tables as a reader sees them, read back from the real rendered email (HTML
 * parsed by jsdom: callers run in the jsdom environment; plain text) and Teams card (validated with
 * the adaptivecards library first). A row is its first cell's lines (what it is, then its details)
 * and its other cells.
 */
export interface ShownRow {
  readonly lines: string[];
  readonly cells: string[];
}

export interface ShownAlert {
  readonly email: RenderedEmail;
  readonly document: Document;
  readonly card: Record<string, unknown>;
  /** Table rows per table, keyed by the table's first column title ("Failed item", "Bulk request"). */
  readonly emailRows: (table: string) => ShownRow[];
  readonly cardRows: (table: string) => ShownRow[];
  /** Text of every TextBlock, TextRun and fact value of the card, with zero-width spaces removed. */
  readonly cardTexts: string[];
  readonly emailFacts: Record<string, string>;
  readonly cardFacts: Record<string, string>;
}

type Json = Record<string, unknown>;
const ZWSP = /\u200b/g;

export function renderBoth(alerts: readonly Alert[]): ShownAlert {
  const email = renderEmail(alerts);
  const document = new DOMParser().parseFromString(email.html, "text/html");
  const message = renderTeamsMessage(alerts);
  const problems = teamsMessageProblems(message.body);
  if (problems.length > 0) throw new Error(`invalid card: ${problems.join("; ")}`);
  const card = (message.body as { attachments: { content: Json }[] }).attachments[0]?.content as Json;
  return {
    email,
    document,
    card,
    emailRows: (table) => emailRows(document, table),
    cardRows: (table) => cardRows(card, table),
    cardTexts: cardElements(card["body"])
      .flatMap((element) => (element["type"] === "FactSet" ? (element["facts"] as { value: string }[]).map((fact) => fact.value) : typeof element["text"] === "string" ? [element["text"] as string] : []))
      .map((text) => text.replace(ZWSP, "")),
    emailFacts: Object.fromEntries(Array.from(document.querySelectorAll("th + td")).map((cell) => [cell.previousElementSibling?.textContent ?? "", cell.textContent ?? ""])),
    cardFacts: Object.fromEntries(
      cardElements(card["body"])
        .filter((element) => element["type"] === "FactSet")
        .flatMap((element) => element["facts"] as { title: string; value: string }[])
        .map((fact) => [fact.title, fact.value.replace(/\\([!-/:-@[-`{-~])/g, "$1").replace(ZWSP, "")]),
    ),
  };
}

function emailRows(document: Document, table: string): ShownRow[] {
  return Array.from(document.querySelectorAll("thead"))
    .filter((head) => head.querySelector("th")?.textContent === table)
    .flatMap((head) => Array.from((head.parentElement as HTMLTableElement).tBodies[0]?.rows ?? []))
    .map((row) => {
      const [first, ...rest] = Array.from(row.cells);
      // The first cell: its own text, then one small grey span per detail line.
      const own = Array.from(first?.childNodes ?? []).filter((node) => node.nodeType === 3).map((node) => node.textContent ?? "").join("");
      const details = Array.from(first?.querySelectorAll("span") ?? []).map((span) => span.textContent ?? "");
      return { lines: [own, ...details], cells: rest.map((cell) => cell.textContent ?? "") };
    });
}

export function cardElements(node: unknown, into: Json[] = []): Json[] {
  if (Array.isArray(node)) node.forEach((child) => cardElements(child, into));
  else if (typeof node === "object" && node !== null) {
    const element = node as Json;
    if (typeof element["type"] === "string") into.push(element);
    for (const key of ["body", "items", "columns", "inlines"]) cardElements(element[key], into);
  }
  return into;
}

function columnTexts(column: Json): string[] {
  return cardElements(column["items"])
    .filter((element) => element["type"] === "TextRun" || element["type"] === "TextBlock")
    .map((element) => (element["text"] as string).replace(ZWSP, ""));
}

function cardRows(card: Json, table: string): ShownRow[] {
  const rows: ShownRow[] = [];
  let inTable = false;
  for (const element of cardElements(card["body"])) {
    if (element["type"] !== "ColumnSet") continue;
    const columns = (element["columns"] as Json[]).map(columnTexts);
    if (element["separator"] === true) {
      inTable = columns[0]?.[0] === table;
      continue;
    }
    if (inTable) rows.push({ lines: columns[0] ?? [], cells: columns.slice(1).map((texts) => texts.join(" ")) });
  }
  return rows;
}

/** The plain-text lines of a list ("Failed items:" or "Bulk requests with errors:"): each `- ` entry with its indented lines. */
export function plainTextEntries(plainText: string, heading: string): string[][] {
  const start = plainText.indexOf(`${heading}\n`);
  if (start < 0) return [];
  const entries: string[][] = [];
  for (const line of plainText.slice(start + heading.length + 1).split("\n")) {
    if (line.startsWith("- ")) entries.push([line.slice(2)]);
    else if (line.startsWith("    ") && entries.length > 0) entries.at(-1)?.push(line.slice(4));
    else if (line === "" && entries.length > 0) break;
  }
  return entries;
}

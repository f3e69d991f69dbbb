import { inertLinks } from "./inertLinks";
import type { Alert, FailedArtifact } from "../domain/alert";
import { EMAIL_MAX_ROWS_PER_SESSION } from "./renderEmail";
import { ADMIN_CENTER_LINK_TEXT, ADMIN_CENTER_URL, alertHeadline, alertSeverity, artifactLabel, formatCount, messageHeadline, messageSeverity, moreItemsText, moreSessionsText, sessionFacts, singleLine, truncate, type Severity } from "./summary";

/**
 * Teams refuses posts above about 28 KB; the card is kept to this many bytes of serialized UTF-8 JSON
 * (the whole message, envelope included).
 */
export const TEAMS_CARD_BUDGET_BYTES = 20_000;
/** Failed items listed per session at most, before the size budget cuts further. */
export const TEAMS_MAX_ROWS_PER_SESSION = 25;
/** Sessions given a section at most, before the size budget cuts further. */
export const TEAMS_MAX_SESSIONS = 50;

const MAX_CHARS = { name: 150, code: 80, message: 300, fact: 200, reason: 300 } as const;
const SEVERITY_COLOURS: Readonly<Record<Severity, string>> = { attention: "Attention", warning: "Warning" };

export interface RenderedTeamsMessage {
  /** The Workflows webhook payload: `{type: "message", attachments: [one Adaptive Card 1.4]}`. */
  readonly body: object;
  /** Size of JSON.stringify(body) in UTF-8. */
  readonly bytes: number;
}

export interface RenderTeamsOptions {
  readonly budgetBytes?: number;
}

/**
 * One alert, or a digest with one section per session. Within the budget it cuts rows first, then
 * sessions, saying how many were left out; the email and the outbox keep the full list.
 */
export function renderTeamsMessage(alerts: readonly Alert[], options: RenderTeamsOptions = {}): RenderedTeamsMessage {
  if (alerts.length === 0) throw new Error("a message needs at least one alert");
  const budget = options.budgetBytes ?? TEAMS_CARD_BUDGET_BYTES;
  const maxSessions = Math.min(alerts.length, TEAMS_MAX_SESSIONS);
  const render = (sessions: number, rows: number): RenderedTeamsMessage => {
    const body = buildMessage(alerts, sessions, rows);
    return { body, bytes: Buffer.byteLength(JSON.stringify(body), "utf8") };
  };
  const fits = (sessions: number, rows: number): boolean => render(sessions, rows).bytes <= budget;

  let sessions = maxSessions;
  if (!fits(sessions, 0)) {
    sessions = largestFitting(1, maxSessions, (s) => fits(s, 0));
    if (sessions === 0) throw new Error(`a Teams card for even one session exceeds ${budget} bytes`);
  }
  const rows = largestFitting(0, TEAMS_MAX_ROWS_PER_SESSION, (r) => fits(sessions, r));
  return render(sessions, Math.max(rows, 0));
}

/** Largest n in [low, high] for which the monotonic predicate holds, or low - 1 if none. */
function largestFitting(low: number, high: number, holds: (n: number) => boolean): number {
  let best = low - 1;
  while (low <= high) {
    const middle = Math.floor((low + high) / 2);
    if (holds(middle)) {
      best = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return best;
}

type CardElement = Record<string, unknown>;

function buildMessage(alerts: readonly Alert[], sessionsShown: number, rowsPerSession: number): object {
  const digest = alerts.length > 1;
  const body: CardElement[] = [
    {
      type: "TextBlock",
      text: escapeCardMarkdown(`restorewatch: ${messageHeadline(alerts)}`),
      weight: "Bolder",
      size: "Medium",
      wrap: true,
      color: SEVERITY_COLOURS[messageSeverity(alerts)],
    },
  ];
  for (const alert of alerts.slice(0, sessionsShown)) body.push(buildSection(alert, digest, rowsPerSession));
  if (sessionsShown < alerts.length) {
    body.push({
      type: "TextBlock",
      text: escapeCardMarkdown(`${moreSessionsText(alerts.length - sessionsShown)}; the email has all of them.`),
      wrap: true,
      weight: "Bolder",
      separator: true,
    });
  }
  const card = {
    $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
    type: "AdaptiveCard",
    version: "1.4",
    msteams: { width: "Full" },
    body,
    actions: [{ type: "Action.OpenUrl", title: ADMIN_CENTER_LINK_TEXT, url: ADMIN_CENTER_URL }],
  };
  return { type: "message", attachments: [{ contentType: "application/vnd.microsoft.card.adaptive", contentUrl: null, content: card }] };
}

function buildSection(alert: Alert, digest: boolean, rowsPerSession: number): CardElement {
  const items: CardElement[] = [];
  if (digest) {
    items.push({ type: "TextBlock", text: escapeCardMarkdown(alertHeadline(alert)), weight: "Bolder", wrap: true, color: SEVERITY_COLOURS[alertSeverity(alert)] });
  }
  items.push({
    type: "FactSet",
    // Fact values are rendered as Markdown by Teams, hence the escaping.
    facts: sessionFacts(alert).map((fact) => ({ title: fact.label, value: escapeCardMarkdown(truncate(singleLine(fact.value), MAX_CHARS.fact)) })),
  });
  items.push(...buildItems(alert, rowsPerSession));
  return { type: "Container", separator: digest, spacing: digest ? "Large" : "Default", items };
}

function buildItems(alert: Alert, rowsPerSession: number): CardElement[] {
  const { detail } = alert;
  if (!detail.available) return [plainText(`The failed items could not be listed: ${truncate(singleLine(detail.reason), MAX_CHARS.reason)}`, { italic: true })];
  if (detail.failedArtifacts.length === 0 && detail.omittedCount === 0) {
    return [plainText(alert.kind === "stuck" ? "No item of this session has failed so far." : "Graph listed no failed items for this session.")];
  }
  const shown = detail.failedArtifacts.slice(0, rowsPerSession);
  const elements: CardElement[] = [];
  if (shown.length > 0) {
    elements.push(row([headerCell("Failed item"), headerCell("Error code"), headerCell("Message")], true));
    for (const artifact of shown) elements.push(itemRow(artifact));
  }
  const more = moreItemsText(detail.failedArtifacts.length - shown.length, detail.omittedCount, alert.session.workload);
  if (more) elements.push({ type: "TextBlock", text: escapeCardMarkdown(`${more}; the email lists up to ${formatCount(EMAIL_MAX_ROWS_PER_SESSION)}.`), wrap: true, isSubtle: true, size: "Small" });
  return elements;
}

// Adaptive Card 1.4 has no Table element: each row is a ColumnSet with the same column weights.
// Error codes are long single words (DuplicateArtifactRestoreRequest) that cannot wrap: give them room.
const COLUMN_WEIGHTS = [3, 3, 4] as const;

function row(cells: readonly CardElement[], header = false): CardElement {
  return {
    type: "ColumnSet",
    spacing: header ? "Medium" : "Small",
    separator: header,
    columns: cells.map((cell, index) => ({ type: "Column", width: COLUMN_WEIGHTS[index] ?? 1, items: [cell] })),
  };
}

function headerCell(title: string): CardElement {
  return { type: "TextBlock", text: title, weight: "Bolder", wrap: true };
}

function itemRow(artifact: FailedArtifact): CardElement {
  return row([
    plainText(truncate(singleLine(artifactLabel(artifact)), MAX_CHARS.name)),
    plainText(truncate(singleLine(artifact.errorCode ?? ""), MAX_CHARS.code)),
    plainText(truncate(singleLine(artifact.errorMessage ?? ""), MAX_CHARS.message)),
  ]);
}

/**
 * Graph values go into RichTextBlock/TextRun wherever possible: a TextRun is never rendered as
 * Markdown, so names and messages show literally without backslashes.
 */
function plainText(text: string, style: { italic?: boolean } = {}): CardElement {
  return { type: "RichTextBlock", inlines: [{ type: "TextRun", text: breakTemplates(inertLinks(text)), ...(style.italic && { italic: true }) }] };
}

const ZERO_WIDTH_SPACE = "\u200b";

/**
 * Breaks `{{` (Adaptive Card DATE/TIME functions, which TextRuns evaluate too), `${` (templating) and
 * `@{` (Power Automate expressions) with a zero-width space, so none is ever evaluated.
 */
export function breakTemplates(text: string): string {
  return text.replace(/([{$@])(?=\{)/g, `$1${ZERO_WIDTH_SPACE}`);
}

/**
 * Text for a TextBlock or Fact, which Teams renders as (a subset of) CommonMark: shows literally.
 * Inline syntax characters get a backslash (CommonMark escapes any ASCII punctuation); `<` gets a
 * zero-width space instead, so neither an autolink, HTML nor an `<at>` mention can start; a line-start
 * block marker (heading, list, quote) is escaped too. Values must be single-line (see singleLine).
 */
export function escapeCardMarkdown(text: string): string {
  const inline = inertLinks(text).replace(/[\\*_[\]`~>&|]/g, "\\$&").replace(/</g, `<${ZERO_WIDTH_SPACE}`);
  const block = inline.replace(/^(\s*)([#+=-])/, "$1\\$2").replace(/^(\s*\d+)([.)])/, "$1\\$2");
  return breakTemplates(block);
}

import type { Alert, FailedArtifact } from "../domain/alert";
import { sortedArtifacts } from "./artifactLines";
import { buildItems } from "./cardItems";
import { escapeCardMarkdown, type CardElement } from "./cardText";
import { ADMIN_CENTER_LINK_TEXT, ADMIN_CENTER_URL, alertHeadline, alertSeverity, messageHeadline, messageSeverity, moreSessionsText, sessionFacts, singleLine, truncate, type Severity } from "./summary";

export { breakTemplates, escapeCardMarkdown } from "./cardText";

/**
 * Teams refuses posts above about 28 KB; the card is kept to this many bytes of serialized UTF-8 JSON
 * (the whole message, envelope included).
 */
export const TEAMS_CARD_BUDGET_BYTES = 20_000;
/** Failed items listed per session at most, before the size budget cuts further. */
export const TEAMS_MAX_ROWS_PER_SESSION = 25;
/** Sessions given a section at most, before the size budget cuts further. */
export const TEAMS_MAX_SESSIONS = 50;

/** Longest fact value shown, in characters. */
const MAX_FACT_CHARS = 200;
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
  // Sorted once: the card is built many times over while the budget is searched.
  const sections = alerts.slice(0, maxSessions).map((alert) => ({ alert, sorted: alert.detail.available ? sortedArtifacts(alert.detail.failedArtifacts) : [] }));
  const render = (sessions: number, rows: number): RenderedTeamsMessage => {
    const body = buildMessage(alerts, sections, sessions, rows);
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

/** A session's alert and its failed artifacts in the order they are listed. */
interface Section {
  readonly alert: Alert;
  readonly sorted: readonly FailedArtifact[];
}

function buildMessage(alerts: readonly Alert[], sections: readonly Section[], sessionsShown: number, rowsPerSession: number): object {
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
  for (const section of sections.slice(0, sessionsShown)) body.push(buildSection(section, digest, rowsPerSession));
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

function buildSection({ alert, sorted }: Section, digest: boolean, rowsPerSession: number): CardElement {
  const items: CardElement[] = [];
  if (digest) {
    items.push({ type: "TextBlock", text: escapeCardMarkdown(alertHeadline(alert)), weight: "Bolder", wrap: true, color: SEVERITY_COLOURS[alertSeverity(alert)] });
  }
  items.push({
    type: "FactSet",
    // Fact values are rendered as Markdown by Teams, hence the escaping.
    facts: sessionFacts(alert).map((fact) => ({ title: fact.label, value: escapeCardMarkdown(truncate(singleLine(fact.value), MAX_FACT_CHARS)) })),
  });
  items.push(...buildItems(alert, sorted, rowsPerSession));
  return { type: "Container", separator: digest, spacing: digest ? "Large" : "Default", items };
}

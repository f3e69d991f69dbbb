import type { Alert } from "../domain/alert";
import { renderItems } from "./emailItems";
import { byteLength, escapeHtml, escapeHtmlAttribute, MUTED, type Rendered } from "./htmlText";
import { ADMIN_CENTER_LINK_TEXT, ADMIN_CENTER_URL, alertHeadline, alertSeverity, messageHeadline, messageSeverity, messageSubject, moreSessionsText, sessionFacts, singleLine, truncate, type Severity } from "./summary";

export { EMAIL_MAX_ROWS_PER_SESSION } from "./emailItems";
export { escapeHtml } from "./htmlText";

export interface RenderedEmail {
  readonly subject: string;
  readonly html: string;
  readonly plainText: string;
}

/** Sessions given a section in one digest. */
export const EMAIL_MAX_SESSIONS = 500;
/**
 * Size targets of the two bodies. ACS takes at most 10 MB per request (both bodies, JSON-encoded,
 * which escapes every quote of the inline styles), so these stay far below it.
 */
export const EMAIL_HTML_BUDGET_BYTES = 3_000_000;
export const EMAIL_TEXT_BUDGET_BYTES = 1_500_000;

/** Longest fact value shown, in characters: Graph values are not bounded. */
const MAX_FACT_CHARS = 500;

const SEVERITY_COLOURS: Readonly<Record<Severity, string>> = { attention: "#a4262c", warning: "#8a5a00" };
const FONT = "font-family:Segoe UI,Helvetica,Arial,sans-serif";

/**
 * Renders one alert, or a digest with one section per alert. Every value from Graph is escaped.
 * Everything counts against the size budget: sessions get a section while their facts fit (the rest
 * are counted at the end), then the sections share what is left for their failed items.
 */
export function renderEmail(alerts: readonly Alert[]): RenderedEmail {
  const subject = messageSubject(alerts);
  const digest = alerts.length > 1;
  const top = renderTop(alerts);
  // Reserve the longest closing text (every session counted as not shown) before any section is placed.
  const longestBottom = renderBottom(alerts.length);
  let htmlLeft = EMAIL_HTML_BUDGET_BYTES - byteLength(top.html + longestBottom.html);
  let textLeft = EMAIL_TEXT_BUDGET_BYTES - byteLength(top.text + longestBottom.text);

  const heads: Rendered[] = [];
  for (const alert of alerts.slice(0, EMAIL_MAX_SESSIONS)) {
    const head = renderSectionHead(alert, digest);
    const htmlCost = byteLength(head.html) + SECTION_END.length;
    const textCost = byteLength(head.text);
    // A section is only placed if its items can at least say how many there are (ITEMS_FLOOR).
    if (htmlCost + ITEMS_FLOOR.html * (heads.length + 1) > htmlLeft || textCost + ITEMS_FLOOR.text * (heads.length + 1) > textLeft) break;
    heads.push(head);
    htmlLeft -= htmlCost;
    textLeft -= textCost;
  }
  const sectioned = alerts.slice(0, heads.length);
  const bottom = renderBottom(alerts.length - sectioned.length);

  const html: string[] = [top.html];
  const text: string[] = [top.text];
  sectioned.forEach((alert, index) => {
    const head = heads[index] as Rendered;
    // Each remaining section gets an equal share of what is left; what a section leaves unused goes to the next.
    const sectionsLeft = sectioned.length - index;
    const items = renderItems(alert, Math.max(0, htmlLeft / sectionsLeft), Math.max(0, textLeft / sectionsLeft));
    htmlLeft -= byteLength(items.html);
    textLeft -= byteLength(items.text);
    html.push(head.html, items.html, SECTION_END);
    text.push(head.text, items.text);
  });
  html.push(bottom.html);
  text.push(bottom.text);
  return { subject, html: html.join(""), plainText: text.join("") };
}

const SECTION_END = "</td></tr></table>";
/**
 * Bytes every placed section keeps for its items: enough for the frame of the items table, the
 * longest "and N more failed ... not listed here" line (or a sentence saying why there are none),
 * and the heading and "and N more bulk requests" line of its bulk requests with errors.
 */
const ITEMS_FLOOR = { html: 1_024, text: 512 } as const;

function renderTop(alerts: readonly Alert[]): Rendered {
  const headline = messageHeadline(alerts);
  const colour = SEVERITY_COLOURS[messageSeverity(alerts)];
  const html =
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
    `<title>${escapeHtml(messageSubject(alerts))}</title></head>` +
    `<body style="margin:0;padding:16px;background:#ffffff;${FONT};font-size:14px;color:#323130">` +
    `<h1 style="margin:0 0 12px 0;font-size:20px;line-height:26px;color:${colour}">${escapeHtml(headline)}</h1>` +
    (alerts.length > 1 ? `<p style="margin:0 0 16px 0">One section per restore session below.</p>` : "");
  const text = `${headline}\n${"=".repeat(Math.min(headline.length, 78))}\n\n`;
  return { html, text };
}

function renderBottom(sessionsNotShown: number): Rendered {
  const more = sessionsNotShown > 0 ? `${moreSessionsText(sessionsNotShown)}; see the admin center for all of them.` : "";
  const html =
    (more ? `<p style="margin:16px 0;font-weight:600">${escapeHtml(more)}</p>` : "") +
    `<p style="margin:20px 0"><a href="${escapeHtmlAttribute(ADMIN_CENTER_URL)}" style="display:inline-block;padding:10px 16px;background:#0f6cbd;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:600">${escapeHtml(ADMIN_CENTER_LINK_TEXT)}</a></p>` +
    `<p style="margin:0;font-size:12px;${MUTED}">Sent by restorewatch, which watches Microsoft 365 Backup restore sessions through Microsoft Graph.</p>` +
    `</body></html>`;
  const text = `${more ? `${more}\n\n` : ""}${ADMIN_CENTER_LINK_TEXT}: ${ADMIN_CENTER_URL}\n\nSent by restorewatch, which watches Microsoft 365 Backup restore sessions through Microsoft Graph.\n`;
  return { html, text };
}

/** The section's headline (digests only) and facts. Leaves the section's table open for the items. */
function renderSectionHead(alert: Alert, withHeadline: boolean): Rendered {
  const facts = sessionFacts(alert).map((fact) => ({ label: fact.label, value: truncate(singleLine(fact.value), MAX_FACT_CHARS) }));
  const headline = alertHeadline(alert);
  const colour = SEVERITY_COLOURS[alertSeverity(alert)];
  const html =
    `<table role="presentation" cellpadding="0" cellspacing="0" style="width:100%;max-width:960px;margin:0 0 20px 0;border-left:4px solid ${colour};border-collapse:collapse"><tr><td style="padding:0 0 0 12px">` +
    (withHeadline ? `<h2 style="margin:0 0 8px 0;font-size:16px;line-height:22px;color:${colour}">${escapeHtml(headline)}</h2>` : "") +
    `<table role="presentation" cellpadding="0" cellspacing="0" style="border-collapse:collapse;margin:0 0 10px 0">` +
    facts
      .map(
        (fact) =>
          `<tr><th style="padding:2px 12px 2px 0;text-align:left;vertical-align:top;font-weight:600;white-space:nowrap">${escapeHtml(fact.label)}</th>` +
          `<td style="padding:2px 0;word-break:break-word">${escapeHtml(fact.value)}</td></tr>`,
      )
      .join("") +
    `</table>`;
  const text =
    (withHeadline ? `${headline}\n${"-".repeat(Math.min(headline.length, 78))}\n` : "") +
    facts.map((fact) => `${fact.label}: ${fact.value}\n`).join("");
  return { html, text };
}



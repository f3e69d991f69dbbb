import type { Alert, BulkRequestIssue, FailedArtifact } from "../domain/alert";
import type { Workload } from "../domain/restoreSession";
import { artifactLines, shownText, sortedArtifacts } from "./artifactLines";
import { BULK_ISSUES_HEADING, bulkIssueLines, bulkIssuesNote, moreBulkIssuesText } from "./bulkIssueLines";
import { byteLength, CELL, escapeHtml, MUTED, type Rendered } from "./htmlText";
import { formatUtc, moreItemsText, singleLine, truncate } from "./summary";

/** Rows of failed items listed per session; the rest are counted in an "and N more" line. */
export const EMAIL_MAX_ROWS_PER_SESSION = 1000;

/** Longest value shown per field, in characters: Graph values are not bounded. */
export const EMAIL_ITEM_CHARS = { name: 300, id: 200, code: 120, message: 2000, url: 500, path: 500 } as const;

/**
 * The failed items of a section (or why there are none) and its bulk requests with errors, within
 * the section's share of the size budget. The items keep what they need at least (their "and N more"
 * line); the bulk requests (a few at most) come next; the items take what is left.
 */
export function renderItems(alert: Alert, htmlBudget: number, textBudget: number): Rendered {
  const { detail } = alert;
  if (!detail.available) return renderUnavailable(truncate(singleLine(detail.reason), EMAIL_ITEM_CHARS.message), htmlBudget, textBudget);
  const workload = alert.session.workload;
  const bulkIssues = detail.bulkIssues ?? [];
  if (detail.failedArtifacts.length === 0 && detail.omittedCount === 0) {
    const none =
      alert.kind === "stuck" ? "No item of this session has failed so far." : bulkIssues.length > 0 ? "No restore item of this session failed." : "Graph listed no failed items for this session.";
    const said = { html: `<p style="margin:0 0 8px 0">${escapeHtml(none)}</p>`, text: `\n${none}\n\n` };
    const bulk = renderBulkIssues(bulkIssues, workload, htmlBudget - byteLength(said.html), textBudget - byteLength(said.text));
    return { html: said.html + bulk.html, text: said.text + bulk.text };
  }
  const sorted = sortedArtifacts(detail.failedArtifacts);
  const items = (html: number, text: number): Rendered => renderFailedItems(sorted, detail.omittedCount, workload, html, text);
  const itemsAtLeast = items(0, 0);
  const bulk = renderBulkIssues(bulkIssues, workload, htmlBudget - byteLength(itemsAtLeast.html), textBudget - byteLength(itemsAtLeast.text));
  const listed = items(htmlBudget - byteLength(bulk.html), textBudget - byteLength(bulk.text));
  return { html: listed.html + bulk.html, text: listed.text + bulk.text };
}

function renderFailedItems(sorted: readonly FailedArtifact[], omittedCount: number, workload: Workload, htmlBudget: number, textBudget: number): Rendered {
  return renderTable(
    {
      heading: { html: "", text: "\nFailed items:\n" },
      titles: ["Failed item", "Error code", "Message", "Restore point", "Destination"],
      count: sorted.length,
      maxRows: EMAIL_MAX_ROWS_PER_SESSION,
      row: (index) => failedItemRow(sorted[index] as FailedArtifact, workload),
      more: (notShown) => moreItemsText(notShown, omittedCount, workload),
    },
    htmlBudget,
    textBudget,
  );
}

function renderBulkIssues(issues: readonly BulkRequestIssue[], workload: Workload, htmlBudget: number, textBudget: number): Rendered {
  if (issues.length === 0) return { html: "", text: "" };
  const note = bulkIssuesNote(workload);
  return renderTable(
    {
      heading: {
        html: `<p style="margin:12px 0 2px 0;font-weight:600">${escapeHtml(BULK_ISSUES_HEADING)}</p><p style="margin:0 0 6px 0;font-size:12px;${MUTED}">${escapeHtml(note)}</p>`,
        text: `${BULK_ISSUES_HEADING}:\n${note}\n`,
      },
      titles: ["Bulk request", "Error code", "Message"],
      count: issues.length,
      maxRows: EMAIL_MAX_ROWS_PER_SESSION,
      row: (index) => bulkIssueRow(issues[index] as BulkRequestIssue, workload),
      more: moreBulkIssuesText,
    },
    htmlBudget,
    textBudget,
  );
}

/** A table of rows built one at a time while they fit, then a line counting the rest. */
interface Table {
  readonly heading: Rendered;
  readonly titles: readonly string[];
  readonly count: number;
  readonly maxRows: number;
  readonly row: (index: number) => Rendered;
  readonly more: (notShown: number) => string | undefined;
}

const TABLE_END = "</tbody></table>";

function renderTable(table: Table, htmlBudget: number, textBudget: number): Rendered {
  const header =
    `<table cellpadding="0" cellspacing="0" style="width:100%;border-collapse:collapse;font-size:13px"><thead><tr style="background:#f3f2f1">` +
    table.titles.map((title) => `<th style="${CELL}">${escapeHtml(title)}</th>`).join("") +
    `</tr></thead><tbody>`;
  // The frame is counted first: the heading, the table's header and end, and the longest "and N more" line.
  const longestMore = table.more(table.count) ?? "";
  let htmlUsed = byteLength(table.heading.html + header + TABLE_END + moreParagraph(longestMore));
  let textUsed = byteLength(`${table.heading.text}${longestMore}.\n\n`);
  const rowsHtml: string[] = [];
  const rowsText: string[] = [];
  for (let index = 0; index < Math.min(table.count, table.maxRows); index++) {
    const row = table.row(index);
    const rowHtmlBytes = byteLength(row.html);
    const rowTextBytes = byteLength(row.text);
    if (htmlUsed + rowHtmlBytes > htmlBudget || textUsed + rowTextBytes > textBudget) break;
    rowsHtml.push(row.html);
    rowsText.push(row.text);
    htmlUsed += rowHtmlBytes;
    textUsed += rowTextBytes;
  }
  const more = table.more(table.count - rowsHtml.length);
  return {
    html: table.heading.html + (rowsHtml.length > 0 ? `${header}${rowsHtml.join("")}${TABLE_END}` : "") + (more ? moreParagraph(more) : ""),
    text: `${table.heading.text}${rowsText.join("")}${more ? `${more}.\n` : ""}\n`,
  };
}

function moreParagraph(more: string): string {
  return `<p style="margin:8px 0 0 0;font-weight:600">${escapeHtml(more)}.</p>`;
}

/** Why the items are missing: the reason as long as the section's share of the budget allows, else none. */
function renderUnavailable(reason: string, htmlBudget: number, textBudget: number): Rendered {
  const render = (chars: number): Rendered => {
    const sentence = chars > 0 ? `The failed items could not be listed: ${truncate(reason, chars)}` : "The failed items could not be listed.";
    return { html: `<p style="margin:0 0 8px 0;font-style:italic">${escapeHtml(sentence)}</p>`, text: `\n${sentence}\n\n` };
  };
  const fits = (rendered: Rendered): boolean => byteLength(rendered.html) <= htmlBudget && byteLength(rendered.text) <= textBudget;
  let low = 0;
  let high = Array.from(reason).length;
  if (fits(render(high))) return render(high);
  while (low < high - 1) {
    const middle = Math.floor((low + high) / 2);
    if (fits(render(middle))) low = middle;
    else high = middle;
  }
  return render(low);
}

/** The first cell of a row: what it is, then its details in small grey lines. */
function describedCell(title: string, details: readonly string[]): string {
  return `<td style="${CELL};word-break:break-word">${escapeHtml(title)}` + details.map((line) => `<br><span style="font-size:12px;${MUTED}">${escapeHtml(line)}</span>`).join("") + `</td>`;
}

/** `- title`, its details indented below, then the indented lines that follow them. */
function describedText(title: string, details: readonly string[], after: readonly string[]): string {
  return `- ${title}\n${[...details, ...after.filter(Boolean)].map((line) => `    ${line}\n`).join("")}`;
}

function failedItemRow(artifact: FailedArtifact, workload: Workload): Rendered {
  const lines = artifactLines(artifact, workload, EMAIL_ITEM_CHARS);
  const code = shownText(artifact.errorCode, EMAIL_ITEM_CHARS.code) ?? "";
  const message = shownText(artifact.errorMessage, EMAIL_ITEM_CHARS.message) ?? "";
  const restorePoint = artifact.restorePointDateTime ? formatUtc(truncate(singleLine(artifact.restorePointDateTime), EMAIL_ITEM_CHARS.id)) : "";
  const destination = shownText(artifact.destinationType, EMAIL_ITEM_CHARS.code) ?? "";
  // URLs are shown as text, never as links: they came from Graph and are not ours to make clickable.
  const html =
    `<tr>${describedCell(lines.title, lines.details)}<td style="${CELL}">${escapeHtml(code)}</td><td style="${CELL};word-break:break-word">${escapeHtml(message)}</td>` +
    `<td style="${CELL};white-space:nowrap">${escapeHtml(restorePoint)}</td><td style="${CELL}">${escapeHtml(destination)}</td></tr>`;
  const where = [restorePoint && `restore point ${restorePoint}`, destination && `destination ${destination}`].filter(Boolean).join(", ");
  return { html, text: describedText(lines.title, lines.details, [errorLine(code, message), where]) };
}

function bulkIssueRow(issue: BulkRequestIssue, workload: Workload): Rendered {
  const lines = bulkIssueLines(issue, workload, EMAIL_ITEM_CHARS);
  const html = `<tr>${describedCell(lines.title, lines.details)}<td style="${CELL}">${escapeHtml(lines.errorCode)}</td><td style="${CELL};word-break:break-word">${escapeHtml(lines.errorMessage)}</td></tr>`;
  return { html, text: describedText(lines.title, lines.details, [errorLine(lines.errorCode, lines.errorMessage)]) };
}

/** `error: Code: message` under an item in the plain text, or nothing when Graph gave neither. */
function errorLine(code: string, message: string): string {
  const error = code && message ? `${code}: ${message}` : code || message;
  return error && `error: ${error}`;
}

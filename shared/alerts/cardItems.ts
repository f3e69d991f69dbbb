import type { Alert, BulkRequestIssue, FailedArtifact } from "../domain/alert";
import type { Workload } from "../domain/restoreSession";
import { artifactLines, shownText } from "./artifactLines";
import { BULK_ISSUES_HEADING, bulkIssueLines, bulkIssuesNote, moreBulkIssuesText } from "./bulkIssueLines";
import { escapeCardMarkdown, plainText, type CardElement } from "./cardText";
import { EMAIL_MAX_ROWS_PER_SESSION } from "./emailItems";
import { formatCount, moreItemsText, singleLine, truncate } from "./summary";

/** Longest value shown per field, in characters. */
export const CARD_ITEM_CHARS = { name: 150, id: 100, url: 200, path: 200, code: 80, message: 300, reason: 300 } as const;

/**
 * The failed items of a session's section (its artifacts sorted for display), then its bulk requests
 * with errors: at most rowsPerSession rows of each, the rest counted.
 */
export function buildItems(alert: Alert, sorted: readonly FailedArtifact[], rowsPerSession: number): CardElement[] {
  const { detail } = alert;
  const workload = alert.session.workload;
  if (!detail.available) return [plainText(`The failed items could not be listed: ${truncate(singleLine(detail.reason), CARD_ITEM_CHARS.reason)}`, { italic: true })];
  const bulk = buildBulkIssues(detail.bulkIssues ?? [], workload, rowsPerSession);
  if (sorted.length === 0 && detail.omittedCount === 0) {
    const none = alert.kind === "stuck" ? "No item of this session has failed so far." : bulk.length > 0 ? "No restore item of this session failed." : "Graph listed no failed items for this session.";
    return [plainText(none), ...bulk];
  }
  const shown = sorted.slice(0, rowsPerSession);
  const elements: CardElement[] = [];
  if (shown.length > 0) {
    elements.push(row([headerCell("Failed item"), headerCell("Error code"), headerCell("Message")], true));
    for (const artifact of shown) elements.push(failedItemRow(artifact, workload));
  }
  const more = moreItemsText(sorted.length - shown.length, detail.omittedCount, workload);
  if (more) elements.push(moreBlock(`${more}; the email lists up to ${formatCount(EMAIL_MAX_ROWS_PER_SESSION)}.`));
  return [...elements, ...bulk];
}

function buildBulkIssues(issues: readonly BulkRequestIssue[], workload: Workload, rowsPerSession: number): CardElement[] {
  if (issues.length === 0) return [];
  const shown = issues.slice(0, rowsPerSession);
  const elements: CardElement[] = [
    { type: "TextBlock", text: escapeCardMarkdown(BULK_ISSUES_HEADING), weight: "Bolder", wrap: true, spacing: "Medium" },
    plainText(bulkIssuesNote(workload), { detail: true }),
  ];
  if (shown.length > 0) {
    elements.push(row([headerCell("Bulk request"), headerCell("Error code"), headerCell("Message")], true));
    for (const issue of shown) elements.push(bulkIssueRow(issue, workload));
  }
  const more = moreBulkIssuesText(issues.length - shown.length);
  if (more) elements.push(moreBlock(`${more}.`));
  return elements;
}

function moreBlock(text: string): CardElement {
  return { type: "TextBlock", text: escapeCardMarkdown(text), wrap: true, isSubtle: true, size: "Small" };
}

// Adaptive Card 1.4 has no Table element: each row is a ColumnSet with the same column weights.
// Error codes are long single words (DuplicateArtifactRestoreRequest) that cannot wrap: give them room.
const COLUMN_WEIGHTS = [3, 3, 4] as const;

/** A row of cells; a cell is one element or several stacked. */
function row(cells: readonly (CardElement | readonly CardElement[])[], header = false): CardElement {
  return {
    type: "ColumnSet",
    spacing: header ? "Medium" : "Small",
    separator: header,
    columns: cells.map((cell, index) => ({ type: "Column", width: COLUMN_WEIGHTS[index] ?? 1, items: Array.isArray(cell) ? cell : [cell] })),
  };
}

function headerCell(title: string): CardElement {
  return { type: "TextBlock", text: title, weight: "Bolder", wrap: true };
}

/** What it is (a name first), with its details in small grey lines below. */
function describedCell(title: string, details: readonly string[]): CardElement[] {
  return [plainText(title), ...details.map((line) => plainText(line, { detail: true }))];
}

function failedItemRow(artifact: FailedArtifact, workload: Workload): CardElement {
  const lines = artifactLines(artifact, workload, CARD_ITEM_CHARS);
  return row([describedCell(lines.title, lines.details), plainText(shownText(artifact.errorCode, CARD_ITEM_CHARS.code) ?? ""), plainText(shownText(artifact.errorMessage, CARD_ITEM_CHARS.message) ?? "")]);
}

function bulkIssueRow(issue: BulkRequestIssue, workload: Workload): CardElement {
  const lines = bulkIssueLines(issue, workload, CARD_ITEM_CHARS);
  return row([describedCell(lines.title, lines.details), plainText(lines.errorCode), plainText(lines.errorMessage)]);
}

import { inertLinks } from "./inertLinks";

/** One element of an Adaptive Card, as JSON. */
export type CardElement = Record<string, unknown>;

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

export interface PlainTextStyle {
  readonly italic?: boolean;
  /** Small grey text under a title (an item's address, URL, ids). */
  readonly detail?: boolean;
}

/**
 * Graph values go into RichTextBlock/TextRun wherever possible: a TextRun is never rendered as
 * Markdown, so names and messages show literally without backslashes.
 */
export function plainText(text: string, style: PlainTextStyle = {}): CardElement {
  const run = { type: "TextRun", text: breakTemplates(inertLinks(text)), ...(style.italic && { italic: true }), ...(style.detail && { isSubtle: true, size: "Small" }) };
  return { type: "RichTextBlock", ...(style.detail && { spacing: "None" }), inlines: [run] };
}

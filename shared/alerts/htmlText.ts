import { inertLinks } from "./inertLinks";

const HTML_ESCAPES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text for an HTML text node or quoted attribute: escaped, and its links made inert (inertLinks). */
export function escapeHtml(value: string): string {
  return escapeHtmlAttribute(inertLinks(value));
}

/** A value for an HTML attribute restorewatch itself sets (its own link): escaped only. */
export function escapeHtmlAttribute(value: string): string {
  return value.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

export function byteLength(value: string): number {
  return Buffer.byteLength(value, "utf8");
}

/** A piece of the email: its HTML and its plain-text form. */
export interface Rendered {
  readonly html: string;
  readonly text: string;
}

export const MUTED = "color:#605e5c";
export const CELL = "padding:6px 8px;border-bottom:1px solid #edebe9;vertical-align:top;text-align:left";

/**
 * Longest free text kept from a session. Graph does not bound these; an alert record stores the
 * session as one string property, which Table Storage caps at 32K UTF-16 characters (and refuses the
 * whole transaction otherwise, on every run). The renderers show far less.
 */
export const MAX_SESSION_TEXT_CHARS = { name: 500, code: 200, message: 2000 } as const;

/** Cuts text to at most max UTF-16 units, marking the cut with an ellipsis and never splitting a surrogate pair. */
export function boundText(value: string, max: number): string {
  if (value.length <= max) return value;
  let cut = value.slice(0, max - 1);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}

// A string property holds at most 64 KiB (32K UTF-16 characters); JSON that can be longer is split.
export const DETAIL_CHUNK_CHARS = 30_000;
// An entity is at most 1 MiB, strings counted as UTF-16: 12 chunks (~720 KB) leave room for the rest.
const MAX_DETAIL_CHUNKS = 12;

/** Largest failed-artifact JSON an alert row may carry (the renderers cap lists far below this). */
export const MAX_DETAIL_JSON_CHARS = DETAIL_CHUNK_CHARS * MAX_DETAIL_CHUNKS;

/**
 * Bounds of a failed artifact's and a bulk request's text as an alert keeps it: ingestion cuts to
 * these (boundText), and re-validation of a stored alert refuses anything longer.
 */
export const MAX_ARTIFACT_TEXT_CHARS = { id: 200, name: 500, address: 320, code: 200, message: 2001, url: 2048, path: 2000, type: 200 } as const;

/** Most bulk requests with errors one alert keeps (Graph allows one bulk addition job per session). */
export const MAX_BULK_ISSUES = 20;

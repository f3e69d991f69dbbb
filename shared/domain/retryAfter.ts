/**
 * How long a far side (Graph, ACS, Teams) asks us to wait, bounded. Its answer is not trusted: "0", a
 * negative number or a date in the past would mean retrying at once, in a loop; a value of years (or
 * one past what a Date can hold) would park an alert forever or break the arithmetic of the next
 * attempt. So every wait read here lies between RETRY_AFTER_FLOOR_IN_MS and RETRY_AFTER_CEILING_IN_MS.
 */
export const RETRY_AFTER_FLOOR_IN_MS = 1_000;
/** Six hours: the longest backoff between delivery attempts, so an alert still reaches its last attempt. */
export const RETRY_AFTER_CEILING_IN_MS = 6 * 3_600_000;

export function clampRetryAfter(ms: number): number {
  if (Number.isNaN(ms)) return RETRY_AFTER_FLOOR_IN_MS;
  return Math.min(RETRY_AFTER_CEILING_IN_MS, Math.max(RETRY_AFTER_FLOOR_IN_MS, Math.round(ms)));
}

/** Retry-After as delay-seconds or an HTTP date, in ms from now and bounded; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value == null || value.trim() === "") return undefined;
  const text = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(text)) return clampRetryAfter(Number(text) * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : clampRetryAfter(date - now);
}

/**
 * The wait a response asks for, from `retry-after-ms` / `x-ms-retry-after-ms` (Azure services) or
 * `Retry-After` (seconds or an HTTP date), bounded; undefined when none is readable.
 */
export function retryAfterOfHeaders(get: (name: string) => string | null | undefined, now: number = Date.now()): number | undefined {
  for (const name of ["retry-after-ms", "x-ms-retry-after-ms"]) {
    const text = get(name)?.trim();
    if (text !== undefined && /^-?\d+(\.\d+)?$/.test(text)) return clampRetryAfter(Number(text));
  }
  return parseRetryAfter(get("retry-after"), now);
}

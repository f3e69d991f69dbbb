import { describeValue } from "../domain/errors";
/** One window of a channel's rate limit: at most `max` messages in any `windowMs`. */
export interface RateWindow {
  readonly max: number;
  readonly windowMs: number;
}

export type RateLimit = readonly RateWindow[];

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * ACS sending limits per subscription (service-limits): an Azure-managed domain (`*.azurecomm.net`)
 * allows 5 emails a minute and 10 an hour, and cannot be raised; a custom verified domain 30 and 100.
 */
export const ACS_MANAGED_DOMAIN_LIMIT: RateLimit = [
  { max: 5, windowMs: 60_000 },
  { max: 10, windowMs: 3_600_000 },
];
export const ACS_CUSTOM_DOMAIN_LIMIT: RateLimit = [
  { max: 30, windowMs: 60_000 },
  { max: 100, windowMs: 3_600_000 },
];
/** Documented for Office 365 connectors; Workflows publish no number, so the same limit is kept. */
export const TEAMS_DEFAULT_LIMIT: RateLimit = [
  { max: 4, windowMs: 1_000 },
  { max: 60, windowMs: 30_000 },
  { max: 100, windowMs: 3_600_000 },
  { max: 1800, windowMs: 86_400_000 },
];

/** The limit that applies to a sender address by default. */
export function defaultEmailRateLimit(senderAddress: string): RateLimit {
  return /\.azurecomm\.net$/i.test(senderAddress.trim()) ? ACS_MANAGED_DOMAIN_LIMIT : ACS_CUSTOM_DOMAIN_LIMIT;
}

/** Parses `5/1m,10/1h` (count per duration, units s m h d), or `off` (no limit: an empty list). */
export function parseRateLimit(text: string): RateLimit {
  if (text.trim().toLowerCase() === "off") return [];
  return text.split(",").map((part) => {
    const match = /^\s*(\d+)\s*\/\s*(\d*)\s*([smhd])\s*$/.exec(part);
    if (!match) throw new Error(`${describeValue(part.trim())} is not a rate such as 5/1m (count per duration, units s, m, h, d), and 'off' disables the limit`);
    const max = Number(match[1]);
    const windowMs = Number(match[2] || "1") * (UNIT_MS[match[3] as string] as number);
    if (max < 1 || windowMs < 1) throw new Error(`${describeValue(part.trim())} must allow at least 1 message in a window longer than 0`);
    return { max, windowMs };
  });
}

export function formatRateLimit(limit: RateLimit): string {
  if (limit.length === 0) return "off";
  return limit.map((w) => `${w.max}/${formatWindow(w.windowMs)}`).join(",");
}

function formatWindow(ms: number): string {
  for (const unit of ["d", "h", "m", "s"] as const) {
    const size = UNIT_MS[unit] as number;
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms / 1000}s`;
}


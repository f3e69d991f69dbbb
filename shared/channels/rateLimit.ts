import { describeValue } from "../errors";
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

/** The longest window: send times older than this no longer matter. */
export function horizonOf(limit: RateLimit): number {
  return limit.reduce((longest, w) => Math.max(longest, w.windowMs), 0);
}

/**
 * How many more messages the limit allows at `now`, given the times of earlier sends (epoch ms,
 * any order), and when the next one frees up if none is allowed now.
 */
export function rateBudget(limit: RateLimit, sentAt: readonly number[], now: number): { readonly available: number; readonly nextFreeAt?: number } {
  let available = Number.POSITIVE_INFINITY;
  let nextFreeAt: number | undefined;
  for (const window of limit) {
    const inWindow = sentAt.filter((t) => t > now - window.windowMs && t <= now).sort((a, b) => a - b);
    const left = window.max - inWindow.length;
    available = Math.min(available, Math.max(0, left));
    if (left <= 0) {
      // The window frees a slot when its oldest counted send (the one that makes it full) ages out.
      const oldest = inWindow[inWindow.length - window.max];
      if (oldest !== undefined) nextFreeAt = Math.max(nextFreeAt ?? 0, oldest + window.windowMs);
    }
  }
  return { available, ...(available === 0 && nextFreeAt !== undefined && { nextFreeAt }) };
}

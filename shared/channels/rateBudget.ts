import type { RateLimit } from "../config/rateLimit";

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

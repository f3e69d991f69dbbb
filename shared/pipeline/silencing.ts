import type { ChannelDelivery } from "../domain/delivery";
import type { RestoreSession } from "../domain/restoreSession";
import { boundText } from "../domain/textBounds";
import type { Silence } from "../state/silences";

/**
 * Silencing, all of it (Alertmanager's model: silences are data with an expiry). A silenced alert is
 * recorded, with the silence that muted it, and delivered nowhere: its deliveries start as
 * "silenced" instead of "pending".
 */
export interface Muter {
  /** What mutes this session's alerts, as the alert record states it; undefined: nothing does. */
  mutes(session: RestoreSession): string | undefined;
}

export const NOTHING_MUTED: Muter = { mutes: () => undefined };

/** A silence's description in the alert record, its comment included (re-validation checks this bound). */
const MAX_SILENCED_BY_CHARS = 1500;

/** The active silences as a Muter: the first whose matchers (workload, session) all match. */
export function muterOf(silences: readonly Silence[]): Muter {
  return {
    mutes(session) {
      const silence = silences.find((s) => (s.workload === undefined || s.workload === session.workload) && (s.sessionId === undefined || s.sessionId === session.id));
      return silence && boundText(`silence ${silence.id} until ${silence.until}${silence.comment ? ` (${silence.comment})` : ""}`, MAX_SILENCED_BY_CHARS);
    },
  };
}

/** The deliveries an alert is recorded with: pending on every channel, or silenced on every channel. */
export function deliveriesFor(silencedBy: string | undefined, pending: Readonly<Record<string, ChannelDelivery>>): Readonly<Record<string, ChannelDelivery>> {
  if (silencedBy === undefined) return pending;
  return Object.fromEntries(Object.keys(pending).map((name) => [name, { state: "silenced", attempts: 0 } satisfies ChannelDelivery]));
}

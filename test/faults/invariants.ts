import { expect } from "vitest";
import type { ChannelDelivery } from "../../shared/domain/delivery";
import { ROW_PREFIX } from "../../shared/state/entities";
import type { AcsEmailEmulator } from "../../local/emulators/acsEmailEmulator";
import type { TeamsReceiver } from "../../local/emulators/teamsReceiver";
import type { FaultRig } from "./faultRig";

/** Statuses restorewatch alerts on in these tests (the default ALERT_ON_STATUSES). */
const ALERTABLE = new Set(["failed", "completedWithError"]);

/**
 * How often each restore session was announced on a channel. Alert messages carry a "Session id"
 * fact per session; health notices carry none, so they are not counted.
 */
export interface ChannelTally {
  /** Sessions in messages the channel confirmed (ACS operation Succeeded, Teams 2xx). */
  readonly confirmed: ReadonlyMap<string, number>;
  /** Sessions in every message that reached the service, confirmed or not (Teams posts whose answer was lost count). */
  readonly reached: ReadonlyMap<string, number>;
}

/** Sessions announced by ACS: messages whose operation succeeded are delivered; accepted-then-failed ones are not. */
export function emailTally(acs: AcsEmailEmulator): ChannelTally {
  const confirmed = new Map<string, number>();
  const reached = new Map<string, number>();
  for (const message of acs.messages) {
    const sessionIds = [...(message.plainText ?? "").matchAll(/^Session id: (.+)$/gm)].map((m) => (m[1] ?? "").trim());
    const succeeded = acs.operations.get(message.operationId)?.finalStatus === "Succeeded";
    for (const id of sessionIds) {
      bump(reached, id);
      if (succeeded) bump(confirmed, id);
    }
  }
  return { confirmed, reached };
}

/** Sessions announced on Teams: posts answered 2xx are delivered; a post left hanging may or may not have been. */
export function teamsTally(receiver: TeamsReceiver): ChannelTally {
  const confirmed = new Map<string, number>();
  const reached = new Map<string, number>();
  for (const post of receiver.posts) {
    const ok = typeof post.answeredWith === "number" && post.answeredWith >= 200 && post.answeredWith < 300;
    // A refused post (4xx/5xx) showed nothing in the channel; a hanging one might have.
    const mayHaveShown = ok || post.answeredWith === "hang";
    for (const id of cardSessionIds(post.body)) {
      if (mayHaveShown) bump(reached, id);
      if (ok) bump(confirmed, id);
    }
  }
  return { confirmed, reached };
}

function cardSessionIds(body: unknown): string[] {
  const ids: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== "object" || node === null) return;
    const element = node as Record<string, unknown>;
    if (element["type"] === "FactSet" && Array.isArray(element["facts"])) {
      for (const fact of element["facts"] as { title?: string; value?: string }[]) {
        if (fact.title === "Session id" && fact.value) ids.push(fact.value.replace(/\\(.)/g, "$1").replace(/\u200b/g, ""));
      }
    }
    for (const value of Object.values(element)) if (typeof value === "object") visit(value);
  };
  visit(body);
  return ids;
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function rowKey(row: Record<string, unknown>): string {
  return String(row["rowKey"]);
}

/**
 * "No state advanced past an unrecorded alert": every session row at an alertable status has the
 * alert record of that status next to it (they are written in one transaction). Checked right after
 * a fault, before any recovery, and again at the end.
 */
export function expectNoStateAheadOfAlerts(rows: readonly Record<string, unknown>[]): void {
  const alertKeys = new Set(rows.map(rowKey).filter((key) => key.startsWith(ROW_PREFIX.alert)));
  const orphans = rows
    .filter((row) => rowKey(row).startsWith(ROW_PREFIX.session) && ALERTABLE.has(String(row["status"])))
    .map((row) => `${rowKey(row).slice(ROW_PREFIX.session.length)}_${String(row["status"])}`)
    .filter((id) => !alertKeys.has(ROW_PREFIX.alert + id));
  expect(orphans, "session rows at an alertable status without their alert record").toEqual([]);
}

/** The alert records in the outbox, by alert id. */
export function alertRecords(rows: readonly Record<string, unknown>[]): Map<string, { deliveries: Record<string, ChannelDelivery>; pending: boolean }> {
  const records = new Map<string, { deliveries: Record<string, ChannelDelivery>; pending: boolean }>();
  for (const row of rows) {
    if (!rowKey(row).startsWith(ROW_PREFIX.alert)) continue;
    records.set(rowKey(row).slice(ROW_PREFIX.alert.length), { deliveries: JSON.parse(String(row["deliveries"] ?? "{}")), pending: row["pending"] === true });
  }
  return records;
}

export interface InvariantOptions {
  /**
   * Teams posts whose answer never reached restorewatch (a kill between the post and the "delivered"
   * mark, a timeout, a failed mark): a Teams webhook has no idempotency key, so each such window may
   * repeat the post. Email has none of these exceptions: the operation id finds the earlier send.
   */
  readonly teamsRepeatWindows?: number;
  /** Channels on which these alerts end dead-lettered by design (a permanent failure), by alert id. */
  readonly deadLettered?: Readonly<Record<string, readonly string[]>>;
}

/**
 * The guarantee after recovery: every alert that should exist exists exactly once in the outbox (and
 * no other), each was delivered to every channel at least once and at most once (but for the documented
 * Teams window), no session state is ahead of its alert, and the run bookkeeping shows no failure.
 */
export async function expectRecovered(rig: FaultRig, expectedAlertIds: readonly string[], options: InvariantOptions = {}): Promise<void> {
  const rows = await rig.rows();
  expectNoStateAheadOfAlerts(rows);

  const records = alertRecords(rows);
  expect([...records.keys()].sort(), "alert records in the outbox").toEqual([...expectedAlertIds].sort());
  const channelNames = rig.channels.map((channel) => channel.name);
  for (const [id, record] of records) {
    const deadOn = options.deadLettered?.[id] ?? [];
    for (const name of channelNames) {
      expect(record.deliveries[name]?.state, `delivery of ${id} on ${name}`).toBe(deadOn.includes(name) ? "deadLettered" : "delivered");
    }
    expect(record.pending, `${id} still pending`).toBe(false);
  }

  const sessionOf = (alertId: string): string => alertId.slice(0, alertId.lastIndexOf("_"));
  const email = emailTally(rig.acs);
  const teams = teamsTally(rig.teams);
  for (const id of expectedAlertIds) {
    const session = sessionOf(id);
    const deadOn = options.deadLettered?.[id] ?? [];
    if (!deadOn.includes("email")) {
      expect(email.confirmed.get(session) ?? 0, `emails delivered for ${session}`).toBe(1);
      expect(email.reached.get(session) ?? 0, `emails that reached ACS for ${session}`).toBeGreaterThanOrEqual(1);
    } else {
      expect(email.confirmed.get(session) ?? 0, `emails delivered for dead-lettered ${session}`).toBe(0);
    }
    if (!deadOn.includes("teams")) {
      expect(teams.confirmed.get(session) ?? 0, `Teams posts confirmed for ${session}`).toBeGreaterThanOrEqual(1);
      expect(teams.reached.get(session) ?? 0, `Teams posts shown for ${session}`).toBeLessThanOrEqual(1 + (options.teamsRepeatWindows ?? 0));
    } else {
      expect(teams.confirmed.get(session) ?? 0, `Teams posts confirmed for dead-lettered ${session}`).toBe(0);
    }
  }
  // Nothing announced that the outbox does not hold.
  const expectedSessions = new Set(expectedAlertIds.map(sessionOf));
  expect([...email.reached.keys()].filter((s) => !expectedSessions.has(s)), "emails about unexpected sessions").toEqual([]);
  expect([...teams.reached.keys()].filter((s) => !expectedSessions.has(s)), "Teams posts about unexpected sessions").toEqual([]);

  const meta = rows.find((row) => rowKey(row) === `${ROW_PREFIX.meta}run`);
  expect(meta?.["consecutiveFailures"], "consecutive failed runs after recovery").toBe(0);
  expect(meta?.["lastError"]).toBeUndefined();
}

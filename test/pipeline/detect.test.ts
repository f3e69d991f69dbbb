import { describe, expect, it } from "vitest";
import { detectSessionChange, type DetectRules } from "../../shared/pipeline/detect";
import type { RestoreSession } from "../../shared/domain/restoreSession";
import type { SessionRecord, StoredSessionRecord } from "../../shared/domain/sessionRecord";

const now = new Date("2026-11-28T12:00:00Z");
const rules: DetectRules = { alertOn: new Set(["failed", "completedWithError"]), now, baseline: false };

function session(status: RestoreSession["status"], extra: Partial<RestoreSession> = {}): RestoreSession {
  return { id: "s1", workload: "sharePoint", status, createdDateTime: "2026-11-28T10:00:00Z", ...extra };
}
function stored(record: Partial<SessionRecord> & Pick<SessionRecord, "status">): StoredSessionRecord {
  return { record: { id: "s1", workload: "sharePoint", ...record }, etag: "W/\"1\"" };
}

describe("detectSessionChange", () => {
  it("alerts once when a known session reaches an alertable status", () => {
    const change = detectSessionChange(session("failed"), stored({ status: "active", inFlightSince: "2026-11-28T10:00:00Z" }), rules);
    expect(change?.alerts).toEqual([{ kind: "status", status: "failed" }]);
    expect(change?.next.status).toBe("failed");
    expect(change?.next.inFlightSince).toBeUndefined();
    // The next run sees the same status: nothing to write, nothing to alert.
    const again = detectSessionChange(session("failed"), { record: change!.next, etag: "2" }, rules);
    expect(again).toBeUndefined();
  });

  it("alerts completedWithError, and not completed", () => {
    expect(detectSessionChange(session("completedWithError"), stored({ status: "active" }), rules)?.alerts).toEqual([{ kind: "status", status: "completedWithError" }]);
    const completed = detectSessionChange(session("completed"), stored({ status: "active" }), rules);
    expect(completed?.alerts).toEqual([]);
    expect(completed?.next.status).toBe("completed");
  });

  it("alerts a session seen for the first time already failed (it failed between two runs)", () => {
    const change = detectSessionChange(session("failed"), undefined, rules);
    expect(change?.previous).toBeUndefined();
    expect(change?.alerts).toEqual([{ kind: "status", status: "failed" }]);
  });

  it("records a baseline without alerting on the first run, unless completed after ALERT_BASELINE_SINCE", () => {
    const baseline = { ...rules, baseline: true };
    expect(detectSessionChange(session("failed", { completedDateTime: "2026-11-01T00:00:00Z" }), undefined, baseline)?.alerts).toEqual([]);
    const since = { ...baseline, baselineSince: new Date("2026-11-15T00:00:00Z") };
    expect(detectSessionChange(session("failed", { completedDateTime: "2026-11-01T00:00:00Z" }), undefined, since)?.alerts).toEqual([]);
    expect(detectSessionChange(session("failed", { completedDateTime: "2026-11-20T00:00:00Z" }), undefined, since)?.alerts).toEqual([{ kind: "status", status: "failed" }]);
  });

  it("honours ALERT_ON_STATUSES", () => {
    const onlyFailed = { ...rules, alertOn: new Set(["failed"] as const) };
    expect(detectSessionChange(session("completedWithError"), stored({ status: "active" }), onlyFailed)?.alerts).toEqual([]);
  });

  it("writes nothing for an unchanged non-alertable session", () => {
    expect(detectSessionChange(session("completed"), stored({ status: "completed" }), rules)).toBeUndefined();
  });

  it("alerts a stuck session once, after ALERT_STUCK_AFTER in flight", () => {
    const stuckRules = { ...rules, stuckAfterInMs: 24 * 3_600_000 };
    const young = detectSessionChange(session("active"), stored({ status: "active", inFlightSince: "2026-11-28T00:00:00Z" }), stuckRules);
    expect(young).toBeUndefined();
    const old = detectSessionChange(session("active"), stored({ status: "active", inFlightSince: "2026-11-27T11:00:00Z" }), stuckRules);
    expect(old?.alerts).toEqual([{ kind: "stuck", status: "active" }]);
    expect(old?.next.stuckAlertedAt).toBe(now.toISOString());
    expect(detectSessionChange(session("active"), { record: old!.next, etag: "2" }, stuckRules)).toBeUndefined();
  });

  it("starts the in-flight clock when a draft is activated, or from Graph's last modification on first sight", () => {
    const activated = detectSessionChange(session("activating"), stored({ status: "draft" }), rules);
    expect(activated?.next.inFlightSince).toBe(now.toISOString());
    const firstSight = detectSessionChange(session("active", { lastModifiedDateTime: "2026-11-27T08:00:00Z" }), undefined, rules);
    expect(firstSight?.next.inFlightSince).toBe("2026-11-27T08:00:00Z");
  });

  it("does not call sessions stuck on the baseline run", () => {
    const change = detectSessionChange(session("active", { lastModifiedDateTime: "2026-10-01T00:00:00Z" }), undefined, { ...rules, baseline: true, stuckAfterInMs: 3_600_000 });
    expect(change?.alerts).toEqual([]);
  });

  it("reminds about an unacknowledged failure after ALERT_REPEAT_AFTER, and not once acknowledged", () => {
    const repeat = { ...rules, repeatAfterInMs: 24 * 3_600_000 };
    const prior = stored({ status: "failed", lastAlertedAt: "2026-11-27T11:00:00Z" });
    const reminder = detectSessionChange(session("failed"), prior, repeat);
    expect(reminder?.alerts).toEqual([{ kind: "reminder", status: "failed", sequence: 1 }]);
    expect(reminder?.next.remindersSent).toBe(1);
    const acked = stored({ status: "failed", lastAlertedAt: "2026-11-27T11:00:00Z", acknowledgedAt: "2026-11-27T12:00:00Z" });
    expect(detectSessionChange(session("failed"), acked, repeat)).toBeUndefined();
    const recent = stored({ status: "failed", lastAlertedAt: "2026-11-28T11:00:00Z" });
    expect(detectSessionChange(session("failed"), recent, repeat)).toBeUndefined();
  });

  it("keeps the ETag it read so the write is conditional", () => {
    const prior = stored({ status: "active" });
    expect(detectSessionChange(session("failed"), prior, rules)?.previous).toBe(prior);
  });
});

import { describe, expect, it } from "vitest";
import { parseNcrontab } from "../../../local/functionsHost/ncrontab";
import { checkPastDue, monitoredByDefault, NEVER, statusAfterInvocation } from "../../../local/functionsHost/scheduleMonitor";

const at = (iso: string) => new Date(iso);
const every5 = parseNcrontab("0 */5 * * * *");

describe("the timer schedule monitor, as the host keeps it", () => {
  it("monitors schedules that fire at most once a minute, unless the function says otherwise", () => {
    // The host counts the occurrences in the coming minute (end excluded): more than one, no monitor.
    const now = at("2026-11-28T10:00:30.250Z");
    expect(monitoredByDefault(every5, now)).toBe(true);
    expect(monitoredByDefault(parseNcrontab("0 * * * * *"), now)).toBe(true);
    expect(monitoredByDefault(parseNcrontab("*/30 * * * * *"), now)).toBe(false);
    expect(monitoredByDefault(parseNcrontab("*/1 * * * * *"), now)).toBe(false);
  });

  it("records a first status for a new timer, not past due", () => {
    const now = at("2026-11-28T10:02:00Z");
    expect(checkPastDue(now, every5, undefined)).toEqual({ status: { last: NEVER, next: at("2026-11-28T10:05:00Z"), lastUpdated: now }, changed: true, pastDueMs: 0 });
  });

  it("is past due when the recorded Next went by while the host was down, by how long", () => {
    const recorded = { last: at("2026-11-28T10:00:00Z"), next: at("2026-11-28T10:05:00Z"), lastUpdated: at("2026-11-28T10:00:00Z") };
    expect(checkPastDue(at("2026-11-28T10:04:59Z"), every5, recorded)).toEqual({ status: recorded, changed: false, pastDueMs: 0 });
    expect(checkPastDue(at("2026-11-28T10:17:00Z"), every5, recorded)).toEqual({ status: recorded, changed: false, pastDueMs: 12 * 60_000 });
  });

  it("does not call a changed schedule's gone-by occurrence past due: Next is recalculated from now", () => {
    // Recorded under an hourly schedule; the app now runs every 5 minutes.
    const recorded = { last: at("2026-11-28T10:00:00Z"), next: at("2026-11-28T11:00:00Z"), lastUpdated: at("2026-11-28T10:00:00Z") };
    const now = at("2026-11-28T10:17:00Z");
    expect(checkPastDue(now, every5, recorded)).toEqual({ status: { last: NEVER, next: at("2026-11-28T10:20:00Z"), lastUpdated: now }, changed: true, pastDueMs: 0 });
    // A timer that never ran counts from when its status was recorded.
    const neverRan = { last: NEVER, next: at("2026-11-28T11:00:00Z"), lastUpdated: at("2026-11-28T10:16:00Z") };
    expect(checkPastDue(now, every5, neverRan).status).toEqual({ last: NEVER, next: at("2026-11-28T10:20:00Z"), lastUpdated: at("2026-11-28T10:16:00Z") });
  });

  it("moves the status on from the invocation: an early scheduled run counts from its occurrence, a late or past-due one from when it ran", () => {
    const before = { last: at("2026-11-28T10:00:00Z"), next: at("2026-11-28T10:05:00Z"), lastUpdated: at("2026-11-28T10:00:00Z") };
    const early = at("2026-11-28T10:04:59.900Z");
    expect(statusAfterInvocation(every5, before, early, true)).toEqual({ last: before.next, next: at("2026-11-28T10:10:00Z"), lastUpdated: before.next });
    const late = at("2026-11-28T10:11:00Z");
    expect(statusAfterInvocation(every5, before, late, true)).toEqual({ last: late, next: at("2026-11-28T10:15:00Z"), lastUpdated: late });
    expect(statusAfterInvocation(every5, before, early, false)).toEqual({ last: early, next: at("2026-11-28T10:05:00Z"), lastUpdated: early });
  });
});

import { describe, expect, it } from "vitest";
import { parseNcrontab } from "../../../local/functionsHost/ncrontab";
import { resolveAppSettings } from "../../../local/functionsHost/timerScheduler";

const at = (iso: string) => new Date(iso);
const next = (expression: string, after: string) => parseNcrontab(expression).next(at(after)).toISOString();

describe("NCRONTAB (six fields, UTC) as the timer trigger reads it", () => {
  it("fires every 5 minutes on the 0th second, strictly after the given time", () => {
    expect(next("0 */5 * * * *", "2026-11-28T10:02:30Z")).toBe("2026-11-28T10:05:00.000Z");
    expect(next("0 */5 * * * *", "2026-11-28T10:05:00Z")).toBe("2026-11-28T10:10:00.000Z");
    expect(next("0 */5 * * * *", "2026-11-28T23:59:59Z")).toBe("2026-11-29T00:00:00.000Z");
  });

  it("handles lists, ranges, steps in ranges, and names of months and days", () => {
    expect(next("*/10 * * * * *", "2026-11-28T10:00:05Z")).toBe("2026-11-28T10:00:10.000Z");
    expect(next("0 30 9 * * MON-FRI", "2026-11-28T10:00:00Z")).toBe("2026-11-30T09:30:00.000Z"); // Saturday → Monday
    expect(next("0 0 8,17 * * *", "2026-11-28T09:00:00Z")).toBe("2026-11-28T17:00:00.000Z");
    expect(next("0 0 0 1 JAN *", "2026-11-28T00:00:00Z")).toBe("2027-01-01T00:00:00.000Z");
    expect(next("0 0 12 * * 7", "2026-11-28T13:00:00Z")).toBe("2026-11-29T12:00:00.000Z"); // 7 is Sunday
    expect(next("5-15/5 0 0 * * *", "2026-11-28T00:00:06Z")).toBe("2026-11-28T00:00:10.000Z");
    expect(next("0 0 0 29 2 *", "2026-03-01T00:00:00Z")).toBe("2028-02-29T00:00:00.000Z");
  });

  it("refuses what the host refuses, naming the field", () => {
    expect(() => parseNcrontab("*/5 * * * *")).toThrow(/six fields .* found 5/);
    expect(() => parseNcrontab("0 61 * * * *")).toThrow(/minute field '61' has '61', outside 0-59/);
    expect(() => parseNcrontab("0 */0 * * * *")).toThrow(/step of 0/);
    expect(() => parseNcrontab("0 0 0 30 FEB *").next(at("2026-01-01T00:00:00Z"))).toThrow(/no occurrence/);
    expect(() => parseNcrontab("0 0 10-5 * * *")).toThrow(/ends before it starts/);
  });

  it("resolves %APP_SETTING% references and fails like the host when one is missing", () => {
    expect(resolveAppSettings("%POLL_SCHEDULE%", { POLL_SCHEDULE: "0 */5 * * * *" }, "poll")).toBe("0 */5 * * * *");
    expect(() => resolveAppSettings("%POLL_SCHEDULE%", {}, "poll")).toThrow("The 'poll' function is in error: '%POLL_SCHEDULE%' does not resolve to a value (app setting POLL_SCHEDULE is not set).");
  });
});

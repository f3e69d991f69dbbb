import { describe, expect, it } from "vitest";
import type { RestoreSession } from "../../shared/domain/restoreSession";
import { NOTHING_MUTED, deliveriesFor, muterOf } from "../../shared/pipeline/silencing";
import type { Silence } from "../../shared/state/silences";

const session = (id: string, workload: RestoreSession["workload"]): RestoreSession => ({ id, workload, status: "failed" });
const silence = (id: string, matchers: Partial<Pick<Silence, "workload" | "sessionId">>, comment?: string): Silence => ({ id, until: "2099-01-01T00:00:00.000Z", createdAt: "2026-12-01T00:00:00.000Z", ...matchers, ...(comment && { comment }) });

describe("silencing", () => {
  it("a silence mutes what all its matchers match, and says which silence it was", () => {
    const muter = muterOf([silence("s1", { workload: "sharePoint" }, "migration"), silence("s2", { workload: "exchange", sessionId: "x" })]);
    expect(muter.mutes(session("a", "sharePoint"))).toBe("silence s1 until 2099-01-01T00:00:00.000Z (migration)");
    expect(muter.mutes(session("x", "exchange"))).toBe("silence s2 until 2099-01-01T00:00:00.000Z");
    expect(muter.mutes(session("y", "exchange"))).toBeUndefined();
    expect(muter.mutes(session("z", "oneDrive"))).toBeUndefined();
    expect(NOTHING_MUTED.mutes(session("a", "sharePoint"))).toBeUndefined();
  });

  it("keeps the record's description within its bound whatever the comment", () => {
    const muted = muterOf([silence("s1", { workload: "oneDrive" }, "x".repeat(5000))]).mutes(session("a", "oneDrive"));
    expect(muted?.length).toBe(1500);
    expect(muted?.endsWith("…")).toBe(true);
  });

  it("a muted alert is recorded silenced on every channel; others pending", () => {
    const pending = { email: { state: "pending" as const, attempts: 0 }, teams: { state: "pending" as const, attempts: 0 } };
    expect(deliveriesFor(undefined, pending)).toBe(pending);
    expect(deliveriesFor("silence s1", pending)).toEqual({ email: { state: "silenced", attempts: 0 }, teams: { state: "silenced", attempts: 0 } });
  });
});

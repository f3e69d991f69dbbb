import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseRestoreSession } from "../../shared/graph/restoreSession";

// Synthetic fixtures shaped after the v1.0 CSDL and the documented examples (copied from the project reference).
const fixtures = JSON.parse(readFileSync(path.resolve(__dirname, "../fixtures/graph-fixtures.json"), "utf8")) as Record<string, { value: unknown[] }>;

describe("parseRestoreSession", () => {
  it("parses every documented session shape in the fixtures", () => {
    const items = [...(fixtures["restoreSessions_page1"]?.value ?? []), ...(fixtures["restoreSessions_page2"]?.value ?? [])];
    expect(items.length).toBe(7);
    const parsed = items.map(parseRestoreSession);
    expect(parsed.every((p) => p.ok)).toBe(true);
    const first = parsed[0];
    expect(first?.ok && first.session).toMatchObject({
      workload: "exchange",
      status: "completedWithError",
      createdBy: "Megan Bowen",
      artifactCount: { total: 3, completed: 2, inProgress: 0, failed: 1 },
      error: { code: "ArtifactNotFound" },
    });
  });

  it("matches @odata.type case-insensitively (the docs write sharepointRestoreSession)", () => {
    const parsed = parseRestoreSession({ "@odata.type": "#microsoft.graph.sharepointRestoreSession", id: "a1", status: "failed" });
    expect(parsed.ok && parsed.session.workload).toBe("sharePoint");
  });

  it("skips unknownFutureValue and unknown statuses with the id and reason", () => {
    const withoutPrefer = fixtures["restoreSessions_page1_withoutPreferHeader"]?.value ?? [];
    const hidden = withoutPrefer.map(parseRestoreSession).find((p) => !p.ok);
    expect(hidden).toMatchObject({ ok: false, reason: "unknown status 'unknownFutureValue'" });
    expect(parseRestoreSession({ "@odata.type": "#microsoft.graph.exchangeRestoreSession", id: "x", status: "exploded" })).toEqual({ ok: false, id: "x", reason: "unknown status 'exploded'" });
  });

  it("skips only what has no usable id or a status it does not know, without throwing", () => {
    expect(parseRestoreSession(null)).toMatchObject({ ok: false, id: undefined });
    expect(parseRestoreSession("text")).toMatchObject({ ok: false });
    expect(parseRestoreSession({ "@odata.type": "#microsoft.graph.exchangeRestoreSession", id: 42, status: "failed" })).toMatchObject({ ok: false, id: undefined, reason: "malformed session (no id)" });
    expect(parseRestoreSession({ "@odata.type": "#microsoft.graph.exchangeRestoreSession", status: "failed" })).toMatchObject({ ok: false, id: undefined, reason: "malformed session (no id)" });
    expect(parseRestoreSession({ "@odata.type": "#microsoft.graph.exchangeRestoreSession", id: "a/b", status: "failed" })).toMatchObject({ ok: false, id: "a/b" });
    expect(parseRestoreSession({ "@odata.type": "#microsoft.graph.exchangeRestoreSession", id: "s", status: 3 })).toMatchObject({ ok: false, id: "s", reason: "unknown status '(missing)'" });
  });

  it("reads a field it cannot read as unknown and keeps the session, saying which field", () => {
    const parsed = parseRestoreSession({ "@odata.type": "#microsoft.graph.exchangeRestoreSession", id: "ok", status: "failed", createdDateTime: "2023-03-30T12-01-03.45Z", createdBy: "someone" });
    expect(parsed).toMatchObject({ ok: true, session: { id: "ok", workload: "exchange", status: "failed" }, unreadable: ["createdBy (string)", "createdDateTime (not an ISO time)"] });
    expect(parsed.ok && parsed.session.createdDateTime).toBeUndefined();
  });

  it("keeps a session of a type it does not know as workload unknown, with its @odata.type", () => {
    const parsed = parseRestoreSession({ "@odata.type": "#microsoft.graph.teamsRestoreSession", id: "c", status: "failed" });
    expect(parsed).toMatchObject({ ok: true, session: { id: "c", workload: "unknown", odataType: "#microsoft.graph.teamsRestoreSession", status: "failed" } });
    expect(parseRestoreSession({ id: "d", status: "failed" })).toMatchObject({ ok: true, session: { workload: "unknown", odataType: "(missing @odata.type)" } });
  });

  it("reads each counter on its own: a null, missing or negative one is unknown, the others stay", () => {
    const counts = (restoreSessionArtifactCount: unknown) => {
      const parsed = parseRestoreSession({ "@odata.type": "#microsoft.graph.exchangeRestoreSession", id: "n", status: "failed", restoreSessionArtifactCount });
      if (!parsed.ok) throw new Error(parsed.reason);
      return parsed.session.artifactCount;
    };
    expect(counts({ total: 3, completed: 1, inProgress: null, failed: 2 })).toEqual({ total: 3, completed: 1, failed: 2 });
    expect(counts({ total: 3, failed: 2 })).toEqual({ total: 3, failed: 2 });
    expect(counts({ total: -1, completed: 0, inProgress: 0, failed: 1.5 })).toEqual({ completed: 0, inProgress: 0 });
    expect(counts(null)).toBeUndefined();
    expect(counts("3")).toBeUndefined();
  });

  it("tolerates unknown keys in open types", () => {
    const parsed = parseRestoreSession({ "@odata.type": "#microsoft.graph.exchangeRestoreSession", id: "o", status: "active", createdBy: { user: { id: "u", displayName: "Ann", email: "ann@contoso.com" } }, futureProperty: { x: 1 } });
    expect(parsed.ok && parsed.session.createdBy).toBe("Ann");
  });
});

import { afterEach, describe, expect, it } from "vitest";
import { loadTestTls } from "../../local/emulators/tls";
import { GraphEmulator, type EmulatedSession, type GraphEmulatorOptions } from "../../local/emulators/graph/graphEmulator";
import { ARTIFACT_ERRORS, SimulatedTenant, bulkTenant } from "../../local/simulatedTenant";
import { TokenIssuer } from "../../local/emulators/tokens";

const issuer = new TokenIssuer();
const running: GraphEmulator[] = [];
const START = Date.parse("2026-07-16T12:00:00.000Z");
const TERMINAL = new Set(["completed", "completedWithError", "failed"]);
const NEXT: Readonly<Record<string, readonly string[]>> = { draft: ["activating"], activating: ["active"], active: ["completed", "completedWithError", "failed"] };
const DOCUMENTED_CODES = new Set(ARTIFACT_ERRORS.map((e) => e.code));

afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.stop()));
});

async function start(options: Partial<GraphEmulatorOptions> = {}): Promise<GraphEmulator> {
  const emulator = await GraphEmulator.start({ tls: loadTestTls(), issuer, ...options });
  running.push(emulator);
  return emulator;
}

function clock(): { now: () => number; advance: (ms: number) => void } {
  let time = START;
  return { now: () => time, advance: (ms) => (time += ms) };
}

function countBy(sessions: EmulatedSession[], key: (s: EmulatedSession) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of sessions) counts[key(s)] = (counts[key(s)] ?? 0) + 1;
  return counts;
}

/** Invariants every finished session must satisfy, whichever way it got there. */
function expectConsistentTerminal(session: EmulatedSession): void {
  const statuses = session.artifacts.map((a) => a.status);
  expect(session.completedDateTime).toEqual(expect.any(String));
  expect(session.artifacts.length).toBeGreaterThan(0);
  if (session.status === "completed") expect(statuses.every((s) => s === "succeeded")).toBe(true);
  if (session.status === "failed") expect(statuses.every((s) => s === "failed")).toBe(true);
  if (session.status === "completedWithError") expect(statuses).toEqual(expect.arrayContaining(["succeeded", "failed"]));
  if (session.status === "completed") expect(session.error).toBeNull();
  else expect(DOCUMENTED_CODES.has(session.error?.code ?? "")).toBe(true);
  for (const artifact of session.artifacts) {
    if (artifact.status === "failed") {
      expect(ARTIFACT_ERRORS).toContainEqual(artifact.error);
    } else {
      expect(artifact.error).toBeUndefined();
      expect(artifact.name).toEqual(expect.any(String));
      if (session.workload === "exchange") expect(artifact.name).toMatch(/^Restored[- ]/);
      if (session.workload === "sharePoint") expect(artifact.webUrl).toMatch(/^https:\/\/contoso\.sharepoint\.com\/sites\/[a-z0-9-]+(_R1)?$/);
      if (session.workload === "oneDrive") expect(artifact.webUrl).toMatch(/^https:\/\/contoso-my\.sharepoint\.com\/personal\/[a-z]+_contoso_com(_R1)?$/);
    }
  }
}

describe("SimulatedTenant.seed", () => {
  it("creates mostly finished history across all workloads plus some sessions in flight", async () => {
    const emulator = await start();
    new SimulatedTenant(emulator, { seed: 7, now: () => START }).seed();
    const sessions = emulator.sessions();

    expect(sessions).toHaveLength(36);
    expect(Object.keys(countBy(sessions, (s) => s.workload)).sort()).toEqual(["exchange", "oneDrive", "sharePoint"]);
    const statuses = countBy(sessions, (s) => s.status);
    expect(Object.keys(statuses).sort()).toEqual(["activating", "active", "completed", "completedWithError", "draft", "failed"]);
    const finished = sessions.filter((s) => TERMINAL.has(s.status));
    expect(finished).toHaveLength(27);
    expect(statuses["completed"]).toBeGreaterThan((statuses["completedWithError"] ?? 0) + (statuses["failed"] ?? 0));
    for (const session of finished) expectConsistentTerminal(session);

    const created = sessions.map((s) => Date.parse(s.createdDateTime));
    expect(created).toEqual([...created].sort((a, b) => a - b));
    expect(Math.min(...created)).toBeGreaterThanOrEqual(START - 30 * 24 * 3600 * 1000);
    expect(Math.max(...created)).toBeLessThanOrEqual(START);
  });

  it("is deterministic for a seed and differs between seeds", async () => {
    const snapshot = async (seed: number): Promise<string> => {
      const emulator = await start();
      new SimulatedTenant(emulator, { seed, initialSessions: 12, now: () => START }).seed();
      return JSON.stringify(emulator.sessions());
    };
    const first = await snapshot(42);
    expect(await snapshot(42)).toBe(first);
    expect(await snapshot(43)).not.toBe(first);
  });

  it("honours initialSessions and is served over HTTPS", async () => {
    const emulator = await start({ pageSize: 50 });
    new SimulatedTenant(emulator, { initialSessions: 9 }).seed();
    const response = await fetch(`${emulator.url}/v1.0/solutions/backupRestore/restoreSessions`, {
      headers: { Authorization: `Bearer ${issuer.issue({ roles: ["BackupRestore-Restore.Read.All"] }).token}`, Prefer: "include-unknown-enum-members" },
    });
    const page = (await response.json()) as { value: { id: string; status: string }[] };
    expect(page.value.map((i) => [i.id, i.status])).toEqual(emulator.sessions().map((s) => [s.id, s.status]));
  });
});

describe("SimulatedTenant.tick", () => {
  it("adds drafts and moves sessions only along the documented lifecycle", async () => {
    const emulator = await start();
    const time = clock();
    const tenant = new SimulatedTenant(emulator, { seed: 3, initialSessions: 12, newSessionsPerTick: 2, now: time.now });
    tenant.seed();

    for (let i = 0; i < 10; i++) {
      time.advance(5 * 60_000);
      const before = new Map(emulator.sessions().map((s) => [s.id, { status: s.status, modified: s.lastModifiedDateTime }]));
      const { created, changed } = tenant.tick();

      expect(created).toHaveLength(2);
      for (const id of created) expect(emulator.session(id)).toMatchObject({ status: "draft", createdDateTime: new Date(time.now()).toISOString() });
      for (const change of changed) {
        expect(before.get(change.id)?.status).toBe(change.from);
        expect(NEXT[change.from]).toContain(change.to);
        const session = emulator.session(change.id);
        expect(session?.status).toBe(change.to);
        expect(Date.parse(session?.lastModifiedDateTime ?? "")).toBeGreaterThan(Date.parse(before.get(change.id)?.modified ?? ""));
      }
      // Nothing changes status without being reported.
      const reported = new Set(changed.map((c) => c.id));
      for (const [id, previous] of before) if (!reported.has(id)) expect(emulator.session(id)?.status).toBe(previous.status);
    }
  });

  it("finishes every session, mostly completed, with consistent artifacts and documented error codes", async () => {
    const emulator = await start();
    const time = clock();
    const tenant = new SimulatedTenant(emulator, { seed: 11, initialSessions: 0, newSessionsPerTick: 10, now: time.now });
    for (let i = 0; i < 6; i++) {
      time.advance(5 * 60_000);
      tenant.tick();
    }
    // Drain: drop the drafts each further tick adds (the tenant forgets removed sessions) until the 60 finish.
    for (let ticks = 0; emulator.sessions().some((s) => !TERMINAL.has(s.status)) && ticks < 200; ticks++) {
      time.advance(5 * 60_000);
      for (const id of tenant.tick().created) emulator.removeSession(id);
    }

    const sessions = emulator.sessions();
    expect(sessions).toHaveLength(60);
    expect(sessions.every((s) => TERMINAL.has(s.status))).toBe(true);
    for (const session of sessions) expectConsistentTerminal(session);
    const statuses = countBy(sessions, (s) => s.status);
    expect(statuses["completed"]).toBeGreaterThan(30);
    expect(statuses["completedWithError"]).toBeGreaterThan(0);
    expect(statuses["failed"]).toBeGreaterThan(0);
    expect(new Set(sessions.flatMap((s) => s.artifacts.flatMap((a) => (a.error ? [a.error.code] : [])))).size).toBeGreaterThan(1);
    for (const session of sessions) {
      for (const a of session.artifacts) expect(Date.parse(a.completionDateTime ?? "")).toBeGreaterThanOrEqual(Date.parse(a.startDateTime ?? ""));
    }
  });
});

describe("bulkTenant", () => {
  it("creates 100,000 sessions in seconds and the emulator pages through them linearly", async () => {
    const emulator = await start({ pageSize: 2000 });
    const started = performance.now();
    const { ids, failedIds } = bulkTenant(emulator, { sessions: 100_000, failedFraction: 0.03 });
    expect(performance.now() - started).toBeLessThan(5000);
    expect(ids).toHaveLength(100_000);
    expect(failedIds).toHaveLength(3000);
    expect(new Set(ids).size).toBe(100_000);

    const headers = { Authorization: `Bearer ${issuer.issue({ roles: ["BackupRestore-Restore.Read.All"] }).token}`, Prefer: "include-unknown-enum-members" };
    const served: string[] = [];
    const failed: string[] = [];
    let next: string | undefined = `${emulator.url}/v1.0/solutions/backupRestore/restoreSessions`;
    while (next) {
      const page = (await (await fetch(next, { headers })).json()) as { value: { id: string; status: string }[]; "@odata.nextLink"?: string };
      for (const item of page.value) {
        served.push(item.id);
        if (item.status === "failed") failed.push(item.id);
      }
      next = page["@odata.nextLink"];
    }
    expect(emulator.requestCount()).toBe(50);
    expect(served).toEqual(ids);
    expect(failed).toEqual(failedIds);
  });

  it("spreads an exact share of failures evenly", async () => {
    const emulator = await start();
    const { ids, failedIds } = bulkTenant(emulator, { sessions: 10, failedFraction: 0.3 });
    expect(failedIds).toEqual([ids[3], ids[6], ids[9]]);
    expect(emulator.session(failedIds[0] ?? "")).toMatchObject({ status: "failed", error: { code: expect.any(String) }, artifacts: [{ status: "failed" }] });
    expect(() => bulkTenant(emulator, { sessions: 1, failedFraction: 2 })).toThrow(RangeError);
  });
});

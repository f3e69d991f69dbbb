import { afterEach, describe, expect, it } from "vitest";
import { loadTestTls } from "../../local/emulators/tls";
import { GraphEmulator, type EmulatedProtectionUnit, type EmulatedSession, type GraphEmulatorOptions } from "../../local/emulators/graph/graphEmulator";
import { ARTIFACT_ERRORS, CONTOSO_DIRECTORY, SimulatedTenant, bulkTenant } from "../../local/simulatedTenant";
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

describe("SimulatedTenant's names, bulk and granular restores", () => {
  const GUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
  const READ_AND_USERS = ["BackupRestore-Restore.Read.All", "User.Read.All"];
  const ownerId = (unit: EmulatedProtectionUnit | undefined): string | undefined => (unit && unit.kind !== "site" ? unit.directoryObjectId : undefined);
  const get = async <T>(url: string, roles = READ_AND_USERS, init: RequestInit = {}): Promise<T> => {
    const response = await fetch(url, { ...init, headers: { Authorization: `Bearer ${issuer.issue({ roles }).token}`, "Content-Type": "application/json", Prefer: "include-unknown-enum-members" } });
    expect(response.status).toBe(200);
    return (await response.json()) as T;
  };

  it("adds Contoso's users and groups to the emulator's directory, and every artifact's unit is one of them or a named site", async () => {
    const emulator = await start();
    const tenant = new SimulatedTenant(emulator, { seed: 5, now: () => START });
    tenant.seed();
    const users = CONTOSO_DIRECTORY.filter((o) => o.type === "user");
    expect(users.map((u) => u.displayName)).toEqual(expect.arrayContaining(["Adele Vance", "Alex Wilber", "Megan Bowen"]));
    for (const u of users) expect(u.userPrincipalName).toBe(`${u.displayName.toLowerCase().replace(" ", ".")}@contoso.onmicrosoft.com`);
    expect(CONTOSO_DIRECTORY.filter((o) => o.type === "group").length).toBeGreaterThanOrEqual(2);
    expect(emulator.directoryObjects()).toEqual(tenant.directory);

    const byId = new Map(CONTOSO_DIRECTORY.map((o) => [o.id, o]));
    const kinds = { exchange: "mailbox", oneDrive: "drive", sharePoint: "site" } as const;
    for (const session of emulator.sessions()) {
      for (const a of session.artifacts) {
        const unit = a.protectionUnit;
        expect(unit?.kind).toBe(kinds[session.workload]);
        if (unit?.kind === "site") {
          expect(unit.siteId).toMatch(new RegExp(`^contoso\\.sharepoint\\.com,${GUID},${GUID}$`));
          expect(unit.siteWebUrl).toBe(`https://contoso.sharepoint.com/sites/${(unit.siteName ?? "").toLowerCase().replace(/[^a-z0-9]+/g, "-")}`);
        } else {
          expect(byId.get(unit?.directoryObjectId ?? "")).toMatchObject({ displayName: unit?.displayName, mail: unit?.email });
        }
      }
      // A mailbox, drive or site is restored once per session (a granular session restores items of one).
      const units = new Set(session.artifacts.map((a) => JSON.stringify(a.protectionUnit)));
      expect(units.size).toBe(session.restoreJobType === "granular" ? 1 : session.artifacts.length);
    }
  });

  it("names a unit's owner through getByIds over HTTPS", async () => {
    const emulator = await start();
    new SimulatedTenant(emulator, { seed: 9, now: () => START }).seed();
    const session = emulator.sessions().find((s) => s.workload === "exchange" && s.restoreJobType === "standard");
    const path = `${emulator.url}/v1.0/solutions/backupRestore/exchangeRestoreSessions/${session?.id}/mailboxRestoreArtifacts?$expand=${encodeURIComponent("restorePoint($expand=protectionUnit)")}`;
    const page = await get<{ value: { restorePoint: { protectionUnit: { directoryObjectId: string; displayName: null } } }[] }>(path);
    const ids = page.value.map((a) => a.restorePoint.protectionUnit.directoryObjectId);
    expect(page.value.every((a) => a.restorePoint.protectionUnit.displayName === null)).toBe(true); // app-only: no names on the unit
    const named = await get<{ value: { id: string; displayName: string | null }[] }>(`${emulator.url}/v1.0/directoryObjects/getByIds`, READ_AND_USERS, { method: "POST", body: JSON.stringify({ ids }) });
    expect(named.value.map((o) => o.id)).toEqual(ids);
    // User.Read.All: users by name, a group mailbox's group limited to its id.
    const owners = ids.map((id) => CONTOSO_DIRECTORY.find((o) => o.id === id));
    expect(named.value.map((o) => o.displayName)).toEqual(owners.map((o) => (o?.type === "user" ? o.displayName : null)));
    expect(session?.artifacts.map((a) => ownerId(a.protectionUnit))).toEqual(ids);
  });

  it("every seed shows a completed bulk session whose request completed with errors, and granular sessions, all served by the emulator", async () => {
    for (const seed of [1, 2, 3]) {
      const emulator = await start();
      new SimulatedTenant(emulator, { seed, now: () => START }).seed();
      const sessions = emulator.sessions();
      const bulk = sessions.filter((s) => s.restoreJobType === "bulk");
      for (const s of bulk) expect(s.bulkRequests).toHaveLength(1);
      const flagged = bulk.find((s) => s.status === "completed" && s.bulkRequests?.[0]?.status === "completedWithErrors");
      expect(flagged?.bulkRequests?.[0]?.error?.code, `seed ${seed}`).toMatch(/^BulkRestoreInvalidCreateRequest(UserEmail|SiteUrl)$/);
      const shape = { exchange: ["exchangeRestoreSessions", "mailbox"], sharePoint: ["sharePointRestoreSessions", "site"], oneDrive: ["oneDriveForBusinessRestoreSessions", "drive"] }[flagged?.workload ?? "exchange"];
      const served = await get<{ value: { status: string; error: { message: string } }[] }>(`${emulator.url}/v1.0/solutions/backupRestore/${shape[0]}/${flagged?.id}/${shape[1]}RestoreArtifactsBulkAdditionRequests`);
      expect(served.value[0]).toMatchObject({ status: "completedWithErrors", error: { message: expect.stringMatching(/^\d of \d+ (users|sites) could not be resolved/) } });

      const granular = sessions.filter((s) => s.restoreJobType === "granular");
      expect(granular.map((s) => s.status)).toEqual(expect.arrayContaining(["completed", "completedWithError", "failed"]));
      for (const s of granular.filter((g) => g.workload !== "exchange")) {
        for (const a of s.artifacts) expect(a.itemWebUrl?.startsWith("https://") && a.itemPath?.startsWith("/")).toBe(true);
      }
    }
  });

  it("serves granular items from the granular collection, with paths and web URLs", async () => {
    const emulator = await start({ artifactPageSize: 10 });
    const tenant = new SimulatedTenant(emulator, { seed: 4, initialSessions: 0, newSessionsPerTick: 40, now: () => START });
    tenant.tick();
    const session = emulator.sessions().find((s) => s.restoreJobType === "granular" && s.workload === "oneDrive");
    expect(session, "40 new sessions include a granular OneDrive one").toBeDefined();
    const base = `${emulator.url}/v1.0/solutions/backupRestore/oneDriveForBusinessRestoreSessions/${session?.id}`;
    const items = (await get<{ value: Record<string, unknown>[] }>(`${base}/granularDriveRestoreArtifacts`)).value;
    expect(items).toHaveLength(session?.artifacts.length ?? -1);
    for (const item of items) {
      expect(item["restoredItemPath"]).toMatch(/^\/(Documents|Desktop)\/.+\.\w+$/);
      expect(item["webUrl"]).toMatch(/^https:\/\/contoso-my\.sharepoint\.com\/personal\/[a-z]+_contoso_com\//);
      expect(item["directoryObjectId"]).toBe(ownerId(session?.artifacts[0]?.protectionUnit));
    }
    expect((await get<{ value: unknown[] }>(`${base}/driveRestoreArtifacts`)).value).toEqual([]);
  });

  it("keeps a draft's bulk request active until the session is activated", async () => {
    const emulator = await start();
    const time = clock();
    const tenant = new SimulatedTenant(emulator, { seed: 8, initialSessions: 0, newSessionsPerTick: 40, now: time.now });
    tenant.tick();
    const drafts = emulator.sessions().filter((s) => s.restoreJobType === "bulk");
    expect(drafts.length).toBeGreaterThan(0);
    for (const s of drafts) expect(s.bulkRequests?.[0]).toMatchObject({ status: "active", error: null });
    for (let i = 0; i < 10; i++) {
      time.advance(5 * 60_000);
      tenant.tick();
    }
    for (const s of drafts.map((d) => emulator.session(d.id))) {
      if (s?.status === "draft") continue;
      expect(["completed", "completedWithErrors"]).toContain(s?.bulkRequests?.[0]?.status);
      expect(s?.bulkRequests?.[0]?.error === null).toBe(s?.bulkRequests?.[0]?.status === "completed");
    }
    expect(drafts.some((d) => emulator.session(d.id)?.status !== "draft")).toBe(true);
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

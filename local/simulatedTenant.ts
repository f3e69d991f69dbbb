import { randomUUID } from "node:crypto";
import type { EmulatedArtifact, EmulatedSession, EmulatedStatus, EmulatedWorkload, GraphEmulator } from "./emulators/graph/graphEmulator";

export interface SimulatedTenantOptions {
  seed?: number;
  /** Sessions created by seed(), default 36. */
  initialSessions?: number;
  /** Sessions that appear (in draft) on every tick, default 2. */
  newSessionsPerTick?: number;
  /** Clock in epoch ms, default Date.now; inject a fixed one for fully reproducible timestamps. */
  now?: () => number;
}

export interface TickResult {
  created: string[];
  changed: { id: string; from: string; to: string }[];
}

type Outcome = "completed" | "completedWithError" | "failed";

/** The documented artifact-level error codes (Backup Storage error-code page) and their messages. */
export const ARTIFACT_ERRORS: readonly { readonly code: string; readonly message: string }[] = [
  { code: "ArtifactNotFound", message: "The requested restore artifact wasn't found for restore." },
  { code: "InvalidRestoreTime", message: "Restore Artifact can't be restored to this timestamp, the restore time provided is invalid or beyond retention period." },
  { code: "ArtifactCannotBeRestored", message: "The restore artifact is in an unexpected state such as preservation lock or TenantDivestiture which is blocking the restore." },
  { code: "DuplicateArtifactRestoreRequest", message: "An ongoing Restore was found for the given restore artifact." },
  { code: "UnknownError", message: "Unknown error occurred or a provider-side error." },
];

const WORKLOADS: readonly EmulatedWorkload[] = ["exchange", "sharePoint", "oneDrive"];
const PEOPLE: readonly (readonly [string, string])[] = [
  ["Megan", "Bowen"], ["Adele", "Vance"], ["Alex", "Wilber"], ["Diego", "Siciliani"], ["Grady", "Archie"], ["Isaiah", "Langer"],
  ["Johanna", "Lorenz"], ["Lee", "Gu"], ["Lidia", "Holloway"], ["Lynne", "Robbins"], ["Miriam", "Graham"], ["Nestor", "Wilke"],
  ["Patti", "Fernandez"], ["Pradeep", "Gupta"],
];
const SITES: readonly string[] = ["HR Policies", "Finance Reports", "Marketing Campaigns", "Project Falcon", "Legal Contracts", "IT Helpdesk", "Sales Pipeline", "Engineering Wiki", "Board Minutes", "Mark 8 Project Team"];
const CONTROLLER = { id: "4d43deb5-3880-41de-b9fd-9702b6bc8abb", displayName: "Contoso Backup Controller" };
const ADMINS = PEOPLE.slice(0, 3);
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** mulberry32: a small, fast, seedable PRNG; good enough for picking demo data. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Random {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  float(): number {
    return this.next();
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error("pick from an empty list");
    return item;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [items[i], items[j]] = [items[j] as T, items[i] as T];
    }
    return items;
  }
  /** A v4-shaped GUID from the seeded stream, so ids repeat for the same seed. */
  uuid(): string {
    const hex = Array.from({ length: 32 }, () => Math.floor(this.next() * 16).toString(16)).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${"89ab"[Math.floor(this.next() * 4)]}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }
}

const slug = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
const iso = (ms: number): string => new Date(ms).toISOString();

/** Where a restored artifact ends up: folder name for mailboxes, site name + URL for sites and drives. */
function restoredLocation(workload: EmulatedWorkload, random: Random, destination: "new" | "inPlace", restorePointMs: number): { name: string; webUrl?: string } {
  const [first, last] = random.pick(PEOPLE);
  const suffix = destination === "new" ? "_R1" : "";
  switch (workload) {
    case "exchange":
      return { name: destination === "new" ? `Restored-${first.toLowerCase()}.${last.toLowerCase()}` : `Restored items ${iso(restorePointMs).slice(0, 10)}` };
    case "sharePoint": {
      const site = random.pick(SITES);
      return { name: `${site}${suffix}`, webUrl: `https://contoso.sharepoint.com/sites/${slug(site)}${suffix}` };
    }
    case "oneDrive":
      return { name: `${first}${last.charAt(0)}${suffix}`, webUrl: `https://contoso-my.sharepoint.com/personal/${first.toLowerCase()}${last.charAt(0).toLowerCase()}_contoso_com${suffix}` };
  }
}

/**
 * A deterministic (seeded) Microsoft 365 tenant whose restore sessions move through their lifecycle:
 * draft → activating → active → completed (most) / completedWithError (some) / failed (few).
 * Used for the local demo run and load tests; it only touches sessions it created.
 */
export class SimulatedTenant {
  private readonly random: Random;
  private readonly now: () => number;
  private readonly initialSessions: number;
  private readonly newSessionsPerTick: number;
  /** Planned outcome and planned failing artifacts of every session still in flight. */
  private readonly inFlight = new Map<string, { outcome: Outcome; failing: Set<string> }>();

  constructor(
    private readonly emulator: GraphEmulator,
    options: SimulatedTenantOptions = {},
  ) {
    this.random = new Random(options.seed ?? 1);
    this.now = options.now ?? Date.now;
    this.initialSessions = options.initialSessions ?? 36;
    this.newSessionsPerTick = options.newSessionsPerTick ?? 2;
  }

  /** Creates the initial sessions: about three quarters finished history over the last 30 days, the rest in flight. */
  seed(): void {
    const now = this.now();
    const total = this.initialSessions;
    const inFlight = Math.round(total / 4);
    const history = total - inFlight;
    // Fixed quotas, then shuffled, so every seed shows each kind of outcome.
    const failed = history > 0 ? Math.max(1, Math.round(history * 0.08)) : 0;
    const withError = history > 1 ? Math.max(1, Math.round(history * 0.15)) : 0;
    const outcomes = this.random.shuffle<Outcome>([
      ...Array<Outcome>(failed).fill("failed"),
      ...Array<Outcome>(withError).fill("completedWithError"),
      ...Array<Outcome>(Math.max(0, history - failed - withError)).fill("completed"),
    ]);
    // Insertion order is creation order, as on the service.
    const pastTimes = Array.from({ length: history }, () => now - this.random.int(60 * MINUTE, 30 * DAY)).sort((a, b) => a - b);
    outcomes.forEach((outcome, i) => this.createFinished(outcome, pastTimes[i] ?? now));
    const flightStatuses: EmulatedStatus[] = ["draft", "activating", "active"];
    const recentTimes = Array.from({ length: inFlight }, () => now - this.random.int(1, 50) * MINUTE).sort((a, b) => a - b);
    recentTimes.forEach((createdMs, i) => this.createInFlight(flightStatuses[i % flightStatuses.length] ?? "draft", createdMs));
  }

  /** Advances the tenant one step: new drafts appear and every in-flight session may move on. */
  tick(): TickResult {
    const result: TickResult = { created: [], changed: [] };
    const now = this.now();
    for (const [id, plan] of this.inFlight) {
      const session = this.emulator.session(id);
      if (!session) {
        this.inFlight.delete(id);
        continue;
      }
      const from = session.status;
      this.advance(session, plan, now);
      if (session.status !== from) result.changed.push({ id, from, to: session.status });
    }
    for (let i = 0; i < this.newSessionsPerTick; i++) result.created.push(this.createInFlight("draft", now).id);
    return result;
  }

  private advance(session: EmulatedSession, plan: { outcome: Outcome; failing: Set<string> }, now: number): void {
    const artifacts = session.artifacts;
    let status = session.status;
    let artifactsMoved = false;
    if (status === "draft") {
      // Some drafts wait for the admin to activate them.
      if (this.random.chance(0.3)) return;
      for (const a of artifacts) a.status = "scheduling";
      status = "activating";
    } else if (status === "activating") {
      for (const a of artifacts) a.status = "scheduled";
      status = "active";
    } else if (status === "active") {
      for (const a of artifacts) {
        if (a.status === "scheduled" || a.status === "scheduling" || a.status === "added") {
          a.status = "inProgress";
          a.startDateTime = iso(now);
          artifactsMoved = true;
        } else if (a.status === "inProgress" && this.random.chance(0.6)) {
          this.finishArtifact(session.workload, a, plan.failing.has(a.id), now);
          artifactsMoved = true;
        }
      }
      if (artifacts.every((a) => a.status === "succeeded" || a.status === "failed")) {
        status = plan.outcome;
        this.inFlight.delete(session.id);
      }
    }
    if (status === session.status) {
      if (artifactsMoved) this.emulator.updateSession(session.id, { artifacts, lastModifiedDateTime: iso(now) });
      return;
    }
    const firstError = artifacts.find((a) => a.error)?.error;
    this.emulator.updateSession(session.id, {
      status,
      artifacts,
      lastModifiedDateTime: iso(now),
      ...(status === plan.outcome && { completedDateTime: iso(now), error: plan.outcome === "completed" ? null : (firstError ?? null) }),
    });
  }

  private finishArtifact(workload: EmulatedWorkload, artifact: EmulatedArtifact, fails: boolean, now: number): void {
    artifact.completionDateTime = iso(now);
    if (fails) {
      artifact.status = "failed";
      artifact.error = { ...this.random.pick(ARTIFACT_ERRORS) };
      if (workload === "exchange") artifact.restoredItemCount = 0;
      return;
    }
    artifact.status = "succeeded";
    const location = restoredLocation(workload, this.random, artifact.destinationType ?? "inPlace", Date.parse(artifact.restorePointDateTime ?? iso(now)));
    artifact.name = location.name;
    if (location.webUrl !== undefined) artifact.webUrl = location.webUrl;
    if (workload === "exchange") artifact.restoredItemCount = this.random.int(1, 4000);
  }

  /** A new session with planned outcome and artifacts in the state matching `status`. */
  private createInFlight(status: EmulatedStatus, createdMs: number): EmulatedSession {
    const plan = this.plan();
    const session = this.newSession(createdMs, plan.jobType, plan.artifactCount);
    const failing = this.chooseFailing(session.artifacts, plan.outcome);
    const artifactStatus: EmulatedArtifact["status"] = status === "draft" ? "added" : status === "activating" ? "scheduled" : "inProgress";
    for (const a of session.artifacts) {
      a.status = artifactStatus;
      if (artifactStatus === "inProgress") a.startDateTime = iso(createdMs + 2 * MINUTE);
    }
    const created = this.emulator.createSession({ ...session, status, createdDateTime: iso(createdMs), lastModifiedDateTime: iso(createdMs) });
    this.inFlight.set(created.id, { outcome: plan.outcome, failing });
    return created;
  }

  private createFinished(outcome: Outcome, createdMs: number): EmulatedSession {
    const plan = this.plan(outcome);
    const session = this.newSession(createdMs, plan.jobType, plan.artifactCount);
    const failing = this.chooseFailing(session.artifacts, outcome);
    let completedMs = createdMs;
    for (const a of session.artifacts) {
      const start = createdMs + this.random.int(1, 5) * MINUTE;
      const end = start + this.random.int(5, 180) * MINUTE;
      a.startDateTime = iso(start);
      this.finishArtifact(session.workload, a, failing.has(a.id), end);
      completedMs = Math.max(completedMs, end);
    }
    const firstError = session.artifacts.find((a) => a.error)?.error;
    return this.emulator.createSession({
      ...session,
      status: outcome,
      createdDateTime: iso(createdMs),
      lastModifiedDateTime: iso(completedMs),
      completedDateTime: iso(completedMs),
      error: outcome === "completed" ? null : (firstError ?? null),
    });
  }

  private plan(outcome?: Outcome): { outcome: Outcome; jobType: "standard" | "bulk" | "granular"; artifactCount: number } {
    const roll = this.random.float();
    const chosen: Outcome = outcome ?? (roll < 0.08 ? "failed" : roll < 0.23 ? "completedWithError" : "completed");
    const jobRoll = this.random.float();
    const jobType = jobRoll < 0.1 ? "bulk" : jobRoll < 0.15 ? "granular" : "standard";
    const base = jobType === "bulk" ? this.random.int(5, 12) : this.random.int(1, 4);
    // completedWithError needs at least one success and one failure.
    return { outcome: chosen, jobType, artifactCount: chosen === "completedWithError" ? Math.max(2, base) : base };
  }

  private newSession(createdMs: number, jobType: "standard" | "bulk" | "granular", artifactCount: number): Omit<EmulatedSession, "status" | "lastModifiedDateTime"> {
    const workload = this.random.pick(WORKLOADS);
    const [first, last] = this.random.pick(ADMINS);
    const destinationType = workload === "exchange" ? (this.random.chance(0.6) ? "inPlace" : "new") : this.random.chance(0.7) ? "new" : "inPlace";
    const restorePointMs = Math.floor((createdMs - this.random.int(1, 14) * DAY) / (60 * MINUTE)) * 60 * MINUTE;
    const artifacts: EmulatedArtifact[] = Array.from({ length: artifactCount }, () => ({
      id: this.random.uuid(),
      status: "added",
      destinationType,
      restorePointDateTime: iso(restorePointMs),
    }));
    return {
      id: this.random.uuid(),
      workload,
      restoreJobType: jobType,
      createdBy: { application: CONTROLLER, user: { id: this.random.uuid(), displayName: `${first} ${last}` } },
      createdDateTime: iso(createdMs),
      artifacts,
    };
  }

  private chooseFailing(artifacts: EmulatedArtifact[], outcome: Outcome): Set<string> {
    if (outcome === "completed") return new Set();
    if (outcome === "failed") return new Set(artifacts.map((a) => a.id));
    // completedWithError: at least one fails and at least one succeeds.
    const count = this.random.int(1, artifacts.length - 1);
    return new Set(this.random.shuffle([...artifacts]).slice(0, count).map((a) => a.id));
  }
}

/**
 * Creates `sessions` finished sessions fast (for benchmarks): exactly round-down(sessions × failedFraction)
 * of them `failed`, spread evenly, the rest `completed`, rotating through the three workloads.
 */
export function bulkTenant(emulator: GraphEmulator, options: { sessions: number; failedFraction: number }): { ids: string[]; failedIds: string[] } {
  const { sessions, failedFraction } = options;
  if (!(failedFraction >= 0 && failedFraction <= 1)) throw new RangeError("failedFraction must be between 0 and 1");
  const ids: string[] = [];
  const failedIds: string[] = [];
  const start = Date.now() - sessions * 1000;
  for (let i = 0; i < sessions; i++) {
    const failed = Math.floor((i + 1) * failedFraction) > Math.floor(i * failedFraction);
    const workload = WORKLOADS[i % WORKLOADS.length] ?? "exchange";
    const created = iso(start + i * 1000);
    const completed = iso(start + i * 1000 + 500);
    const error = failed ? ARTIFACT_ERRORS[i % ARTIFACT_ERRORS.length] : undefined;
    const session = emulator.createSession({
      id: randomUUID(),
      workload,
      status: failed ? "failed" : "completed",
      createdDateTime: created,
      lastModifiedDateTime: completed,
      completedDateTime: completed,
      error: error ? { ...error } : null,
      artifacts: [{ id: randomUUID(), status: failed ? "failed" : "succeeded", startDateTime: created, completionDateTime: completed, ...(error && { error: { ...error } }) }],
    });
    ids.push(session.id);
    if (failed) failedIds.push(session.id);
  }
  return { ids, failedIds };
}

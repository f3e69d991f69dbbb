import { randomUUID } from "node:crypto";
import {
  bulkResolutionError,
  type EmulatedArtifact,
  type EmulatedBulkRequest,
  type EmulatedDirectoryObject,
  type EmulatedProtectionUnit,
  type EmulatedSession,
  type EmulatedStatus,
  type EmulatedWorkload,
  type GraphEmulator,
  type TenantSessions,
} from "./emulators/graph/graphEmulator";
import { stableGuid } from "./emulators/graph/render";

export interface SimulatedTenantOptions {
  seed?: number;
  /** Sessions created by seed(), default 36. */
  initialSessions?: number;
  /** Sessions that appear (in draft) on every tick, default 2. */
  newSessionsPerTick?: number;
  /** Clock in epoch ms, default Date.now; inject a fixed one for fully reproducible timestamps. */
  now?: () => number;
  /** The tenant whose sessions these are in the emulator (served to tokens with that `tid`); default the emulator's default tenant. */
  tenantId?: string;
}

export interface TickResult {
  created: string[];
  changed: { id: string; from: string; to: string }[];
}

type SessionStore = Pick<TenantSessions, "createSession" | "updateSession" | "session">;
type Outcome = "completed" | "completedWithError" | "failed";
type JobType = "standard" | "bulk" | "granular";
type OwnerUnit = Extract<EmulatedProtectionUnit, { kind: "mailbox" | "drive" }>;
type SiteUnit = Extract<EmulatedProtectionUnit, { kind: "site" }>;

/** What a new session will become: its outcome, job type, size, and whether its bulk request fails to resolve some resources. */
interface Plan {
  outcome: Outcome;
  jobType: JobType;
  artifactCount: number;
  bulkErrors: boolean;
}

/** A session in flight: its planned outcome and failing artifacts, and the bulk request it will end with once activated. */
interface InFlight {
  outcome: Outcome;
  failing: Set<string>;
  bulkFinal?: EmulatedBulkRequest;
}

/** The documented artifact-level error codes (Backup Storage error-code page) and their messages. */
export const ARTIFACT_ERRORS: readonly { readonly code: string; readonly message: string }[] = [
  { code: "ArtifactNotFound", message: "The requested restore artifact wasn't found for restore." },
  { code: "InvalidRestoreTime", message: "Restore Artifact can't be restored to this timestamp, the restore time provided is invalid or beyond retention period." },
  { code: "ArtifactCannotBeRestored", message: "The restore artifact is in an unexpected state such as preservation lock or TenantDivestiture which is blocking the restore." },
  { code: "DuplicateArtifactRestoreRequest", message: "An ongoing Restore was found for the given restore artifact." },
  { code: "UnknownError", message: "Unknown error occurred or a provider-side error." },
];

const WORKLOADS: readonly EmulatedWorkload[] = ["exchange", "sharePoint", "oneDrive"];
const DOMAIN = "contoso.onmicrosoft.com";
/** Microsoft's demo-tenant people. */
const PEOPLE: readonly (readonly [string, string])[] = [
  ["Megan", "Bowen"], ["Adele", "Vance"], ["Alex", "Wilber"], ["Diego", "Siciliani"], ["Grady", "Archie"], ["Isaiah", "Langer"],
  ["Johanna", "Lorenz"], ["Lee", "Gu"], ["Lidia", "Holloway"], ["Lynne", "Robbins"], ["Miriam", "Graham"], ["Nestor", "Wilke"],
  ["Patti", "Fernandez"], ["Pradeep", "Gupta"],
];
/** People who have left: a bulk request naming them cannot resolve them. */
const FORMER: readonly (readonly [string, string])[] = [["Henrietta", "Mueller"], ["Debra", "Berger"], ["Irvin", "Sayers"]];
const SITES: readonly string[] = [
  "HR Policies", "Finance Reports", "Marketing Campaigns", "Project Falcon", "Legal Contracts", "IT Helpdesk", "Sales Pipeline", "Engineering Wiki", "Board Minutes", "Mark 8 Project Team", "Contoso Brand", "Retail Operations",
];
const RETIRED_SITES: readonly string[] = ["old-intranet", "archive-2019", "team-alpha"];
/** Items a granular restore brings back, by workload. */
const DRIVE_ITEMS: readonly string[] = ["/Documents/Q3/Budget.xlsx", "/Documents/Projects/Falcon/Roadmap.pptx", "/Documents/Contracts/Fabrikam NDA.docx", "/Documents/Expenses/2026-06.xlsx", "/Desktop/Team offsite.jpg"];
const SITE_ITEMS: readonly string[] = ["/Shared Documents/Policies/Travel Policy.docx", "/Shared Documents/Reports/FY26 Q3 Forecast.xlsx", "/Shared Documents/Minutes/2026-06 Board.docx", "/Shared Documents/Campaigns/Launch Plan.pptx", "/SitePages/Home.aspx"];
const BULK_PREFIX: Readonly<Record<EmulatedWorkload, string>> = { exchange: "EXO", sharePoint: "SPO", oneDrive: "ODB" };
const CONTROLLER = { id: "4d43deb5-3880-41de-b9fd-9702b6bc8abb", displayName: "Contoso Backup Controller" };
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

const slug = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
const iso = (ms: number): string => new Date(ms).toISOString();
const address = ([first, last]: readonly [string, string]): string => `${first}.${last}@${DOMAIN}`.toLowerCase();
/** A OneDrive's short name, e.g. MeganB, as in its personal-site URL (…/personal/meganb_contoso_com). */
const shortName = (displayName: string): string => {
  const [first = "", last = ""] = displayName.split(" ");
  return `${first}${last.charAt(0)}`;
};
const oneDriveUrl = (displayName: string): string => `https://contoso-my.sharepoint.com/personal/${shortName(displayName).toLowerCase()}_contoso_com`;
const encodePath = (path: string): string => path.split("/").map(encodeURIComponent).join("/");

function user(name: readonly [string, string]): EmulatedDirectoryObject {
  const upn = address(name);
  return { id: stableGuid(`contoso/user/${upn}`), type: "user", displayName: `${name[0]} ${name[1]}`, userPrincipalName: upn, mail: upn };
}

function group(displayName: string, mailNickname?: string): EmulatedDirectoryObject {
  return { id: stableGuid(`contoso/group/${displayName}`), type: "group", displayName, ...(mailNickname !== undefined && { mail: `${mailNickname}@${DOMAIN}` }) };
}

const USERS: readonly EmulatedDirectoryObject[] = PEOPLE.map(user);
/** Two Microsoft 365 groups (with mailboxes) and a security group. */
const GROUPS: readonly EmulatedDirectoryObject[] = [group("Sales and Marketing", "salesandmarketing"), group("Mark 8 Project Team", "mark8projectteam"), group("Backup Administrators")];
/** The simulated tenant's users and groups (ids stable across seeds), as POST /directoryObjects/getByIds serves them. */
export const CONTOSO_DIRECTORY: readonly EmulatedDirectoryObject[] = [...USERS, ...GROUPS];
const ADMINS = USERS.slice(0, 3);

const ownerUnit = (kind: OwnerUnit["kind"], owner: EmulatedDirectoryObject): OwnerUnit => ({ kind, directoryObjectId: owner.id, displayName: owner.displayName, ...(owner.mail !== undefined && { email: owner.mail }) });
/** Mailboxes of users and of the Microsoft 365 groups; OneDrives of users; named sites. */
const UNITS: Readonly<Record<EmulatedWorkload, readonly EmulatedProtectionUnit[]>> = {
  exchange: CONTOSO_DIRECTORY.filter((o) => o.mail !== undefined).map((o) => ownerUnit("mailbox", o)),
  oneDrive: USERS.map((o) => ownerUnit("drive", o)),
  sharePoint: SITES.map((name): SiteUnit => ({
    kind: "site",
    siteId: `contoso.sharepoint.com,${stableGuid(`contoso/site/${name}`)},${stableGuid(`contoso/web/${name}`)}`,
    siteName: name,
    siteWebUrl: `https://contoso.sharepoint.com/sites/${slug(name)}`,
  })),
};

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

function unitOf(artifact: EmulatedArtifact): EmulatedProtectionUnit {
  if (!artifact.protectionUnit) throw new Error(`artifact ${artifact.id} has no protection unit`);
  return artifact.protectionUnit;
}

/** The web URL under which a unit's items live: the site, or the owner's OneDrive. */
function itemsBase(unit: EmulatedProtectionUnit): string {
  return unit.kind === "site" ? (unit.siteWebUrl ?? "") : oneDriveUrl(unit.displayName ?? "");
}

/** Where a restored artifact ends up: folder name for mailboxes, site name + URL for sites and drives. */
function restoredLocation(unit: EmulatedProtectionUnit, destination: "new" | "inPlace", restorePointMs: number): { name: string; webUrl?: string } {
  const suffix = destination === "new" ? "_R1" : "";
  switch (unit.kind) {
    case "mailbox":
      return { name: destination === "new" ? `Restored-${(unit.email ?? "mailbox").split("@")[0]}` : `Restored items ${iso(restorePointMs).slice(0, 10)}` };
    case "site":
      return { name: `${unit.siteName ?? "Site"}${suffix}`, webUrl: `${unit.siteWebUrl ?? ""}${suffix}` };
    case "drive":
      return { name: `${shortName(unit.displayName ?? "")}${suffix}`, webUrl: `${oneDriveUrl(unit.displayName ?? "")}${suffix}` };
  }
}

/** A granular drive or site item restored: its key, and the URL of the restored copy (beside the original, or in a Restored folder). */
function restoredItem(artifact: EmulatedArtifact, key: string, now: number): void {
  const path = artifact.itemPath ?? "/item";
  const [, root = "Documents"] = path.split("/");
  const restoredPath = artifact.destinationType === "new" ? `/${root}/Restored ${iso(now).slice(0, 10)}/${path.split("/").pop() ?? "item"}` : path;
  artifact.restoredItemKey = key;
  artifact.restoredItemWebUrl = `${itemsBase(unitOf(artifact))}${encodePath(restoredPath)}`;
}

/** Bulk and granular sessions every seeded history shows (when it has sessions of that outcome to spare). */
const SHOWCASE: readonly (readonly [Outcome, JobType, boolean])[] = [
  ["completed", "bulk", true], // the session completed, yet its bulk request failed to resolve some users or sites
  ["completedWithError", "bulk", true],
  ["completed", "bulk", false],
  ["completed", "granular", false],
  ["failed", "granular", false],
  ["completedWithError", "granular", false],
];

/**
 * A deterministic (seeded) Microsoft 365 tenant whose restore sessions move through their lifecycle:
 * draft → activating → active → completed (most) / completedWithError (some) / failed (few).
 * Construction adds its users and groups (CONTOSO_DIRECTORY) to the emulator's directory; every
 * artifact's restore point links to a protection unit of one of them or of a named site. Some
 * sessions are bulk restores (one bulk addition request each, some resolving with errors) or
 * granular ones (single files, or mail items found by a search).
 * Used for the local demo run and load tests; it only touches sessions it created.
 */
export class SimulatedTenant {
  /** The users and groups it added to the emulator's directory. */
  readonly directory: readonly EmulatedDirectoryObject[] = CONTOSO_DIRECTORY;
  private readonly random: Random;
  private readonly now: () => number;
  private readonly initialSessions: number;
  private readonly newSessionsPerTick: number;
  private readonly inFlight = new Map<string, InFlight>();
  /** The emulator's sessions of this tenant. */
  private readonly emulator: SessionStore;

  constructor(emulator: GraphEmulator, options: SimulatedTenantOptions = {}) {
    this.emulator = options.tenantId === undefined ? emulator : emulator.tenant(options.tenantId);
    this.random = new Random(options.seed ?? 1);
    this.now = options.now ?? Date.now;
    this.initialSessions = options.initialSessions ?? 36;
    this.newSessionsPerTick = options.newSessionsPerTick ?? 2;
    for (const object of CONTOSO_DIRECTORY) emulator.addDirectoryObject({ ...object });
  }

  /** Creates the initial sessions: about three quarters finished history over the last 30 days, the rest in flight. */
  seed(): void {
    const now = this.now();
    const total = this.initialSessions;
    const inFlight = Math.round(total / 4);
    const plans = this.historyPlans(total - inFlight);
    // Insertion order is creation order, as on the service.
    const pastTimes = plans.map(() => now - this.random.int(60 * MINUTE, 30 * DAY)).sort((a, b) => a - b);
    plans.forEach((plan, i) => this.createFinished(plan, pastTimes[i] ?? now));
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

  /** Fixed outcome quotas and the SHOWCASE job types, then shuffled, so every seed shows each kind. */
  private historyPlans(history: number): Plan[] {
    const failed = history > 0 ? Math.max(1, Math.round(history * 0.08)) : 0;
    const withError = history > 1 ? Math.max(1, Math.round(history * 0.15)) : 0;
    const outcomes: Outcome[] = [...Array<Outcome>(failed).fill("failed"), ...Array<Outcome>(withError).fill("completedWithError"), ...Array<Outcome>(Math.max(0, history - failed - withError)).fill("completed")];
    const specs = outcomes.map((outcome) => ({ outcome, jobType: "standard" as JobType, bulkErrors: false }));
    for (const [outcome, jobType, bulkErrors] of SHOWCASE) {
      const spec = specs.find((s) => s.outcome === outcome && s.jobType === "standard");
      if (spec) Object.assign(spec, { jobType, bulkErrors });
    }
    return this.random.shuffle(specs).map((spec) => this.plan(spec));
  }

  private advance(session: EmulatedSession, plan: InFlight, now: number): void {
    const artifacts = session.artifacts;
    let status = session.status;
    let artifactsMoved = false;
    if (status === "draft") {
      // Some drafts wait for the admin to activate them.
      if (this.random.chance(0.3)) return;
      for (const a of artifacts) a.status = "scheduling";
      // The bulk request has resolved its users or sites by the time the session is activated.
      if (plan.bulkFinal) session.bulkRequests = [{ ...plan.bulkFinal, lastModifiedDateTime: iso(now) }];
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
          this.finishArtifact(a, plan.failing.has(a.id), now);
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

  private finishArtifact(artifact: EmulatedArtifact, fails: boolean, now: number): void {
    artifact.completionDateTime = iso(now);
    const unit = unitOf(artifact);
    if (fails) {
      artifact.status = "failed";
      artifact.error = { ...this.random.pick(ARTIFACT_ERRORS) };
      if (unit.kind === "mailbox") artifact.restoredItemCount = 0;
      return;
    }
    artifact.status = "succeeded";
    const location = restoredLocation(unit, artifact.destinationType ?? "inPlace", Date.parse(artifact.restorePointDateTime ?? iso(now)));
    artifact.name = location.name;
    if (location.webUrl !== undefined) artifact.webUrl = location.webUrl;
    // A granular mailbox restore brings back what its search found.
    if (unit.kind === "mailbox") artifact.restoredItemCount = artifact.artifactCount ?? this.random.int(1, 4000);
    if (artifact.itemPath !== undefined) restoredItem(artifact, this.random.uuid(), now);
  }

  /** A new session with planned outcome and artifacts in the state matching `status`. */
  private createInFlight(status: EmulatedStatus, createdMs: number): EmulatedSession {
    const plan = this.plan();
    const session = this.newSession(createdMs, plan);
    const failing = this.chooseFailing(session.artifacts, plan.outcome);
    const artifactStatus: EmulatedArtifact["status"] = status === "draft" ? "added" : status === "activating" ? "scheduled" : "inProgress";
    for (const a of session.artifacts) {
      a.status = artifactStatus;
      if (artifactStatus === "inProgress") a.startDateTime = iso(createdMs + 2 * MINUTE);
    }
    // A draft's bulk request is still resolving: active, until the session is activated.
    const bulkFinal = status === "draft" ? session.bulkRequests?.[0] : undefined;
    if (bulkFinal) session.bulkRequests = [{ ...bulkFinal, status: "active", error: null, lastModifiedDateTime: iso(createdMs) }];
    const created = this.emulator.createSession({ ...session, status, createdDateTime: iso(createdMs), lastModifiedDateTime: iso(createdMs) });
    this.inFlight.set(created.id, { outcome: plan.outcome, failing, ...(bulkFinal && { bulkFinal }) });
    return created;
  }

  private createFinished(plan: Plan, createdMs: number): EmulatedSession {
    const session = this.newSession(createdMs, plan);
    const failing = this.chooseFailing(session.artifacts, plan.outcome);
    let completedMs = createdMs;
    for (const a of session.artifacts) {
      const start = createdMs + this.random.int(1, 5) * MINUTE;
      const end = start + this.random.int(5, 180) * MINUTE;
      a.startDateTime = iso(start);
      this.finishArtifact(a, failing.has(a.id), end);
      completedMs = Math.max(completedMs, end);
    }
    const firstError = session.artifacts.find((a) => a.error)?.error;
    return this.emulator.createSession({
      ...session,
      status: plan.outcome,
      createdDateTime: iso(createdMs),
      lastModifiedDateTime: iso(completedMs),
      completedDateTime: iso(completedMs),
      error: plan.outcome === "completed" ? null : (firstError ?? null),
    });
  }

  /** A random plan, or the given spec with a random size. */
  private plan(spec?: Omit<Plan, "artifactCount">): Plan {
    const roll = this.random.float();
    const outcome: Outcome = spec?.outcome ?? (roll < 0.08 ? "failed" : roll < 0.23 ? "completedWithError" : "completed");
    const jobRoll = this.random.float();
    const jobType: JobType = spec?.jobType ?? (jobRoll < 0.1 ? "bulk" : jobRoll < 0.18 ? "granular" : "standard");
    const bulkErrors = spec?.bulkErrors ?? (jobType === "bulk" && this.random.chance(0.4));
    const base = jobType === "bulk" ? this.random.int(5, 12) : this.random.int(1, 4);
    // completedWithError needs at least one success and one failure.
    return { outcome, jobType, bulkErrors, artifactCount: outcome === "completedWithError" ? Math.max(2, base) : base };
  }

  private newSession(createdMs: number, plan: Plan): Omit<EmulatedSession, "status" | "lastModifiedDateTime"> {
    const workload = this.random.pick(WORKLOADS);
    const admin = this.random.pick(ADMINS);
    const destinationType = workload === "exchange" ? (this.random.chance(0.6) ? "inPlace" : "new") : this.random.chance(0.7) ? "new" : "inPlace";
    const restorePointMs = Math.floor((createdMs - this.random.int(1, 14) * DAY) / (60 * MINUTE)) * 60 * MINUTE;
    const artifacts = this.newArtifacts(workload, plan, destinationType, restorePointMs);
    const createdBy = { application: { ...CONTROLLER }, user: { id: admin.id, displayName: admin.displayName } };
    return {
      id: this.random.uuid(),
      workload,
      restoreJobType: plan.jobType,
      createdBy,
      createdDateTime: iso(createdMs),
      artifacts,
      ...(plan.jobType === "bulk" && { bulkRequests: [this.bulkRequest(workload, artifacts, { createdBy, createdMs, restorePointMs, withErrors: plan.bulkErrors })] }),
    };
  }

  /** One artifact per distinct unit; a granular session restores items of one unit (one browse session, or one mailbox search). */
  private newArtifacts(workload: EmulatedWorkload, plan: Plan, destinationType: "new" | "inPlace", restorePointMs: number): EmulatedArtifact[] {
    const granular = plan.jobType === "granular";
    const units = granular ? [this.random.pick(UNITS[workload])] : this.random.shuffle([...UNITS[workload]]);
    const items = granular ? this.random.shuffle([...(workload === "sharePoint" ? SITE_ITEMS : DRIVE_ITEMS)]) : [];
    const granularId = granular ? this.random.uuid() : "";
    return Array.from({ length: plan.artifactCount }, (_, i) => {
      const protectionUnit = units[granular ? 0 : i % units.length];
      if (!protectionUnit) throw new Error(`no ${workload} protection unit to restore`);
      const artifact: EmulatedArtifact = { id: this.random.uuid(), status: "added", destinationType, restorePointDateTime: iso(restorePointMs), protectionUnit };
      if (!granular) return artifact;
      if (workload === "exchange") return { ...artifact, searchResponseId: granularId, artifactCount: this.random.int(1, 250) };
      const itemPath = items[i % items.length] ?? "/item";
      return { ...artifact, browseSessionId: granularId, itemPath, itemWebUrl: `${itemsBase(protectionUnit)}${encodePath(itemPath)}` };
    });
  }

  /** The session's bulk addition request in its final state: the artifacts' units, plus former people or retired sites that do not resolve. */
  private bulkRequest(workload: EmulatedWorkload, artifacts: EmulatedArtifact[], at: { createdBy: EmulatedSession["createdBy"]; createdMs: number; restorePointMs: number; withErrors: boolean }): EmulatedBulkRequest {
    const unresolved = at.withErrors ? this.random.int(1, 2) : 0;
    const former = this.random.shuffle([...FORMER]).slice(0, unresolved);
    const units = artifacts.map(unitOf);
    const ownerIds = units.flatMap((u) => (u.kind === "site" ? [] : [u.directoryObjectId]));
    const lists: Partial<EmulatedBulkRequest> =
      workload === "sharePoint"
        ? { siteIds: units.flatMap((u) => (u.kind === "site" ? [u.siteId] : [])), siteWebUrls: RETIRED_SITES.slice(0, unresolved).map((s) => `https://contoso.sharepoint.com/sites/${s}`) }
        : workload === "exchange"
          ? { directoryObjectIds: ownerIds, mailboxes: former.map(address) }
          : { directoryObjectIds: ownerIds, drives: former.map(([first, last]) => oneDriveUrl(`${first} ${last}`)) };
    return {
      id: this.random.uuid(),
      displayName: `${BULK_PREFIX[workload]}-BulkRestore-${iso(at.createdMs).slice(0, 10)}`,
      status: at.withErrors ? "completedWithErrors" : "completed",
      error: at.withErrors ? bulkResolutionError(workload, unresolved, artifacts.length + unresolved) : null,
      ...(at.withErrors && { unresolvedCount: unresolved }),
      destinationType: artifacts[0]?.destinationType ?? "new",
      restorePointPreference: "latest",
      tags: "fastRestore",
      protectionTimePeriod: { startDateTime: iso(at.restorePointMs - 7 * DAY), endDateTime: iso(at.restorePointMs) },
      createdDateTime: iso(at.createdMs),
      lastModifiedDateTime: iso(at.createdMs + 2 * MINUTE),
      ...(at.createdBy && { createdBy: at.createdBy }),
      ...lists,
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
 * of them `failed`, spread evenly, the rest `completed`, rotating through the three workloads. Into the
 * emulator's default tenant, or one tenant's sessions (`graph.tenant(id)`).
 */
export function bulkTenant(emulator: Pick<GraphEmulator, "createSession">, options: { sessions: number; failedFraction: number }): { ids: string[]; failedIds: string[] } {
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

/** Labels of the simulated customer tenants (Microsoft's fictitious companies). */
const CUSTOMER_NAMES: readonly string[] = ["Contoso", "Fabrikam", "Northwind Traders", "Tailspin Toys", "Woodgrove Bank", "Adventure Works", "Wide World Importers", "Litware", "Proseware", "Alpine Ski House"];

export interface SimulatedCustomer {
  /** Its tenant id (stable: the same for the same index). */
  readonly tenantId: string;
  /** The label `restorewatch tenant add --name` records. */
  readonly name: string;
  readonly tenant: SimulatedTenant;
}

/**
 * `count` customer tenants of an MSP, each with its own simulated sessions in the emulator (served to
 * tokens with its `tid`), seeded from `seed` + its index. They share the Contoso directory's people.
 */
export function simulatedCustomers(emulator: GraphEmulator, count: number, options: Omit<SimulatedTenantOptions, "tenantId"> = {}): SimulatedCustomer[] {
  if (!Number.isInteger(count) || count < 0) throw new RangeError("count must be a whole number");
  return Array.from({ length: count }, (_, i) => {
    const base = CUSTOMER_NAMES[i % CUSTOMER_NAMES.length] ?? "Customer";
    const name = i < CUSTOMER_NAMES.length ? base : `${base} ${Math.floor(i / CUSTOMER_NAMES.length) + 1}`;
    const tenantId = stableGuid(`simulated-customer/${i}`);
    return { tenantId, name, tenant: new SimulatedTenant(emulator, { ...options, seed: (options.seed ?? 1) + i, tenantId }) };
  });
}

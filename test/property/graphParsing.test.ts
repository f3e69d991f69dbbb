import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GraphRequestError } from "../../shared/domain/errors";
import { MAX_SESSION_TEXT_CHARS, boundText } from "../../shared/domain/textBounds";
import { RESTORE_SESSION_STATUSES, WORKLOADS, type ArtifactCount, type RestoreSession, type Workload } from "../../shared/domain/restoreSession";
import { parseRestoreSession } from "../../shared/graph/restoreSession";
import { fetchFailureDetail } from "../../shared/graph/failureDetail";
import { MISSING_ARTIFACT_ID } from "../../shared/graph/restoreArtifact";
import { listRestoreSessions, RESTORE_SESSIONS_PATH } from "../../shared/graph/restoreSource";
import { alertToEntity, entityToAlert } from "../../shared/state/entities";
import { MAX_DETAIL_JSON_CHARS } from "../../shared/domain/textBounds";
import { alertFor, anySession, pagedGraph, rawArtifact, rawSession, wellTypedArtifact, wellTypedSession } from "./graphPayloads";

/** Seeded: a failure names its seed and path, and CI runs the same cases every time. */
const runs = (numRuns: number) => ({ numRuns, seed: 20261128 });

const SESSION_ID = /^[A-Za-z0-9._:-]{1,200}$/;
/** An OData DateTimeOffset (ISO 8601 date and time, with Z or an offset): the only times a parser keeps. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,12})?)?(Z|[+-]\d{2}:\d{2})$/i;
/** Table Storage: a string property holds at most 64 KiB (32K UTF-16 code units); an entity at most 1 MiB. */
const MAX_PROPERTY_CHARS = 32 * 1024;
const MAX_ENTITY_BYTES = 1024 * 1024;

const SITE: RestoreSession = { id: "0f3a8c2e-5b1d-4c7a-9e6f-2d8b4a1c7e90", workload: "sharePoint", status: "failed" };
const ARTIFACTS_PATH = `/solutions/backupRestore/sharePointRestoreSessions/${SITE.id}/siteRestoreArtifacts`;

/** Any item of the session listing: the field-by-field payloads, the older ones, and any JSON at all. */
const anyItem = fc.oneof({ weight: 6, arbitrary: anySession }, { weight: 2, arbitrary: rawSession }, { weight: 1, arbitrary: fc.anything({ maxDepth: 3 }) });

describe("parseRestoreSession on arbitrary payloads", () => {
  it("never throws: a session that reads is well-formed, anything else is skipped with its reason", () => {
    fc.assert(
      fc.property(anyItem, (item) => {
        const parsed = parseRestoreSession(item);
        if (!parsed.ok) {
          // Only the id and the status skip a session now (an unknown @odata.type no longer does).
          expect(parsed.reason).toMatch(/^(malformed session|unknown status) /);
          expect(parsed.id === undefined || typeof parsed.id === "string").toBe(true);
          return;
        }
        const { session } = parsed;
        const raw = item as Record<string, unknown>;
        expect(session.id).toBe(raw["id"]);
        expect(session.id).toMatch(SESSION_ID);
        expect(session.status).toBe(raw["status"]);
        expect(RESTORE_SESSION_STATUSES).toContain(session.status);
        expect(Object.keys(WORKLOADS)).toContain(session.workload);
        for (const time of [session.createdDateTime, session.completedDateTime, session.lastModifiedDateTime]) {
          if (time !== undefined) expect(Number.isNaN(Date.parse(time))).toBe(false);
        }
        for (const value of Object.values(session.artifactCount ?? {})) expect(Number.isInteger(value) && value >= 0).toBe(true);
        // Free text is bounded (Graph's is not): an alert record must fit a Table Storage property.
        const bounds: [string | undefined, number][] = [
          [session.createdBy, MAX_SESSION_TEXT_CHARS.name],
          [session.restoreJobType, MAX_SESSION_TEXT_CHARS.code],
          [session.odataType, MAX_SESSION_TEXT_CHARS.code],
          [session.error?.code, MAX_SESSION_TEXT_CHARS.code],
          [session.error?.message, MAX_SESSION_TEXT_CHARS.message],
        ];
        for (const [text, max] of bounds) if (text !== undefined) expect(text.length).toBeLessThanOrEqual(max);
        expect(parsed.unreadable.every((note) => typeof note === "string")).toBe(true);
      }),
      runs(1200),
    );
  });

  it("skips a session iff its id is missing, not a string or malformed, or its status is missing or unknown; the reason says which", () => {
    fc.assert(
      fc.property(anyItem, (item) => {
        const parsed = parseRestoreSession(item);
        const expected = expectedSkip(item);
        if (expected === undefined) {
          expect(parsed.ok, parsed.ok ? "" : parsed.reason).toBe(true);
          return;
        }
        expect(parsed.ok).toBe(false);
        if (parsed.ok) return;
        expect(parsed.id).toBe(expected.id);
        expect(parsed.reason).toMatch(expected.reason);
        expect(parsed.reason.length).toBeLessThanOrEqual(200);
      }),
      runs(1200),
    );
  });

  it("reads every readable field as given (bounded), and leaves out and names every unreadable one", () => {
    fc.assert(
      fc.property(anySession, (item) => {
        const parsed = parseRestoreSession(item);
        if (!parsed.ok) return;
        const expected = expectedSession(item);
        expect(parsed.session).toEqual(expected.session);
        expect([...parsed.unreadable].sort()).toEqual([...expected.unreadable].sort());
      }),
      runs(1200),
    );
  });

  it("reads each counter on its own: present iff a whole number from 0, whatever the others are", () => {
    const counter = fc.oneof(fc.nat(), fc.constantFrom(0, 2 ** 31 - 1, 2 ** 60, 1e300, -1, -0.5, 0.5, 1e-9, "2", "", true, null, [], {}), fc.double({ noNaN: true, noDefaultInfinity: true }));
    const counters = fc.dictionary(fc.constantFrom("total", "completed", "inProgress", "failed", "Failed", "succeeded"), counter, { maxKeys: 6 });
    fc.assert(
      fc.property(counters, (restoreSessionArtifactCount) => {
        const parsed = parseRestoreSession({ "@odata.type": "#microsoft.graph.exchangeRestoreSession", id: "c1", status: "completedWithError", restoreSessionArtifactCount });
        expect(parsed.ok).toBe(true);
        if (!parsed.ok) return;
        const expected: Record<string, unknown> = {};
        for (const key of ["total", "completed", "inProgress", "failed"] as const) {
          const value = restoreSessionArtifactCount[key];
          if (typeof value === "number" && Number.isInteger(value) && value >= 0) expected[key] = value;
        }
        expect(parsed.session.artifactCount).toEqual(expected);
      }),
      runs(600),
    );
  });

  it("keeps every text within its bound, every time an ISO 8601 time, and the session within one Table Storage property", () => {
    fc.assert(
      fc.property(anySession, (item) => {
        const parsed = parseRestoreSession(item);
        if (!parsed.ok) return;
        const { session } = parsed;
        const texts: [string | undefined, number][] = [
          [session.id, 200],
          [session.odataType, 200],
          [session.restoreJobType, 200],
          [session.createdBy, 500],
          [session.error?.code, 200],
          [session.error?.message, 2000],
        ];
        for (const [text, max] of texts) if (text !== undefined) expect(text.length).toBeLessThanOrEqual(max);
        for (const time of [session.createdDateTime, session.completedDateTime, session.lastModifiedDateTime]) if (time !== undefined) expect(time).toMatch(ISO_DATE_TIME);
        // An alert row stores the session as one string property.
        expect(JSON.stringify(session).length).toBeLessThanOrEqual(MAX_PROPERTY_CHARS);
      }),
      runs(1000),
    );
  });

  it("reads every well-typed session of a known type and status, and skips an unknown status by name", () => {
    fc.assert(
      fc.property(wellTypedSession, fc.oneof(fc.constant(undefined), fc.constantFrom("unknownFutureValue", "cancelled")), (item, unknownStatus) => {
        const parsed = parseRestoreSession(unknownStatus ? { ...item, status: unknownStatus } : item);
        if (unknownStatus) expect(parsed).toEqual({ ok: false, id: item["id"], reason: `unknown status '${unknownStatus}'` });
        else expect(parsed.ok).toBe(true);
      }),
      runs(200),
    );
  });

  it("a listing of arbitrary items yields every item as a session or a skip; a page that is not a collection fails the listing clearly", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(anySession, rawSession, fc.anything({ maxDepth: 2 })), { maxLength: 40, size: "max" }), fc.integer({ min: 1, max: 7 }), async (items, pageSize) => {
        let seen = 0;
        for await (const page of listRestoreSessions(pagedGraph(items, pageSize, RESTORE_SESSIONS_PATH))) {
          seen += page.sessions.length + page.skipped.length;
          for (const skip of page.skipped) expect(skip.reason.length).toBeGreaterThan(0);
          // Fields that could not be read are reported by session, never empty.
          for (const entry of page.unreadable) {
            expect(page.sessions.map((s) => s.id)).toContain(entry.id);
            expect(entry.fields.length).toBeGreaterThan(0);
          }
        }
        expect(seen).toBe(items.length);
      }),
      runs(100),
    );
    await fc.assert(
      fc.asyncProperty(fc.anything().filter((body) => !isCollection(body)), async (body) => {
        const graph = { scope: "https://graph.microsoft.com/.default", get: async () => body, post: async () => undefined };
        const listing = async () => {
          for await (const _page of listRestoreSessions(graph)) void _page;
        };
        await expect(listing()).rejects.toSatisfy((error: unknown) => error instanceof GraphRequestError && error.code === "MalformedPage");
      }),
      runs(100),
    );
  });
});

describe("fetchFailureDetail on arbitrary artifact lists", () => {
  it("never throws; keeps every failed artifact (listed or counted), each bounded, the list within the record's limit", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(rawArtifact, { maxLength: 60, size: "max" }), fc.integer({ min: 1, max: 9 }), async (items, pageSize) => {
        const detail = await fetchFailureDetail(pagedGraph(items, pageSize, ARTIFACTS_PATH), SITE);
        expect(detail.available).toBe(true);
        if (!detail.available) return;
        // Every failed artifact, whatever its other fields (one without a usable id is shown as such).
        const failedIds = items.filter((item) => item["status"] === "failed").map((item) => (typeof item["id"] === "string" && item["id"] !== "" ? boundText(item["id"], 200) : MISSING_ARTIFACT_ID));
        expect(detail.failedArtifacts.map((a) => a.id)).toEqual(failedIds.slice(0, detail.failedArtifacts.length));
        expect(detail.failedArtifacts.length + detail.omittedCount).toBe(failedIds.length);
        expect(JSON.stringify(detail.failedArtifacts).length).toBeLessThanOrEqual(MAX_DETAIL_JSON_CHARS);
        for (const artifact of detail.failedArtifacts) expect((artifact.errorMessage ?? "").length).toBeLessThanOrEqual(2001);
      }),
      runs(150),
    );
  });

  it("accounts for every well-typed failed artifact: listed or counted as omitted", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(wellTypedArtifact, { maxLength: 60 }), fc.integer({ min: 1, max: 9 }), async (items, pageSize) => {
        const detail = await fetchFailureDetail(pagedGraph(items, pageSize, ARTIFACTS_PATH), SITE);
        const failed = items.filter((item) => item["status"] === "failed");
        expect(detail.available && detail.failedArtifacts.length + detail.omittedCount).toBe(failed.length);
      }),
      runs(150),
    );
  });

  it("thousands of artifacts with huge messages: the record keeps what fits and counts the rest", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2_000, max: 6_000 }), fc.integer({ min: 100, max: 3_000 }), async (count, messageChars) => {
        const items = Array.from({ length: count }, (_, i) => ({ id: `artifact-${i}`, status: "failed", restoredSiteName: `Site <b>${i}</b> 🚀`, error: { code: "ArtifactCannotBeRestored", message: "é".repeat(messageChars) } }));
        const graph = pagedGraph(items, 999, ARTIFACTS_PATH);
        const detail = await fetchFailureDetail(graph, SITE);
        expect(detail.available && detail.failedArtifacts.length + detail.omittedCount).toBe(count);
        expect(detail.available && JSON.stringify(detail.failedArtifacts).length).toBeLessThanOrEqual(MAX_DETAIL_JSON_CHARS);
        expect(graph.requests).toHaveLength(Math.ceil(count / 999));
      }),
      runs(4),
    );
  });

  it("an artifact list that cannot be read gives an alert whose detail says why, never a failed run", async () => {
    await fc.assert(
      fc.asyncProperty(fc.anything().filter((body) => !isCollection(body)), async (body) => {
        const detail = await fetchFailureDetail({ scope: "https://graph.microsoft.com/.default", get: async () => body, post: async () => undefined }, SITE);
        expect(detail).toMatchObject({ available: false, reason: expect.stringContaining("malformed page") });
      }),
      runs(50),
    );
  });
});

describe("alert records of arbitrary sessions fit Table Storage and read back unchanged", () => {
  async function recordOf(item: Record<string, unknown>, artifacts: readonly Record<string, unknown>[]) {
    const parsed = parseRestoreSession(item);
    if (!parsed.ok) throw new Error(parsed.reason);
    const detail = await fetchFailureDetail(pagedGraph(artifacts, 10, "/x"), parsed.session);
    const alert = alertFor(parsed.session, detail);
    return { alert, entity: alertToEntity(alert, { email: { state: "pending", attempts: 0 } }) };
  }

  it("every string property within 32K characters, the entity within 1 MiB", async () => {
    await fc.assert(
      fc.asyncProperty(wellTypedSession, fc.array(wellTypedArtifact, { maxLength: 30 }), async (item, artifacts) => {
        const { entity } = await recordOf(item, artifacts);
        for (const [key, value] of Object.entries(entity)) {
          if (typeof value === "string") expect(value.length, `property ${key}`).toBeLessThanOrEqual(MAX_PROPERTY_CHARS);
        }
        expect(serviceEntityBytes(entity)).toBeLessThanOrEqual(MAX_ENTITY_BYTES);
      }),
      runs(150),
    );
  });

  it("the round trip is lossless and passes the re-validation every row gets before delivery", async () => {
    await fc.assert(
      fc.asyncProperty(wellTypedSession, fc.array(wellTypedArtifact, { maxLength: 30 }), async (item, artifacts) => {
        const { alert, entity } = await recordOf(item, artifacts);
        // What the table stores is JSON; read back, it is the same alert.
        const stored = JSON.parse(JSON.stringify({ ...entity, etag: "W/x" })) as Record<string, unknown>;
        const read = entityToAlert(stored);
        expect(read.ok ? read.value.alert : read.reason).toEqual(alert);
      }),
      runs(150),
    );
  });
});

describe("boundText", () => {
  it("keeps text within the bound, marks the cut, and never leaves half a surrogate pair", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), fc.integer({ min: 2, max: 200 }), (text, max) => {
        const bounded = boundText(text, max);
        expect(bounded.length).toBeLessThanOrEqual(max);
        if (text.length <= max) expect(bounded).toBe(text);
        else {
          expect(bounded.endsWith("…")).toBe(true);
          expect(text.startsWith(bounded.slice(0, -1))).toBe(true);
          expect(/[\uD800-\uDBFF]…$/.test(bounded)).toBe(false);
        }
      }),
      runs(300),
    );
  });
});

/* ------------------------------------------------------------------------------------------------
 * The rule, written out on its own (not from the parser): what a session item should read as.
 * ---------------------------------------------------------------------------------------------- */

const KNOWN_STATUSES: readonly unknown[] = RESTORE_SESSION_STATUSES;
const WORKLOAD_OF_TYPE: Readonly<Record<string, Workload>> = {
  "#microsoft.graph.exchangerestoresession": "exchange",
  "#microsoft.graph.sharepointrestoresession": "sharePoint",
  "#microsoft.graph.onedriveforbusinessrestoresession": "oneDrive",
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Why an item must be skipped (its id as the skip names it, and a pattern of the reason), or undefined if it must be read. */
function expectedSkip(item: unknown): { id: string | undefined; reason: RegExp } | undefined {
  if (!isRecord(item)) return { id: undefined, reason: /^malformed session \(expected an object/ };
  const id = item["id"];
  if (typeof id !== "string" || id === "") return { id: undefined, reason: /^malformed session \(no id\)$/ };
  if (!SESSION_ID.test(id)) return { id, reason: /^malformed session \(id is not a restore session id\)$/ };
  const status = item["status"];
  if (typeof status !== "string") return { id, reason: /^unknown status '\(missing\)'$/ };
  if (!KNOWN_STATUSES.includes(status)) {
    // The status itself, bounded (a 100-character prefix at most).
    return { id, reason: new RegExp(`^unknown status '${escapeRegExp(status.length <= 100 ? status : status.slice(0, 98))}`) };
  }
  return undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** What a field that is there but cannot be read is noted as: its JSON type, or what is wrong with it. */
function kindOf(value: unknown): string {
  return Array.isArray(value) ? "array" : typeof value;
}

/** Notes and reads a session the way the rule says, field by field. */
class Expectation {
  readonly unreadable: string[] = [];

  /** The field's value when its parent is an object; undefined (and nothing noted) when missing or null. */
  private present(parent: unknown, key: string): unknown {
    if (!isRecord(parent)) return undefined;
    const value = parent[key];
    return value === null ? undefined : value;
  }

  object(parent: unknown, key: string, path: string): Record<string, unknown> | undefined {
    const value = this.present(parent, key);
    if (value === undefined || isRecord(value)) return value;
    this.unreadable.push(`${path} (${kindOf(value)})`);
    return undefined;
  }

  /** A string, empty or not (empty ones are then left out, not noted). */
  text(parent: unknown, key: string, path: string): string | undefined {
    const value = this.present(parent, key);
    if (value === undefined || typeof value === "string") return value;
    this.unreadable.push(`${path} (${kindOf(value)})`);
    return undefined;
  }

  time(parent: unknown, key: string, path: string): string | undefined {
    const value = this.text(parent, key, path);
    if (value === undefined || (ISO_DATE_TIME.test(value) && !Number.isNaN(Date.parse(value)))) return value;
    this.unreadable.push(`${path} (not an ISO time)`);
    return undefined;
  }

  count(parent: unknown, key: string, path: string): number | undefined {
    const value = this.present(parent, key);
    if (value === undefined) return undefined;
    if (typeof value === "number" && Number.isInteger(value) && value >= 0) return value;
    this.unreadable.push(`${path} (${typeof value === "number" ? "not a count" : kindOf(value)})`);
    return undefined;
  }
}

/** The session a readable item should give (the item's id and status are known good here). */
function expectedSession(item: Record<string, unknown>): { session: RestoreSession; unreadable: readonly string[] } {
  const read = new Expectation();
  const odataType = read.text(item, "@odata.type", "@odata.type");
  const workload = (odataType === undefined ? undefined : WORKLOAD_OF_TYPE[odataType.toLowerCase()]) ?? "unknown";
  const restoreJobType = read.text(item, "restoreJobType", "restoreJobType");

  // The creator: the user's name, else the application's, else the user's id (an empty one is no name).
  // A fallback is read only when needed, so only then can it be unreadable.
  const createdBy = read.object(item, "createdBy", "createdBy");
  const user = read.object(createdBy, "user", "createdBy.user");
  const application = read.object(createdBy, "application", "createdBy.application");
  let creator = read.text(user, "displayName", "createdBy.user.displayName");
  if (!creator) creator = read.text(application, "displayName", "createdBy.application.displayName");
  if (!creator) creator = read.text(user, "id", "createdBy.user.id");

  const times = (["createdDateTime", "completedDateTime", "lastModifiedDateTime"] as const).map((key) => [key, read.time(item, key, key)] as const);

  const counts = read.object(item, "restoreSessionArtifactCount", "restoreSessionArtifactCount");
  let artifactCount: ArtifactCount | undefined;
  if (counts) {
    const kept: Record<string, number> = {};
    for (const key of ["total", "completed", "inProgress", "failed"] as const) {
      const value = read.count(counts, key, `restoreSessionArtifactCount.${key}`);
      if (value !== undefined) kept[key] = value;
    }
    artifactCount = kept;
  }

  const error = read.object(item, "error", "error");
  const code = read.text(error, "code", "error.code");
  const message = read.text(error, "message", "error.message");

  const session: Record<string, unknown> = { id: item["id"], workload, status: item["status"] };
  if (workload === "unknown") session["odataType"] = boundText(odataType ?? "(missing @odata.type)", 200);
  if (restoreJobType) session["restoreJobType"] = boundText(restoreJobType, 200);
  if (creator) session["createdBy"] = boundText(creator, 500);
  for (const [key, value] of times) if (value) session[key] = value;
  if (artifactCount) session["artifactCount"] = artifactCount;
  if (code || message) session["error"] = { ...(code && { code: boundText(code, 200) }), ...(message && { message: boundText(message, 2000) }) };
  return { session: session as unknown as RestoreSession, unreadable: read.unreadable };
}

/**
 * An entity's size as Table Storage counts it: 4 bytes + 2 per character of the keys, and per
 * property 8 bytes + 2 per character of its name + the value (string 4 + 2 per UTF-16 unit, bool 1, number 8).
 */
function serviceEntityBytes(entity: Record<string, unknown>): number {
  let bytes = 4 + 2 * (String(entity["partitionKey"]).length + String(entity["rowKey"]).length);
  for (const [name, value] of Object.entries(entity)) {
    if (name === "partitionKey" || name === "rowKey") continue;
    bytes += 8 + 2 * name.length + (typeof value === "string" ? 4 + 2 * value.length : typeof value === "boolean" ? 1 : 8);
  }
  return bytes;
}

function isCollection(body: unknown): boolean {
  if (typeof body !== "object" || body === null || !Array.isArray((body as { value?: unknown }).value)) return false;
  const next = (body as Record<string, unknown>)["@odata.nextLink"];
  return next === undefined || next === null || (typeof next === "string" && next.length > 0);
}

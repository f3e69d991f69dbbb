import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GraphRequestError } from "../../shared/domain/errors";
import { MAX_SESSION_TEXT_CHARS, boundText } from "../../shared/domain/textBounds";
import { RESTORE_SESSION_STATUSES, WORKLOADS, type RestoreSession } from "../../shared/domain/restoreSession";
import { parseRestoreSession } from "../../shared/graph/restoreSession";
import { fetchFailureDetail } from "../../shared/graph/failureDetail";
import { listRestoreSessions, RESTORE_SESSIONS_PATH } from "../../shared/graph/restoreSource";
import { alertToEntity, entityToAlert } from "../../shared/state/entities";
import { MAX_DETAIL_JSON_CHARS } from "../../shared/domain/textBounds";
import { alertFor, pagedGraph, rawArtifact, rawSession, wellTypedArtifact, wellTypedSession } from "./graphPayloads";

/** Seeded: a failure names its seed and path, and CI runs the same cases every time. */
const runs = (numRuns: number) => ({ numRuns, seed: 20261128 });

const SESSION_ID = /^[A-Za-z0-9._:-]{1,200}$/;
/** Table Storage: a string property holds at most 64 KiB (32K UTF-16 code units); an entity at most 1 MiB. */
const MAX_PROPERTY_CHARS = 32 * 1024;
const MAX_ENTITY_BYTES = 1024 * 1024;

const SITE: RestoreSession = { id: "0f3a8c2e-5b1d-4c7a-9e6f-2d8b4a1c7e90", workload: "sharePoint", status: "failed" };
const ARTIFACTS_PATH = `/solutions/backupRestore/sharePointRestoreSessions/${SITE.id}/siteRestoreArtifacts`;

describe("parseRestoreSession on arbitrary payloads", () => {
  it("never throws: a session that reads is well-formed, anything else is skipped with its reason", () => {
    fc.assert(
      fc.property(fc.oneof(rawSession, fc.anything()), (item) => {
        const parsed = parseRestoreSession(item);
        if (!parsed.ok) {
          expect(parsed.reason).toMatch(/^(malformed session|unknown @odata\.type|unknown status) /);
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
        for (const value of Object.values(session.artifactCount ?? {})) expect(Number.isSafeInteger(value) && value >= 0).toBe(true);
        // Free text is bounded (Graph's is not): an alert record must fit a Table Storage property.
        const bounds: [string | undefined, number][] = [
          [session.createdBy, MAX_SESSION_TEXT_CHARS.name],
          [session.restoreJobType, MAX_SESSION_TEXT_CHARS.code],
          [session.error?.code, MAX_SESSION_TEXT_CHARS.code],
          [session.error?.message, MAX_SESSION_TEXT_CHARS.message],
        ];
        for (const [text, max] of bounds) if (text !== undefined) expect(text.length).toBeLessThanOrEqual(max);
      }),
      runs(300),
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
      fc.asyncProperty(fc.array(fc.oneof(rawSession, fc.anything({ maxDepth: 2 })), { maxLength: 40 }), fc.integer({ min: 1, max: 7 }), async (items, pageSize) => {
        let seen = 0;
        for await (const page of listRestoreSessions(pagedGraph(items, pageSize, RESTORE_SESSIONS_PATH))) {
          seen += page.sessions.length + page.skipped.length;
          for (const skip of page.skipped) expect(skip.reason.length).toBeGreaterThan(0);
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
  it("never throws; keeps exactly the failed artifacts, each bounded, the list within the record's limit", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(rawArtifact, { maxLength: 60 }), fc.integer({ min: 1, max: 9 }), async (items, pageSize) => {
        const detail = await fetchFailureDetail(pagedGraph(items, pageSize, ARTIFACTS_PATH), SITE);
        expect(detail.available).toBe(true);
        if (!detail.available) return;
        const failedIds = items.filter((item) => item["status"] === "failed" && typeof item["id"] === "string").map((item) => item["id"]);
        // In input order, and only failed ones (an artifact with fields of the wrong type is dropped, never fatal).
        expect(isSubsequence(detail.failedArtifacts.map((a) => a.id), failedIds)).toBe(true);
        expect(detail.failedArtifacts.length + detail.omittedCount).toBeLessThanOrEqual(failedIds.length);
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
  it("every string property within 32K characters, the entity within 1 MiB, the round trip lossless", async () => {
    await fc.assert(
      fc.asyncProperty(wellTypedSession, fc.array(wellTypedArtifact, { maxLength: 30 }), async (item, artifacts) => {
        const parsed = parseRestoreSession(item);
        if (!parsed.ok) throw new Error(parsed.reason);
        const detail = await fetchFailureDetail(pagedGraph(artifacts, 10, "/x"), parsed.session);
        const alert = alertFor(parsed.session, detail);
        const entity = alertToEntity(alert, { email: { state: "pending", attempts: 0 } });
        for (const [key, value] of Object.entries(entity)) {
          if (typeof value === "string") expect(value.length, `property ${key}`).toBeLessThanOrEqual(MAX_PROPERTY_CHARS);
        }
        expect(serviceEntityBytes(entity)).toBeLessThanOrEqual(MAX_ENTITY_BYTES);
        // What the table stores is JSON; read back, it is the same alert.
        const stored = JSON.parse(JSON.stringify({ ...entity, etag: "W/x" })) as Record<string, unknown>;
        // ...and it passes the re-validation every row gets before delivery.
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

function isSubsequence(items: readonly unknown[], of: readonly unknown[]): boolean {
  let index = 0;
  for (const item of of) if (index < items.length && items[index] === item) index++;
  return index === items.length;
}

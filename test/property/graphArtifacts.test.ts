import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BulkRequestIssue, FailedArtifact } from "../../shared/domain/alert";
import { KNOWN_WORKLOADS, WORKLOADS, type KnownWorkload, type RestoreSession } from "../../shared/domain/restoreSession";
import { MAX_BULK_ISSUES, MAX_DETAIL_JSON_CHARS, boundText } from "../../shared/domain/textBounds";
import { listBulkIssues } from "../../shared/graph/bulkRequests";
import { GET_BY_IDS_BATCH, lookUpDirectoryNames, withDirectoryName, type DirectoryName } from "../../shared/graph/directoryNames";
import { ArtifactExpansion, fetchFailureDetail, listFailedArtifacts, packFailureDetail, type ExpandForm, type ListedFailures } from "../../shared/graph/failureDetail";
import { MISSING_ARTIFACT_ID, parseRestoreArtifact, type ArtifactListKind, type ListedArtifact } from "../../shared/graph/restoreArtifact";
import { ARTIFACT_TYPES, anyArtifact, anyBulkRequest, anySession, directoryObjectFor, fakeGraph, hostileText, rawArtifact, wellTypedArtifact } from "./graphPayloads";

/** Seeded: a failure names its seed and path, and CI runs the same cases every time. */
const runs = (numRuns: number) => ({ numRuns, seed: 20261128 });

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,12})?)?(Z|[+-]\d{2}:\d{2})$/i;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The bounds of a failed artifact's text, written out (MAX_ARTIFACT_TEXT_CHARS; a message is first cut to the session's 2,000). */
const BOUND = { id: 200, name: 500, address: 320, code: 200, message: 2000, url: 2048, path: 2000, type: 200 } as const;
const KIND: Readonly<Record<KnownWorkload, FailedArtifact["kind"]>> = { exchange: "mailbox", oneDrive: "drive", sharePoint: "site" };
const NAMING_FIELDS = ["name", "address", "objectId", "siteId", "webUrl", "restorePointDateTime"] as const;

const listKind: fc.Arbitrary<ArtifactListKind> = fc.record({ workload: fc.constantFrom(...KNOWN_WORKLOADS), granular: fc.boolean() });
const anyArtifactItem = fc.oneof({ weight: 8, arbitrary: anyArtifact }, { weight: 1, arbitrary: rawArtifact }, { weight: 1, arbitrary: wellTypedArtifact }, { weight: 1, arbitrary: fc.anything({ maxDepth: 2 }) });
const jobType = fc.constantFrom("standard", "bulk", "granular", "unknownFutureValue");

describe("parseRestoreArtifact on arbitrary items", () => {
  it("never throws nor skips; the kind is the list's unless the @odata.type is unknown; every text bounded, every URL https within 2,048", () => {
    fc.assert(
      fc.property(anyArtifactItem, listKind, (item, list) => {
        const { status, artifact } = parseRestoreArtifact(item, list);
        expect(artifact.id.length).toBeGreaterThan(0);
        if (!isRecord(item)) {
          expect({ status, artifact }).toEqual({ status: undefined, artifact: { id: MISSING_ARTIFACT_ID, kind: "unknown", unknownType: "(not an object)" } });
          return;
        }
        expect(status).toBe(typeof item["status"] === "string" ? item["status"] : undefined);
        const type = item["@odata.type"];
        const known = typeof type !== "string" || type === "" || (ARTIFACT_TYPES[list.workload] as readonly string[]).some((t) => t.toLowerCase() === type.toLowerCase());
        expect(artifact.kind).toBe(known ? KIND[list.workload] : "unknown");
        expect(artifact.unknownType).toBe(!known && typeof type === "string" && type !== "" ? boundText(type, BOUND.type) : undefined);
        const texts: [string | undefined, number][] = [
          [artifact.id, BOUND.id],
          [artifact.name, BOUND.name],
          [artifact.address, BOUND.address],
          [artifact.objectId, BOUND.id],
          [artifact.siteId, BOUND.id],
          [artifact.itemPath, BOUND.path],
          [artifact.restoredTo, BOUND.name],
          [artifact.unknownType, BOUND.type],
          [artifact.errorCode, BOUND.code],
          [artifact.errorMessage, BOUND.message + 1],
          [artifact.destinationType, BOUND.code],
        ];
        for (const [text, max] of texts) if (text !== undefined) expect(text.length).toBeLessThanOrEqual(max);
        for (const url of [artifact.webUrl, artifact.restoredToUrl]) {
          if (url === undefined) continue;
          expect(url).toMatch(/^https:\/\/\S+$/i);
          expect(url.length).toBeLessThanOrEqual(BOUND.url);
        }
        if (artifact.restorePointDateTime !== undefined) expect(artifact.restorePointDateTime).toMatch(ISO_DATE_TIME);
        // Never an empty text: what is empty is left out.
        for (const value of Object.values(artifact)) if (typeof value === "string") expect(value).not.toBe("");
      }),
      runs(1500),
    );
  });

  it("reads every readable field as given (bounded) and leaves out every other one", () => {
    fc.assert(
      fc.property(anyArtifact, listKind, (item, list) => {
        expect(parseRestoreArtifact(item, list)).toEqual(expectedArtifact(item, list));
      }),
      runs(1500),
    );
  });
});

describe("the failed artifacts of a session", () => {
  const session = fc.record({ id: fc.uuid(), workload: fc.constantFrom(...KNOWN_WORKLOADS), status: fc.constantFrom("failed", "completedWithError") as fc.Arbitrary<RestoreSession["status"]>, restoreJobType: jobType });

  it("keeps every failed artifact whatever its other fields: listed in order as read, or counted; a bulk restore's request issues come along", async () => {
    await fc.assert(
      fc.asyncProperty(
        session,
        fc.array(anyArtifactItem, { maxLength: 30, size: "max" }),
        fc.array(anyBulkRequest, { maxLength: 6 }),
        fc.integer({ min: 1, max: 7 }),
        fc.boolean(),
        async (s, items, requests, pageSize, absoluteLinks) => {
          const paths = pathsOf(s);
          const graph = fakeGraph({ collections: { [paths.artifacts]: items, [paths.bulk]: requests }, pageSize, absoluteLinks });
          const listed = await listFailedArtifacts(graph, s);
          const failed = items.filter((item): item is Record<string, unknown> => isRecord(item) && item["status"] === "failed");
          expect(listed).toEqual({ available: true, failedCount: failed.length, artifacts: failed.map((item) => expectedArtifact(item, paths.list).artifact) });

          const detail = await fetchFailureDetail(fakeGraph({ collections: { [paths.artifacts]: items, [paths.bulk]: requests }, pageSize, absoluteLinks }), s);
          expect(detail.available).toBe(true);
          if (!detail.available) return;
          expect(detail.failedArtifacts.length + detail.omittedCount).toBe(failed.length);
          const issues = requests.filter(hasErrors).slice(0, MAX_BULK_ISSUES).map(expectedIssue);
          expect(detail.bulkIssues).toEqual(s.restoreJobType === "bulk" && issues.length > 0 ? issues : undefined);
        },
      ),
      runs(200),
    );
  });

  it("$expand fallback: whatever forms the service refuses, the listing ends with the same failed artifacts (names aside), and the expansion only steps down", async () => {
    const refusals = fc.subarray<ExpandForm>(["nested", "restorePoint"]);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(session, fc.array(anyArtifactItem, { maxLength: 12, size: "max" })), { minLength: 1, maxLength: 4 }),
        refusals,
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 1, max: 5 }),
        fc.boolean(),
        async (sessions, refuse, refusedFromPage, pageSize, absoluteLinks) => {
          const collections = Object.fromEntries(sessions.map(([s, items]) => [pathsOf(s).artifacts, items]));
          const accepting = fakeGraph({ collections, pageSize, absoluteLinks });
          const refusing = fakeGraph({ collections, pageSize, absoluteLinks, refuse, refusedFromPage });
          const expansion = new ArtifactExpansion();
          // The forms in use, seen at every request of the sessions fetched concurrently.
          const seen: ExpandForm[] = [];
          const watched = {
            ...refusing,
            get: (link: string) => {
              seen.push(expansion.form);
              return refusing.get(link);
            },
          };
          const [reference, fallback] = await Promise.all([
            Promise.all(sessions.map(([s]) => listFailedArtifacts(accepting, s))),
            Promise.all(sessions.map(([s]) => listFailedArtifacts(watched, s, { expansion }))),
          ]);
          expect(fallback.map(namesAside)).toEqual(reference.map(namesAside));
          for (const listed of fallback) expect(listed.available).toBe(true);

          const order: ExpandForm[] = ["nested", "restorePoint", "none"];
          const ranks = seen.map((form) => order.indexOf(form));
          expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
          // It stepped down one form at a time, only from forms the service refused.
          expect(expansion.refused).toEqual(order.slice(0, order.indexOf(expansion.form)));
          expect(expansion.refused.every((form) => refuse.includes(form))).toBe(true);
          // Granular drive and site items have no restore point: never asked with $expand.
          for (const link of refusing.gets) if (/granular(Drive|Site)/.test(link)) expect(link).not.toContain("$expand");
        },
      ),
      runs(150),
    );
  });

  it("ArtifactExpansion only steps down, noting each form passed over once, whoever settles", () => {
    const forms: ExpandForm[] = ["nested", "restorePoint", "none"];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...forms), { maxLength: 12 }), (settled) => {
        const expansion = new ArtifactExpansion();
        expect(expansion.form).toBe("nested");
        for (const form of settled) {
          const before = forms.indexOf(expansion.form);
          expect(expansion.candidates()).toEqual(forms.slice(before));
          expansion.settle(form);
          expect(forms.indexOf(expansion.form)).toBe(Math.max(before, forms.indexOf(form)));
        }
        expect(expansion.refused).toEqual(forms.slice(0, forms.indexOf(expansion.form)));
      }),
      runs(500),
    );
  });
});

describe("listBulkIssues on arbitrary bulk addition requests", () => {
  const bulkSession = fc.record({ id: fc.uuid(), workload: fc.constantFrom(...KNOWN_WORKLOADS), status: fc.constant("completed" as const), restoreJobType: fc.constant("bulk") });

  async function check(s: RestoreSession, requests: readonly unknown[], pageSize: number): Promise<void> {
    const graph = fakeGraph({ collections: { [pathsOf(s).bulk]: requests }, pageSize });
    const bulk = await listBulkIssues(graph, s);
    const withErrors = requests.filter(hasErrors);
    expect(bulk.requestsWithErrors).toBe(withErrors.length);
    expect(bulk.issues.length).toBeLessThanOrEqual(MAX_BULK_ISSUES);
    expect(bulk.issues).toEqual(withErrors.slice(0, MAX_BULK_ISSUES).map(expectedIssue));
    // These lists take no query options.
    for (const link of graph.gets) expect(link).not.toContain("$expand");
  }

  it("counts the requests completedWithErrors or with an error (a string code or message), and reads each one's issue", async () => {
    await fc.assert(
      fc.asyncProperty(bulkSession, fc.array(fc.oneof({ weight: 9, arbitrary: anyBulkRequest }, { weight: 1, arbitrary: fc.anything({ maxDepth: 2 }) }), { maxLength: 6 }), fc.integer({ min: 1, max: 4 }), check),
      runs(1000),
    );
  });

  it("keeps at most MAX_BULK_ISSUES of many requests, and still counts them all", async () => {
    const failing = anyBulkRequest.map((request) => ({ ...request, status: "completedWithErrors" }));
    await fc.assert(fc.asyncProperty(bulkSession, fc.array(fc.oneof(failing, anyBulkRequest), { minLength: 15, maxLength: 60, size: "max" }), fc.integer({ min: 1, max: 9 }), check), runs(100));
  });
});

describe("directory names", () => {
  /** GUIDs named after their index: thousands without generating each. */
  const filler = (n: number, offset: number) => Array.from({ length: n }, (_, i) => `${(offset + i).toString(16).padStart(8, "0")}-0000-4000-8000-000000000000`);
  const named = fc.uniqueArray(fc.uuid(), { maxLength: 12, selector: (id) => id.toLowerCase() });
  /** The ids asked: named ones (as given, upper- or lower-cased, repeated), thousands of others, and ids that are no GUIDs. */
  const fillerCount = fc.oneof(fc.integer({ min: 0, max: 3_100 }), fc.constantFrom(999, 1_000, 1_001, 1_999, 2_000, 2_001, 2_999, 3_000));
  const asked = fc.tuple(named, fillerCount, fc.integer({ min: 0, max: 3 }), fc.array(fc.oneof(hostileText, fc.constantFrom("", "not-a-guid", "845457dc4bb24815bef38628ebd1952e", "{845457dc-4bb2-4815-bef3-8628ebd1952e}")), { maxLength: 4 }));

  it("asks once per 1,000 distinct GUIDs, and names exactly the objects with a name or an address", async () => {
    const scenario = asked.chain(([ids, fillerCount, repeats, junk]) =>
      fc.tuple(fc.constant(ids), fc.constant(fillerCount), fc.constant(repeats), fc.constant(junk), fc.tuple(...ids.map((id) => fc.option(directoryObjectFor(id), { nil: undefined }))), fc.shuffledSubarray(ids)),
    );
    await fc.assert(
      fc.asyncProperty(scenario, async ([ids, fillerCount, repeats, junk, objects, upperCased]) => {
        const all = [...ids, ...filler(fillerCount, 0x10000), ...upperCased.map((id) => id.toUpperCase()), ...Array.from({ length: repeats }, () => ids).flat(), ...junk];
        const directory = new Map<string, unknown>();
        ids.forEach((id, i) => objects[i] !== undefined && directory.set(id.toLowerCase(), objects[i]));
        const graph = fakeGraph({ collections: {}, pageSize: 1, directory });
        const lookup = await lookUpDirectoryNames(graph, all);

        const distinct = new Set(all.filter((id) => GUID.test(id)).map((id) => id.toLowerCase()));
        expect(lookup.requests).toBe(Math.ceil(distinct.size / GET_BY_IDS_BATCH));
        expect(graph.posts).toHaveLength(lookup.requests);
        const sent = graph.posts.flatMap(({ body }) => (body as { ids: string[] }).ids);
        // Full batches of 1,000 but for the last.
        const sizes = graph.posts.map(({ body }) => (body as { ids: string[] }).ids.length);
        expect(sizes).toEqual(sizes.map((_, i) => (i < sizes.length - 1 ? GET_BY_IDS_BATCH : distinct.size - GET_BY_IDS_BATCH * i)));
        expect(sent.length).toBe(distinct.size);
        expect(new Set(sent)).toEqual(distinct);

        expect(lookup.ok).toBe(true);
        if (!lookup.ok) return;
        const expected = new Map<string, DirectoryName>();
        for (const id of sent) {
          const object = directory.get(id);
          if (!isRecord(object)) continue;
          const key = text(object["id"]);
          const name = text(object["displayName"]);
          const address = text(object["userPrincipalName"]) || text(object["mail"]);
          if (key && (name || address)) expected.set(key.toLowerCase(), { ...(name && { name: boundText(name, BOUND.name) }), ...(address && { address: boundText(address, BOUND.address) }) });
        }
        expect(Object.fromEntries(lookup.names)).toEqual(Object.fromEntries(expected));
      }),
      runs(150),
    );
  });

  it("a 403 is `forbidden` after one request (names are optional); no GUIDs, no request", async () => {
    await fc.assert(
      fc.asyncProperty(asked, async ([ids, fillerCount, , junk]) => {
        const graph = fakeGraph({ collections: {}, pageSize: 1, directory: "forbidden" });
        const lookup = await lookUpDirectoryNames(graph, [...ids, ...filler(fillerCount, 0), ...junk]);
        if (ids.length + fillerCount === 0) expect(lookup).toEqual({ ok: true, names: new Map(), requests: 0 });
        else expect(lookup).toMatchObject({ ok: false, reason: "forbidden", requests: 1 });
      }),
      runs(50),
    );
  });

  it("withDirectoryName fills in only what Graph did not give, from the owner's entry, and changes nothing else", () => {
    const owner = fc.constantFrom("845457dc-4bb2-4815-bef3-8628ebd1952e", "845457DC-4BB2-4815-BEF3-8628EBD1952E", "0b944de3-1111-4222-8333-444455556666");
    const artifact = fc.record(
      { id: fc.uuid(), kind: fc.constantFrom("mailbox", "drive", "site", "unknown" as const), name: fc.string({ minLength: 1, maxLength: 8 }), address: fc.string({ minLength: 1, maxLength: 8 }), objectId: fc.oneof(owner, fc.string({ maxLength: 5 })), errorCode: fc.constant("UserNotFound") },
      { requiredKeys: ["id"] },
    );
    const entry = fc.record({ name: fc.string({ maxLength: 8 }), address: fc.string({ maxLength: 8 }) }, { requiredKeys: [] });
    const names = fc.array(fc.tuple(fc.constantFrom("845457dc-4bb2-4815-bef3-8628ebd1952e", "0b944de3-1111-4222-8333-444455556666", "ffffffff-0000-4000-8000-000000000000"), entry), { maxLength: 3 }).map((entries) => new Map<string, DirectoryName>(entries));
    fc.assert(
      fc.property(artifact, names, (given, directory) => {
        const named = withDirectoryName(given, directory);
        const found = given.objectId === undefined ? undefined : directory.get(given.objectId.toLowerCase());
        // A name or address Graph gave is never overwritten; a missing one comes from the entry if it has one.
        expect(named.name).toBe(given.name ?? (found?.name || undefined));
        expect(named.address).toBe(given.address ?? (found?.address || undefined));
        const { name: _n, address: _a, ...rest } = named;
        const { name: _gn, address: _ga, ...givenRest } = given;
        expect(rest).toEqual(givenRest);
        if (given.objectId === undefined || found === undefined) expect(named).toBe(given);
      }),
      runs(1000),
    );
  });
});

describe("packFailureDetail", () => {
  /** Failed artifacts of any size a parser can give, the larger ones JSON-escaped (control characters take six). */
  const artifact = fc.record({ id: fc.uuid(), chars: fc.integer({ min: 0, max: 2_000 }), char: fc.constantFrom("x", "é", "\u0000", '"', "🚀"), withUrl: fc.boolean() }).map(
    ({ id, chars, char, withUrl }): FailedArtifact => ({
      id,
      kind: "site",
      name: boundText(char.repeat(chars), BOUND.name),
      errorMessage: boundText(char.repeat(chars), BOUND.message),
      itemPath: boundText(char.repeat(chars), BOUND.path),
      ...(withUrl && { webUrl: `https://contoso.sharepoint.com/${"a".repeat(2_016)}` }),
    }),
  );
  const issue = fc.record({ id: fc.uuid(), errorCode: fc.constant("UserNotFound"), requestedCount: fc.nat() }, { requiredKeys: ["id"] });

  it("keeps the JSON within MAX_DETAIL_JSON_CHARS, the artifacts in order while they fit, and listed + omitted = failed", () => {
    const listed: fc.Arbitrary<ListedFailures> = fc.oneof(
      { weight: 9, arbitrary: fc.tuple(fc.array(artifact, { maxLength: 120, size: "max" }), fc.nat({ max: 10_000 })).map(([artifacts, more]) => ({ available: true as const, artifacts, failedCount: artifacts.length + more })) },
      { weight: 1, arbitrary: fc.string().map((reason) => ({ available: false as const, reason })) },
    );
    fc.assert(
      fc.property(listed, fc.array(issue, { maxLength: 3 }), (failures, bulkIssues) => {
        const detail = packFailureDetail(failures, { bulkIssues });
        if (!failures.available) {
          expect(detail).toEqual(failures);
          return;
        }
        expect(detail.available).toBe(true);
        if (!detail.available) return;
        expect(JSON.stringify(detail.failedArtifacts).length).toBeLessThanOrEqual(MAX_DETAIL_JSON_CHARS);
        expect(detail.failedArtifacts).toEqual(failures.artifacts.slice(0, detail.failedArtifacts.length));
        expect(detail.failedArtifacts.length + detail.omittedCount).toBe(failures.failedCount);
        // Left out only what did not fit.
        const next = failures.artifacts[detail.failedArtifacts.length];
        if (next !== undefined) expect(JSON.stringify([...detail.failedArtifacts, next]).length).toBeGreaterThanOrEqual(MAX_DETAIL_JSON_CHARS);
        expect(detail.bulkIssues).toEqual(bulkIssues.length > 0 ? bulkIssues : undefined);
      }),
      runs(150),
    );
  });
});

/* ------------------------------------------------------------------------------------------------
 * The rules, written out on their own (not from the parsers): what an item should read as.
 * ---------------------------------------------------------------------------------------------- */

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A string that is there and not empty; anything else is nothing. */
function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function time(value: unknown): string | undefined {
  return typeof value === "string" && ISO_DATE_TIME.test(value) && !Number.isNaN(Date.parse(value)) ? value : undefined;
}

function hasLoneSurrogate(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    const next = value.charCodeAt(i + 1);
    if (unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) i++;
    else if (unit >= 0xd800 && unit <= 0xdfff) return true;
  }
  return false;
}

/**
 * A link an alert may show: https with a host, at most 2,048 characters, a URL that parses, and no
 * character that could break out of a link or a line (white space, controls, markup, lone surrogates).
 */
function link(value: unknown): string | undefined {
  if (typeof value !== "string" || !/^https:\/\/[^/?#]/i.test(value) || value.length > BOUND.url) return undefined;
  if ([..."<>\"\\^`{|}"].some((c) => value.includes(c)) || /[\s\p{Cc}]/u.test(value) || hasLoneSurrogate(value)) return undefined;
  return URL.canParse(value) ? value : undefined;
}

function errorParts(value: unknown): { errorCode?: string; errorMessage?: string } {
  const error = isRecord(value) ? value : {};
  const code = text(error["code"]);
  const message = text(error["message"]);
  return { ...(code && { errorCode: boundText(code, BOUND.code) }), ...(message && { errorMessage: boundText(message, BOUND.message) }) };
}

/** What an artifact item should read as, from the list it came from. */
function expectedArtifact(item: Record<string, unknown>, list: ArtifactListKind): ListedArtifact {
  const type = item["@odata.type"];
  const known = typeof type !== "string" || type === "" || (ARTIFACT_TYPES[list.workload] as readonly string[]).some((t) => t.toLowerCase() === type.toLowerCase());
  const id = text(item["id"]);
  const destinationType = text(item["destinationType"]);
  const own = list.granular && list.workload !== "exchange" ? granularParts(item) : standardParts(item, list.workload);
  const artifact: FailedArtifact = {
    id: id ? boundText(id, BOUND.id) : MISSING_ARTIFACT_ID,
    kind: known ? KIND[list.workload] : "unknown",
    ...(!known && typeof type === "string" && type !== "" && { unknownType: boundText(type, BOUND.type) }),
    ...own,
    ...errorParts(item["error"]),
    ...(destinationType && { destinationType: boundText(destinationType, BOUND.code) }),
  };
  return { status: typeof item["status"] === "string" ? item["status"] : undefined, artifact };
}

/** A granular drive or site item: its own fields, no restore point. */
function granularParts(item: Record<string, unknown>): Partial<FailedArtifact> {
  const objectId = text(item["directoryObjectId"]);
  const siteId = text(item["siteId"]);
  const itemPath = text(item["restoredItemPath"]);
  const webUrl = link(item["webUrl"]);
  const restoredToUrl = link(item["restoredItemWebUrl"]);
  const restorePointDateTime = time(item["restorePointDateTime"]);
  return {
    ...(objectId && { objectId: boundText(objectId, BOUND.id) }),
    ...(siteId && { siteId: boundText(siteId, BOUND.id) }),
    ...(itemPath && { itemPath: boundText(itemPath, BOUND.path) }),
    ...(webUrl && { webUrl }),
    ...(restoredToUrl && { restoredToUrl }),
    ...(restorePointDateTime && { restorePointDateTime }),
  };
}

/**
 * A mailbox, site or drive item: named by its protection unit (the owner's object id, name and
 * address; the site's id, name and URL), else, restored in place, a site or drive by the restored
 * site (the same one); restored elsewhere, where it went.
 */
function standardParts(item: Record<string, unknown>, workload: KnownWorkload): Partial<FailedArtifact> {
  const point = isRecord(item["restorePoint"]) ? item["restorePoint"] : {};
  const unit = isRecord(point["protectionUnit"]) ? point["protectionUnit"] : {};
  const objectId = text(unit["directoryObjectId"]);
  const siteId = text(unit["siteId"]);
  const unitName = text(unit["displayName"]) ?? text(unit["siteName"]);
  const address = text(unit["email"]);
  const unitUrl = link(unit["siteWebUrl"]);
  const inPlace = item["destinationType"] === "inPlace";
  const restoredName = text(item[workload === "exchange" ? "restoredFolderName" : "restoredSiteName"]);
  const restoredUrl = link(item["restoredSiteWebUrl"]);
  const sameSite = inPlace && workload !== "exchange";
  const name = unitName ?? (sameSite ? restoredName : undefined);
  const webUrl = unitUrl ?? (sameSite ? restoredUrl : undefined);
  const restorePointDateTime = time(point["protectionDateTime"]);
  return {
    ...(objectId && { objectId: boundText(objectId, BOUND.id) }),
    ...(siteId && { siteId: boundText(siteId, BOUND.id) }),
    ...(name && { name: boundText(name, BOUND.name) }),
    ...(address && { address: boundText(address, BOUND.address) }),
    ...(webUrl && { webUrl }),
    ...(!inPlace && restoredName && { restoredTo: boundText(restoredName, BOUND.name) }),
    ...(!inPlace && restoredUrl && { restoredToUrl: restoredUrl }),
    ...(restorePointDateTime && { restorePointDateTime }),
  };
}

/** A bulk request has errors when it ended completedWithErrors or carries an error with a code or a message. */
function hasErrors(request: unknown): boolean {
  if (!isRecord(request)) return false;
  const error = request["error"];
  return request["status"] === "completedWithErrors" || (isRecord(error) && (text(error["code"]) !== undefined || text(error["message"]) !== undefined));
}

function expectedIssue(request: unknown): BulkRequestIssue {
  const item = isRecord(request) ? request : {};
  const id = text(item["id"]);
  const displayName = text(item["displayName"]);
  const status = text(item["status"]);
  const requestedCount = Math.max(0, ...["directoryObjectIds", "siteIds", "siteWebUrls", "drives", "mailboxes"].map((key) => (Array.isArray(item[key]) ? (item[key] as unknown[]).length : 0)));
  return {
    id: id ? boundText(id, BOUND.id) : "(no id)",
    ...(displayName && { displayName: boundText(displayName, BOUND.name) }),
    ...(status && { status: boundText(status, BOUND.code) }),
    ...errorParts(item["error"]),
    ...(requestedCount > 0 && { requestedCount }),
  };
}

/** The collections a session's failures are read from (granular instead of standard for a granular restore). */
function pathsOf(session: RestoreSession): { artifacts: string; bulk: string; list: ArtifactListKind } {
  const workload = session.workload as KnownWorkload;
  const collections = WORKLOADS[workload].collections;
  if (!collections) throw new Error("a known workload has collections");
  const granular = session.restoreJobType === "granular";
  const base = `/solutions/backupRestore/${collections.sessionsCollection}/${session.id}`;
  return { artifacts: `${base}/${granular ? collections.granularArtifactsCollection : collections.artifactsCollection}`, bulk: `${base}/${collections.bulkRequestsCollection}`, list: { workload, granular } };
}

/** A listing with what names the failures left out: who or what failed comes from the restore point, which a plainer form lacks. */
function namesAside(listed: ListedFailures): unknown {
  if (!listed.available) return listed;
  return { ...listed, artifacts: listed.artifacts.map((artifact) => Object.fromEntries(Object.entries(artifact).filter(([key]) => !(NAMING_FIELDS as readonly string[]).includes(key)))) };
}

describe("the generators", () => {
  /** Which kind of value a field holds. */
  function categoryOf(value: unknown, present: boolean): string {
    if (!present) return "missing";
    if (value === null) return "null";
    if (typeof value !== "string") return "wrong type";
    if (value === "") return "empty";
    if (value.length >= 5_000) return "oversized";
    if (/[\u0000-\u001f<>\u202e]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(value)) return "hostile";
    return "well-formed";
  }
  const everyCategory = ["missing", "null", "wrong type", "empty", "oversized", "hostile", "well-formed"];

  /** Every category met at `path` (keys joined by "/") over the samples, and whether one sample satisfied `typical` (a real value of the field). */
  function survey(samples: readonly unknown[], path: string): { categories: Set<string>; typical: unknown[] } {
    const categories = new Set<string>();
    const typical: unknown[] = [];
    const keys = path.split("/");
    for (const sample of samples) {
      let parent: unknown = sample;
      for (const key of keys.slice(0, -1)) parent = isRecord(parent) ? parent[key] : undefined;
      if (!isRecord(parent)) continue;
      const last = keys.at(-1) ?? "";
      categories.add(categoryOf(parent[last], last in parent));
      typical.push(parent[last]);
    }
    return { categories, typical };
  }

  const guidLike = (value: unknown) => typeof value === "string" && GUID.test(value);
  const isoLike = (value: unknown) => typeof value === "string" && ISO_DATE_TIME.test(value);
  const httpsLike = (value: unknown) => link(value) !== undefined;
  const anyText = (value: unknown) => typeof value === "string" && value.length > 0 && value.length < 5_000;

  it("give every field the parsers read every kind of value: missing, null, wrong type, empty, oversized, hostile, well-formed", () => {
    const sessions = fc.sample(anySession, { numRuns: 2_000, seed: 20261128 });
    const artifacts = fc.sample(anyArtifact, { numRuns: 2_000, seed: 20261128 });
    const requests = fc.sample(anyBulkRequest, { numRuns: 2_000, seed: 20261128 });
    const objects = fc.sample(directoryObjectFor("845457dc-4bb2-4815-bef3-8628ebd1952e"), { numRuns: 1_000, seed: 20261128 });
    const fields: [readonly unknown[], string, (value: unknown) => boolean][] = [
      [sessions, "id", guidLike],
      [sessions, "status", (v) => v === "failed"],
      [sessions, "@odata.type", (v) => v === "#microsoft.graph.exchangeRestoreSession"],
      [sessions, "restoreJobType", (v) => v === "bulk"],
      [sessions, "createdBy/user/displayName", anyText],
      [sessions, "createdBy/user/id", guidLike],
      [sessions, "createdBy/application/displayName", anyText],
      [sessions, "createdBy/application/id", guidLike],
      [sessions, "createdDateTime", isoLike],
      [sessions, "completedDateTime", isoLike],
      [sessions, "lastModifiedDateTime", isoLike],
      [sessions, "error/code", anyText],
      [sessions, "error/message", anyText],
      [artifacts, "@odata.type", (v) => v === "#microsoft.graph.siteRestoreArtifact"],
      [artifacts, "id", guidLike],
      [artifacts, "status", (v) => v === "failed"],
      [artifacts, "destinationType", (v) => v === "inPlace"],
      [artifacts, "error/code", anyText],
      [artifacts, "error/message", anyText],
      [artifacts, "restoredFolderName", anyText],
      [artifacts, "restoredSiteName", anyText],
      [artifacts, "restoredSiteWebUrl", httpsLike],
      [artifacts, "restorePoint/protectionDateTime", isoLike],
      [artifacts, "restorePoint/protectionUnit/@odata.type", (v) => v === "#microsoft.graph.driveProtectionUnit"],
      [artifacts, "restorePoint/protectionUnit/directoryObjectId", guidLike],
      [artifacts, "restorePoint/protectionUnit/displayName", anyText],
      [artifacts, "restorePoint/protectionUnit/email", anyText],
      [artifacts, "restorePoint/protectionUnit/siteId", anyText],
      [artifacts, "restorePoint/protectionUnit/siteName", anyText],
      [artifacts, "restorePoint/protectionUnit/siteWebUrl", httpsLike],
      [artifacts, "restoredItemPath", anyText],
      [artifacts, "webUrl", httpsLike],
      [artifacts, "restoredItemWebUrl", httpsLike],
      [artifacts, "directoryObjectId", guidLike],
      [artifacts, "siteId", anyText],
      [artifacts, "restorePointDateTime", isoLike],
      [requests, "id", guidLike],
      [requests, "status", (v) => v === "completedWithErrors"],
      [requests, "error/code", anyText],
      [requests, "error/message", anyText],
      [requests, "displayName", anyText],
      [objects, "displayName", anyText],
      [objects, "userPrincipalName", anyText],
      [objects, "mail", anyText],
    ];
    for (const [samples, path, typical] of fields) {
      const found = survey(samples, path);
      expect([...found.categories].sort(), path).toEqual([...everyCategory].sort());
      expect(found.typical.some(typical), `${path}: a real value`).toBe(true);
    }
    // Object fields: missing, null, not an object, and the object.
    for (const [samples, path] of [[sessions, "createdBy"], [sessions, "createdBy/user"], [sessions, "createdBy/application"], [sessions, "restoreSessionArtifactCount"], [sessions, "error"], [artifacts, "error"], [artifacts, "restorePoint"], [artifacts, "restorePoint/protectionUnit"], [requests, "error"]] as const) {
      const { typical } = survey(samples, path);
      expect(new Set(typical.map((v) => (v === undefined ? "missing" : v === null ? "null" : isRecord(v) ? "object" : "wrong type"))), path).toEqual(new Set(["missing", "null", "wrong type", "object"]));
    }
    // Counters: missing, null, whole numbers (Int32 and far beyond), negative, fractional, text.
    for (const key of ["total", "completed", "inProgress", "failed"]) {
      const { typical } = survey(sessions, `restoreSessionArtifactCount/${key}`);
      for (const kind of [undefined, null, "string", 0, 1e300, -1, 0.5]) {
        const met = typical.some((v) => (kind === "string" ? typeof v === "string" : kind === -1 ? typeof v === "number" && v < 0 : kind === 0.5 ? typeof v === "number" && !Number.isInteger(v) : v === kind));
        expect(met, `restoreSessionArtifactCount.${key}: ${String(kind)}`).toBe(true);
      }
    }
    // Lists a bulk request names: missing, null, not a list, empty, and 10,000 ids now and then.
    for (const key of ["directoryObjectIds", "siteIds", "siteWebUrls", "drives", "mailboxes"]) {
      const { typical } = survey(requests, key);
      expect(typical.some((v) => Array.isArray(v) && v.length >= 10_000), key).toBe(true);
      expect(typical.some((v) => Array.isArray(v) && v.length === 0) && typical.includes(undefined) && typical.includes(null) && typical.some((v) => v !== null && v !== undefined && !Array.isArray(v)), key).toBe(true);
    }
    // getByIds: limited objects (only the id) as well as full ones.
    expect(objects.some((o) => Object.keys(o).every((key) => key === "id" || key === "@odata.type" || o[key] === null))).toBe(true);
  });
});

import fc from "fast-check";
import { alertId, type Alert, type AlertKind, type FailureDetail } from "../../shared/domain/alert";
import { GraphRequestError } from "../../shared/domain/errors";
import type { ExpandForm } from "../../shared/graph/failureDetail";
import type { GraphApi } from "../../shared/graph/graphClient";
import { RESTORE_SESSION_STATUSES, type RestoreSession } from "../../shared/domain/restoreSession";
import { HOSTILE_STRINGS } from "../alerts/alertFixtures";

/**
 * Arbitrary Graph payloads for the property tests: restore sessions and restore artifacts as Graph
 * might serve them, including unknown enum members, missing and null fields, fields of the wrong
 * type, huge strings, HTML / Adaptive Card / Markdown markup in names, and non-ASCII text.
 *
 * rawSession, rawArtifact, wellTypedSession, wellTypedArtifact and pagedGraph keep their shapes (the
 * renderer tests use them). The parser tests use the field-by-field ones further down (anySession,
 * anyArtifact, anyBulkRequest, directoryObjectFor) and fakeGraph, which pages, refuses `$expand`
 * forms and answers getByIds.
 */

/** Markup a name might carry: HTML, Adaptive Card templating, Teams mentions, Markdown. */
const markup = fc.constantFrom(
  ...HOSTILE_STRINGS,
  '<img src=x onerror="alert(1)">',
  "</td></tr></table><h1>owned</h1>",
  '{"type":"Action.OpenUrl","url":"https://evil.example"}',
  "${if(true, 'a', 'b')}",
  "<at>everyone</at>",
  "![img](https://evil.example/x.png)",
  "javascript:alert(1)",
  "\u202eevil\u202c bidi",
  "\u0000\u0007\u001b[31m control",
);

/** Any text: markup, arbitrary UTF-16 (lone surrogates included), full graphemes, and now and then a huge string. */
export const graphText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: markup },
  { weight: 4, arbitrary: fc.string({ unit: "binary", maxLength: 120 }) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 60 }) },
  { weight: 2, arbitrary: fc.tuple(fc.string({ maxLength: 20 }), markup, fc.string({ unit: "grapheme", maxLength: 20 })).map((parts) => parts.join("")) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 5_000, max: 80_000 }), fc.constantFrom("x", "é", "🚀", "<", "&", '"', "\\", "\ud800")).map(([n, c]) => c.repeat(n)) },
);

/** A value of the wrong type where Graph should send a string, number or object. */
const wrongType = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }));

const isoTime = fc.date({ min: new Date("2020-01-01T00:00:00Z"), max: new Date("2030-01-01T00:00:00Z"), noInvalidDate: true }).map((d) => d.toISOString());
/** Graph writes seven fractional digits; anything else may come too. */
const graphTime = fc.oneof({ weight: 5, arbitrary: isoTime }, { weight: 1, arbitrary: isoTime.map((t) => t.replace("Z", "1234Z")) }, { weight: 1, arbitrary: graphText }, { weight: 1, arbitrary: wrongType });

export const KNOWN_SESSION_TYPES = [
  "#microsoft.graph.exchangeRestoreSession",
  "#microsoft.graph.sharePointRestoreSession",
  "#microsoft.graph.sharepointRestoreSession",
  "#microsoft.graph.oneDriveForBusinessRestoreSession",
] as const;

const sessionType = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...KNOWN_SESSION_TYPES) },
  { weight: 1, arbitrary: fc.constantFrom("#microsoft.graph.teamsRestoreSession", "#microsoft.graph.restoreSessionBase", "#MICROSOFT.GRAPH.EXCHANGERESTORESESSION") },
  { weight: 1, arbitrary: graphText },
  { weight: 1, arbitrary: wrongType },
);

/** Known statuses most of the time; otherwise an evolvable member we don't know, or junk. */
const sessionStatus = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...RESTORE_SESSION_STATUSES) },
  { weight: 1, arbitrary: fc.constantFrom("unknownFutureValue", "cancelled", "Failed", "partiallySucceeded") },
  { weight: 1, arbitrary: graphText },
  { weight: 1, arbitrary: wrongType },
);

const sessionId = fc.oneof(
  { weight: 8, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: fc.constantFrom("a/b", "x#y", "q?r", "back\\slash", "", "x".repeat(201), "tab\tid") },
  { weight: 1, arbitrary: graphText },
  { weight: 1, arbitrary: wrongType },
);

const identity = fc.record({ displayName: fc.option(graphText), id: fc.option(fc.oneof(fc.uuid(), graphText)) }, { requiredKeys: [] });
const createdBy = fc.oneof(
  { weight: 5, arbitrary: fc.record({ user: fc.option(identity), application: fc.option(identity) }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: wrongType },
);
const count = fc.oneof({ weight: 8, arbitrary: fc.nat({ max: 100_000 }) }, { weight: 1, arbitrary: fc.constantFrom(-1, 1.5, Number.MAX_SAFE_INTEGER) }, { weight: 1, arbitrary: wrongType });
const artifactCount = fc.oneof(
  { weight: 5, arbitrary: fc.record({ total: count, completed: count, inProgress: count, failed: count }) },
  { weight: 1, arbitrary: fc.record({ total: count }) },
  { weight: 1, arbitrary: wrongType },
);
const publicError = fc.oneof(
  { weight: 4, arbitrary: fc.record({ code: fc.option(graphText), message: fc.option(graphText), target: fc.option(graphText), details: fc.constant([]) }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: wrongType },
);
const jobType = fc.oneof(fc.constantFrom("standard", "bulk", "granular", "unknownFutureValue"), graphText, wrongType);

/** One item of GET /solutions/backupRestore/restoreSessions, as Graph might serve it (any field may be missing). */
export const rawSession: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    fc.record(
      {
        "@odata.type": sessionType,
        id: sessionId,
        status: sessionStatus,
        restoreJobType: jobType,
        createdBy,
        createdDateTime: graphTime,
        completedDateTime: fc.oneof(graphTime, fc.constant(null)),
        lastModifiedDateTime: graphTime,
        restoreSessionArtifactCount: artifactCount,
        error: fc.oneof(publicError, fc.constant(null)),
      },
      { requiredKeys: ["@odata.type", "id", "status"] },
    ),
    // Open types: properties Graph may add later.
    fc.dictionary(fc.constantFrom("lastModifiedBy", "restorePointTags", "newProperty", "@odata.etag"), fc.anything({ maxDepth: 2 }), { maxKeys: 2 }),
  )
  .map(([known, extra]) => ({ ...extra, ...known }));

/** A session item that reads well: known type and status, every field of the right type. */
export const wellTypedSession: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    "@odata.type": fc.constantFrom(...KNOWN_SESSION_TYPES),
    id: fc.uuid(),
    status: fc.constantFrom(...RESTORE_SESSION_STATUSES),
    restoreJobType: fc.oneof(fc.constantFrom("standard", "bulk", "granular", "unknownFutureValue"), graphText),
    createdBy: fc.record({ user: fc.option(identity), application: fc.option(identity) }, { requiredKeys: [] }),
    createdDateTime: isoTime,
    completedDateTime: fc.option(isoTime),
    lastModifiedDateTime: isoTime,
    restoreSessionArtifactCount: fc.record({ total: fc.nat({ max: 100_000 }), completed: fc.nat(), inProgress: fc.nat(), failed: fc.nat() }),
    error: fc.option(fc.record({ code: fc.option(graphText), message: fc.option(graphText) }, { requiredKeys: [] })),
  },
  { requiredKeys: ["@odata.type", "id", "status"] },
);

const artifactStatus = fc.oneof(
  { weight: 6, arbitrary: fc.constant("failed") },
  { weight: 3, arbitrary: fc.constantFrom("added", "scheduling", "scheduled", "inProgress", "succeeded") },
  { weight: 1, arbitrary: fc.constantFrom("unknownFutureValue", "Failed", "cancelled") },
  { weight: 1, arbitrary: wrongType },
);
const artifactFields = {
  destinationType: fc.oneof(fc.constantFrom("new", "inPlace", "unknownFutureValue"), graphText, fc.constant(null)),
  error: fc.oneof(fc.record({ code: fc.option(graphText), message: fc.option(graphText) }, { requiredKeys: [] }), fc.constant(null)),
  restorePoint: fc.oneof(fc.record({ id: fc.string(), protectionDateTime: fc.option(fc.oneof(isoTime, graphText)) }, { requiredKeys: [] }), fc.constant(null)),
  restoredFolderName: fc.option(graphText),
  restoredSiteName: fc.option(graphText),
  restoredSiteWebUrl: fc.option(fc.oneof(fc.webUrl(), graphText)),
};

/** One restore artifact (mailbox, site or drive) as Graph might serve it. */
export const rawArtifact: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    id: fc.oneof({ weight: 8, arbitrary: fc.uuid() }, { weight: 1, arbitrary: graphText }, { weight: 1, arbitrary: wrongType }),
    status: artifactStatus,
    destinationType: fc.oneof(artifactFields.destinationType, wrongType),
    error: fc.oneof(artifactFields.error, wrongType),
    restorePoint: artifactFields.restorePoint,
    restoredFolderName: fc.oneof(artifactFields.restoredFolderName, wrongType),
    restoredSiteName: artifactFields.restoredSiteName,
    restoredSiteWebUrl: artifactFields.restoredSiteWebUrl,
  },
  { requiredKeys: ["id", "status"] },
);

/** A restore artifact whose every field has the right type (ids non-empty). */
export const wellTypedArtifact: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    id: fc.oneof(fc.uuid(), graphText.filter((s) => s.length > 0)),
    status: fc.oneof(fc.constant("failed"), fc.constantFrom("succeeded", "inProgress", "unknownFutureValue")),
    ...artifactFields,
  },
  { requiredKeys: ["id", "status"] },
);

/**
 * A Graph that serves one collection from memory, in pages chained by relative nextLinks (as Graph
 * does for artifact lists). The parsers under test are the real ones; only the wire is left out.
 */
export function pagedGraph(items: readonly unknown[], pageSize: number, path: string): GraphApi & { readonly requests: string[] } {
  const requests: string[] = [];
  return {
    requests,
    scope: "https://graph.microsoft.com/.default",
    async get(pathOrLink: string) {
      requests.push(pathOrLink);
      const offset = pathOrLink === path ? 0 : Number(new URL(pathOrLink, "https://graph.invalid").searchParams.get("$skiptoken"));
      const next = offset + pageSize;
      return { value: items.slice(offset, next), ...(next < items.length && { "@odata.nextLink": `${path}?$skiptoken=${next}` }) };
    },
    async post() {
      throw new Error("not used");
    },
  };
}

/** An alert as runPoll builds it from a parsed session and its failure detail. */
export function alertFor(session: RestoreSession, detail: FailureDetail, kind: AlertKind = "status"): Alert {
  const status = session.status;
  return {
    id: alertId(session.id, kind, status, kind === "reminder" ? 1 : undefined),
    tenantId: "7e1a0c5d-3b1f-4f63-9d2a-0c6f5e8b4a11",
    kind,
    status,
    session,
    detail,
    recordedAt: "2026-07-14T11:05:00.000Z",
    runId: "20260714T110500-0a1b2c3d",
  };
}

/* ------------------------------------------------------------------------------------------------
 * Field by field: every field the parsers read, as missing, null, of the wrong type, empty,
 * oversized, hostile or well-formed. The objects below are what the parser property tests use; the
 * generators above keep their earlier shapes for the renderer tests.
 * ---------------------------------------------------------------------------------------------- */

/** Marks a key an object generator leaves out (a missing field). */
export const ABSENT: unique symbol = Symbol("absent");
type Field = fc.Arbitrary<unknown>;

/** An object whose keys each may be ABSENT (then left out). */
export function objectOf(shape: Readonly<Record<string, Field>>): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(shape).map((fields) => Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== ABSENT)));
}

/** Text meant to break something: markup, control characters, lone surrogates, bidi overrides, line breaks. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  markup,
  fc.constantFrom("\u0000", "\u0007\u0008\u001b[2J", "\ud800", "\udfff", "a\ud800b", "\udc00\ud800", "\u202e\u2066x\u2069", "\r\n\t", "\u2028\u2029", "\ufeff", "\ufffe\uffff"),
  fc.tuple(markup, fc.string({ unit: "binary", maxLength: 10 }), fc.constantFrom("\ud83d", "\u0000", "\u001f")).map((parts) => parts.join("")),
);

/** Beyond every bound (the largest is 2,048 for URLs; Table Storage's property is 32K): 5,000 to 80,000 characters. */
function oversized(prefix = ""): fc.Arbitrary<string> {
  return fc.tuple(fc.integer({ min: 5_000, max: 80_000 }), fc.constantFrom("x", "é", "🚀", "<", "&", "\\", "\ud800", "\u0000", " ")).map(([n, c]) => prefix + c.repeat(Math.ceil(n / c.length)));
}

/** A value of another JSON type than a string (numbers whole and not, booleans, arrays, objects). */
const notText: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }),
);
/** A value of another JSON type than an object (strings among them). */
const notObject: fc.Arbitrary<unknown> = fc.oneof(fc.integer(), fc.boolean(), fc.string({ maxLength: 10 }), fc.constant(""), fc.array(fc.integer(), { maxLength: 3 }), hostileText);

/**
 * A string field: missing, null, of the wrong type, empty, oversized, hostile, or (weighted by
 * `weight`) well-formed.
 */
export function textField(wellFormed: fc.Arbitrary<string>, weight = 4, oversizedPrefix = ""): Field {
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(ABSENT) },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: notText },
    { weight: 1, arbitrary: fc.constant("") },
    { weight: 1, arbitrary: oversized(oversizedPrefix) },
    { weight: 1, arbitrary: hostileText },
    { weight, arbitrary: wellFormed },
  );
}

/** An object field: missing, null, not an object, or (weighted) the object. */
export function objectField(wellFormed: fc.Arbitrary<Record<string, unknown>>, weight = 6): Field {
  return fc.oneof({ weight: 1, arbitrary: fc.constant(ABSENT) }, { weight: 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: notObject }, { weight, arbitrary: wellFormed });
}

/** Graph's bulk limit, and one past it: built once (the parsers only read such lists, never change them). */
const HUGE_LISTS: readonly (readonly string[])[] = [10_000, 10_001].map((n) => Array.from({ length: n }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`));

/** A list field (of strings), with a 10,000-element list now and then (Graph's bulk limit). */
export function listField(item: fc.Arbitrary<string>): Field {
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(ABSENT) },
    { weight: 2, arbitrary: fc.constant(null) },
    { weight: 2, arbitrary: fc.oneof(fc.integer(), fc.string({ maxLength: 10 }), oversized(), fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 })) },
    { weight: 2, arbitrary: fc.constant([]) },
    { weight: 10, arbitrary: fc.array(fc.oneof(item, fc.constant(null), fc.integer()), { maxLength: 25 }) },
    { weight: 1, arbitrary: fc.constantFrom(...HUGE_LISTS) },
  );
}

const realName = fc.constantFrom("Adele Vance", "Megan Bowen", "Finance", "Zoë Ångström – 東京", "Microsoft Enhanced Restore", "testmailbox101", "Legal (restored)");
const nameText: fc.Arbitrary<string> = fc.oneof({ weight: 3, arbitrary: realName }, { weight: 2, arbitrary: graphText });
const guid: fc.Arbitrary<string> = fc.oneof({ weight: 3, arbitrary: fc.uuid() }, { weight: 1, arbitrary: fc.uuid().map((id) => id.toUpperCase()) });
const siteIdText = fc.tuple(fc.uuid(), fc.uuid()).map(([a, b]) => `contoso.sharepoint.com,${a},${b}`);

/** ISO 8601 as Graph writes it (seven fractional digits, or two in the docs, an offset now and then). */
export const wellFormedTime: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: isoTime },
  { weight: 1, arbitrary: isoTime.map((t) => t.replace("Z", "1234Z")) },
  { weight: 1, arbitrary: isoTime.map((t) => t.replace(/\.\d{3}Z$/, ".45Z")) },
  { weight: 1, arbitrary: isoTime.map((t) => t.replace("Z", "+02:00")) },
  { weight: 1, arbitrary: fc.constant("0001-01-01T00:00:00.0000000Z") },
);
/** Not ISO 8601, though JavaScript's Date.parse reads several of them (it ignores text in parentheses). */
const notIsoTime = fc.oneof(
  fc.constantFrom("2023-03-30T12-01-03.45Z", "1", "x 1", "2024-13-45T99:99:99Z", "yesterday", "<script>alert(1)</script> 2024", "(<img src=x onerror=alert(1)>) 2024-01-01", "Mon, 01 Jan 2024 00:00:00 GMT", "2024-01-01"),
  fc.integer({ min: 5_000, max: 80_000 }).map((n) => `2024-01-01 (${"x".repeat(n)})`),
);
export function timeField(): Field {
  return fc.oneof({ weight: 9, arbitrary: textField(wellFormedTime, 4, "2024-01-01T00:00:00Z") }, { weight: 2, arbitrary: notIsoTime });
}

/** https most of the time; also http, javascript:, spaces, control characters, and lengths at and beyond 2,048. */
export function urlField(): Field {
  const https = fc.oneof(
    fc.webUrl({ validSchemes: ["https"] }),
    fc.constantFrom("https://contoso.sharepoint.com/sites/finance", "HTTPS://CONTOSO.SHAREPOINT.COM/SITES/LEGAL", "https://contoso-my.sharepoint.com/personal/adele/Documents/Q3/Budget.xlsx"),
  );
  const unsafe = fc.oneof(
    fc.webUrl({ validSchemes: ["http", "ftp"] }),
    fc.constantFrom("javascript:alert(1)", "https://a b", "https:// contoso", "https://", " https://contoso.sharepoint.com", "https://contoso.sharepoint.com/\n<script>", "data:text/html,<script>alert(1)</script>", "//contoso.sharepoint.com"),
    fc.integer({ min: 2_030, max: 2_060 }).map((n) => `https://contoso.sharepoint.com/${"a".repeat(n - 31)}`),
  );
  return fc.oneof({ weight: 9, arbitrary: textField(https, 4, "https://contoso.sharepoint.com/") }, { weight: 3, arbitrary: unsafe });
}

/** A counter: whole numbers from 0 up (Int32 and far beyond), and negative, fractional or text ones. */
function countField(): Field {
  const whole = fc.oneof(fc.nat({ max: 100_000 }), fc.constantFrom(0, 2_147_483_647, Number.MAX_SAFE_INTEGER, 2 ** 60, 1e300));
  return fc.oneof(
    { weight: 6, arbitrary: whole },
    { weight: 1, arbitrary: fc.constant(ABSENT) },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 2, arbitrary: fc.oneof(fc.integer({ min: -1_000, max: -1 }), fc.double({ min: -10, max: 1e6, noNaN: true, noInteger: true }), fc.constantFrom("3", "", true, [1], { n: 1 })) },
  );
}

/** publicError: code, message (and what the parsers ignore: target, details, innerError). */
export function errorField(): Field {
  const codes = fc.constantFrom("ArtifactNotFound", "ArtifactCannotBeRestored", "UserNotFound", "SiteNotFound", "InternalServerError");
  const messages = fc.constantFrom("The requested restore artifact wasn't found for restore.", "Resolution of 2 of 10 users failed.");
  return objectField(objectOf({ code: textField(codes), message: textField(messages), target: textField(nameText, 1), details: fc.oneof(fc.constant(ABSENT), fc.constant([])) }));
}

const identityOf = objectOf({ id: textField(guid), displayName: textField(nameText), email: fc.oneof(fc.constant(ABSENT), fc.constant("ann@contoso.com")) });

const anySessionId = fc.oneof(
  { weight: 12, arbitrary: guid },
  { weight: 1, arbitrary: fc.constantFrom("a/b", "x#y", "q?r", "back\\slash", "tab\tid", "x".repeat(200), "x".repeat(201), "959ba739_70b5:43c4.8c90", " space") },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(..."AZaz09._:-/#?\\ \u0000é"), minLength: 1, maxLength: 12 }) },
  { weight: 4, arbitrary: textField(guid, 0) },
);
const anySessionStatus = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...RESTORE_SESSION_STATUSES) },
  { weight: 1, arbitrary: fc.constantFrom("unknownFutureValue", "cancelled", "Failed", "COMPLETED", "completedWithErrors", "failed ") },
  { weight: 4, arbitrary: textField(fc.constantFrom(...RESTORE_SESSION_STATUSES), 0) },
);
const anySessionType = textField(
  fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...KNOWN_SESSION_TYPES, "#MICROSOFT.GRAPH.EXCHANGERESTORESESSION") }, { weight: 1, arbitrary: fc.constantFrom("#microsoft.graph.teamsRestoreSession", "#microsoft.graph.restoreSessionBase", "microsoft.graph.exchangeRestoreSession") }),
  8,
);

/**
 * One item of GET /restoreSessions, field by field: each of id, status, @odata.type, restoreJobType,
 * createdBy.user/application (displayName, id), the three times, the four counters and error.code /
 * message missing, null, of the wrong type, empty, oversized, hostile or well-formed.
 */
export const anySession: fc.Arbitrary<Record<string, unknown>> = objectOf({
  "@odata.type": anySessionType,
  id: anySessionId,
  status: anySessionStatus,
  restoreJobType: textField(fc.constantFrom("standard", "bulk", "granular", "unknownFutureValue")),
  createdBy: objectField(objectOf({ user: objectField(identityOf), application: objectField(identityOf), device: fc.oneof(fc.constant(ABSENT), identityOf) })),
  createdDateTime: timeField(),
  completedDateTime: timeField(),
  lastModifiedDateTime: timeField(),
  restoreSessionArtifactCount: objectField(objectOf({ total: countField(), completed: countField(), inProgress: countField(), failed: countField() })),
  error: errorField(),
  lastModifiedBy: fc.oneof(fc.constant(ABSENT), fc.anything({ maxDepth: 2 })),
  newProperty: fc.oneof({ weight: 4, arbitrary: fc.constant(ABSENT) }, { weight: 1, arbitrary: fc.anything({ maxDepth: 2 }) }),
});

/** The artifact types of each list (standard, granular) as Graph names them, and some it may add. */
export const ARTIFACT_TYPES = {
  exchange: ["#microsoft.graph.mailboxRestoreArtifact", "#microsoft.graph.granularMailboxRestoreArtifact"],
  sharePoint: ["#microsoft.graph.siteRestoreArtifact", "#microsoft.graph.granularSiteRestoreArtifact"],
  oneDrive: ["#microsoft.graph.driveRestoreArtifact", "#microsoft.graph.granularDriveRestoreArtifact"],
} as const;
const artifactType = textField(
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...Object.values(ARTIFACT_TYPES).flat()) },
    { weight: 1, arbitrary: fc.constantFrom(...Object.values(ARTIFACT_TYPES).flat()).map((t) => t.toUpperCase()) },
    { weight: 2, arbitrary: fc.constantFrom("#microsoft.graph.teamsChannelRestoreArtifact", "#microsoft.graph.restoreArtifactBase", "#microsoft.graph.granularRestoreArtifactBase") },
  ),
  2,
);
const UNIT_TYPES = ["#microsoft.graph.mailboxProtectionUnit", "#microsoft.graph.driveProtectionUnit", "#microsoft.graph.siteProtectionUnit"] as const;

/** restorePoint.protectionUnit: a mailbox, drive or site unit (or one Graph adds), each field on its own. */
export const anyProtectionUnit: fc.Arbitrary<Record<string, unknown>> = objectOf({
  "@odata.type": textField(fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...UNIT_TYPES) }, { weight: 1, arbitrary: fc.constant("#microsoft.graph.teamsProtectionUnit") })),
  id: textField(guid, 2),
  directoryObjectId: textField(guid),
  displayName: textField(nameText),
  email: textField(fc.constantFrom("AdeleV@contoso.com", "megan.bowen@contoso.onmicrosoft.com")),
  siteId: textField(siteIdText),
  siteName: textField(nameText),
  siteWebUrl: urlField(),
});

const artifactStatusField = fc.oneof(
  { weight: 8, arbitrary: fc.constant("failed") },
  { weight: 4, arbitrary: fc.constantFrom("added", "scheduling", "scheduled", "inProgress", "succeeded") },
  { weight: 3, arbitrary: textField(fc.constantFrom("unknownFutureValue", "Failed", "FAILED", "failed ", "cancelled"), 2) },
);

/**
 * One item of an artifact list (standard, granular or bulk), field by field: the base type's, the
 * mailbox/site/drive ones, the restore point with its protection unit, and the granular items' own.
 */
export const anyArtifact: fc.Arbitrary<Record<string, unknown>> = objectOf({
  "@odata.type": artifactType,
  id: textField(guid, 8),
  status: artifactStatusField,
  destinationType: textField(fc.constantFrom("new", "inPlace", "unknownFutureValue"), 6),
  error: errorField(),
  restoredFolderName: textField(nameText),
  restoredSiteName: textField(nameText),
  restoredSiteWebUrl: urlField(),
  restorePoint: objectField(objectOf({ id: textField(fc.constant("ffd2687a-f507-4a82-9dff-2fa78cfdaa41_1801645000_12_2")), protectionDateTime: timeField(), expirationDateTime: timeField(), protectionUnit: objectField(anyProtectionUnit) })),
  restoredItemPath: textField(fc.constantFrom("/Documents/Q3/Budget.xlsx", "/Shared Documents/a.docx", "/Inbox/Re: <b>x</b>")),
  webUrl: urlField(),
  restoredItemWebUrl: urlField(),
  directoryObjectId: textField(guid),
  siteId: textField(siteIdText),
  restorePointDateTime: timeField(),
});

/** One item of a bulk addition request list: status, error, displayName and the lists of what it named. */
export const anyBulkRequest: fc.Arbitrary<Record<string, unknown>> = objectOf({
  "@odata.type": textField(fc.constantFrom("#microsoft.graph.mailboxRestoreArtifactsBulkAdditionRequest", "#microsoft.graph.siteRestoreArtifactsBulkAdditionRequest", "#microsoft.graph.driveRestoreArtifactsBulkAdditionRequest")),
  id: textField(guid, 8),
  status: fc.oneof({ weight: 6, arbitrary: fc.constantFrom("active", "completed", "completedWithErrors", "unknownFutureValue") }, { weight: 3, arbitrary: textField(fc.constantFrom("completedwitherrors", "CompletedWithErrors", "completedWithError"), 2) }),
  error: errorField(),
  displayName: textField(fc.constantFrom("EXO-BulkRestoreArtifacts", "SPO bulk <b>1</b>")),
  directoryObjectIds: listField(guid),
  siteIds: listField(siteIdText),
  siteWebUrls: listField(fc.webUrl()),
  drives: listField(fc.emailAddress()),
  mailboxes: listField(fc.emailAddress()),
});

/**
 * What getByIds answers for one id: a user or group with a name and addresses (each field on its
 * own), or a limited object (only @odata.type and id, the rest null) the caller may not read.
 */
export function directoryObjectFor(id: string): fc.Arbitrary<Record<string, unknown>> {
  const asGiven = fc.constantFrom(id, id.toUpperCase(), id.toLowerCase());
  const full = objectOf({
    "@odata.type": fc.constantFrom("#microsoft.graph.user", "#microsoft.graph.group"),
    id: fc.oneof({ weight: 8, arbitrary: asGiven }, { weight: 1, arbitrary: textField(guid, 0) }),
    displayName: textField(nameText),
    userPrincipalName: textField(fc.constantFrom("AdeleV@contoso.com", "megan@contoso.onmicrosoft.com")),
    mail: textField(fc.constantFrom("adele.vance@contoso.com", "finance@contoso.com")),
  });
  const limited = fc.tuple(asGiven, fc.boolean()).map(([given, nulls]) => ({ "@odata.type": "#microsoft.graph.user", id: given, ...(nulls && { displayName: null, userPrincipalName: null, mail: null }) }));
  return fc.oneof({ weight: 3, arbitrary: full }, { weight: 1, arbitrary: limited });
}

export interface FakeGraphOptions {
  /** The collections it serves, by path (no query), each item as the richest form would render it. */
  readonly collections: Readonly<Record<string, readonly unknown[]>>;
  readonly pageSize: number;
  /** `$expand` forms it answers with 400, from page `refusedFromPage` on (0: the first page). */
  readonly refuse?: readonly ExpandForm[];
  readonly refusedFromPage?: number;
  /** nextLinks absolute (`https://graph.microsoft.com/v1.0/...`) rather than relative to the version (both are documented). */
  readonly absoluteLinks?: boolean;
  /** getByIds: the objects the directory answers with, by lower-case id; `forbidden` answers 403. */
  readonly directory?: ReadonlyMap<string, unknown> | "forbidden";
}

export interface FakeGraph extends GraphApi {
  /** Every GET, in order, as asked. */
  readonly gets: string[];
  readonly posts: { readonly path: string; readonly body: unknown }[];
}

const EXPAND_OF: Readonly<Record<string, ExpandForm>> = { "restorePoint($expand=protectionUnit)": "nested", restorePoint: "restorePoint" };

/**
 * An in-memory Graph for the pure-logic properties: pages its collections (nextLinks keep the
 * query, as Graph's skip tokens do), renders artifacts as the `$expand` form asked (nested: the
 * protection unit inside the restore point; restorePoint: the restore point alone; none: neither),
 * answers 400 to the forms it refuses and 404 to a path it does not serve, and answers getByIds.
 */
export function fakeGraph(options: FakeGraphOptions): FakeGraph {
  const gets: string[] = [];
  const posts: { path: string; body: unknown }[] = [];
  const refused = new Set(options.refuse ?? []);
  return {
    gets,
    posts,
    scope: "https://graph.microsoft.com/.default",
    async get(pathOrLink: string) {
      gets.push(pathOrLink);
      const url = new URL(pathOrLink, "https://graph.microsoft.com");
      const path = url.pathname.replace(/^\/v1\.0\//, "/");
      const items = options.collections[path];
      if (items === undefined) throw new GraphRequestError(`Graph returned 404 for ${path}`, 404, "NotFound", pathOrLink);
      const expand = url.searchParams.get("$expand");
      const form = expand === null ? "none" : EXPAND_OF[expand];
      const page = Number(url.searchParams.get("$skiptoken") ?? "0");
      if (form === undefined || (refused.has(form) && page >= (options.refusedFromPage ?? 0))) {
        throw new GraphRequestError(`Graph returned 400 (BadRequest): $expand=${expand ?? ""} is not supported`, 400, "BadRequest", pathOrLink);
      }
      const from = page * options.pageSize;
      const value = items.slice(from, from + options.pageSize).map((item) => asExpanded(item, form));
      if (from + options.pageSize >= items.length) return { value };
      const query = `${expand === null ? "" : `$expand=${expand}&`}$skiptoken=${page + 1}`;
      return { value, "@odata.nextLink": `${options.absoluteLinks ? "https://graph.microsoft.com/v1.0" : ""}${path}?${query}` };
    },
    async post(path: string, body: unknown) {
      posts.push({ path, body });
      if (path !== "/directoryObjects/getByIds" || options.directory === undefined) throw new GraphRequestError(`Graph returned 404 for ${path}`, 404, "NotFound", path);
      if (options.directory === "forbidden") throw new GraphRequestError("Graph returned 403 (Authorization_RequestDenied)", 403, "Authorization_RequestDenied", path);
      const directory = options.directory;
      const ids = (body as { ids: string[] }).ids;
      return { "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#directoryObjects", value: ids.flatMap((id) => (directory.has(id.toLowerCase()) ? [directory.get(id.toLowerCase())] : [])) };
    },
  };
}

/** An artifact as the service renders it for an `$expand` form. */
function asExpanded(item: unknown, form: ExpandForm): unknown {
  if (form === "nested" || typeof item !== "object" || item === null || Array.isArray(item)) return item;
  const { restorePoint, ...rest } = item as Record<string, unknown>;
  if (form === "none" || typeof restorePoint !== "object" || restorePoint === null || Array.isArray(restorePoint)) return form === "none" ? rest : item;
  const { protectionUnit: _unit, ...point } = restorePoint as Record<string, unknown>;
  return { ...rest, restorePoint: point };
}

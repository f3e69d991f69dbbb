import fc from "fast-check";
import { alertId, type Alert, type AlertKind, type FailureDetail } from "../../shared/domain/alert";
import type { GraphApi } from "../../shared/graph/graphClient";
import { RESTORE_SESSION_STATUSES, type RestoreSession } from "../../shared/domain/restoreSession";
import { HOSTILE_STRINGS } from "../alerts/alertFixtures";

/**
 * Arbitrary Graph payloads for the property tests: restore sessions and restore artifacts as Graph
 * might serve them, including unknown enum members, missing and null fields, fields of the wrong
 * type, huge strings, HTML / Adaptive Card / Markdown markup in names, and non-ASCII text.
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

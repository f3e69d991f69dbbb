import fc from "fast-check";
import { alertId, type Alert, type AlertKind, type ArtifactKind, type BulkRequestIssue, type FailedArtifact, type FailureDetail } from "../../shared/domain/alert";
import { RESTORE_SESSION_STATUSES, WORKLOADS, type ArtifactCount, type RestoreSession, type Workload } from "../../shared/domain/restoreSession";
import { boundText, MAX_ARTIFACT_TEXT_CHARS, MAX_BULK_ISSUES, MAX_DETAIL_JSON_CHARS, MAX_SESSION_TEXT_CHARS } from "../../shared/domain/textBounds";
import { HOSTILE_STRINGS } from "../alerts/alertFixtures";

/**
 * Alerts as the renderers and the state table get them, with every field of FailedArtifact,
 * BulkRequestIssue and RestoreSession drawn from hostile text: null-free, but any field may be missing,
 * empty, longer than its bound, full of control characters, lone surrogates, bidi overrides and
 * markup (`<script>`, `](javascript:`, `https://evil`, Adaptive Card templates, Teams mentions).
 *
 * Two flavours: `rawAlert` (anything a renderer must survive: unbounded) and `storedAlert` (what
 * ingestion hands the state table: each text cut to its bound with boundText, URLs https, ids that
 * are ids), which must be written, read back and rendered unchanged.
 */

/** Markup and link text a name, path or message might carry. */
const MARKUP = [
  ...HOSTILE_STRINGS,
  "<script>alert(document.cookie)</script>",
  "[open](javascript:alert(1))",
  "](javascript:alert(1))",
  "https://evil.example/login?next=https://admin.microsoft.com",
  "www.evil.example",
  "HTTPS://EVIL.EXAMPLE",
  "mailto:victim@contoso.com",
  '<img src=x onerror="alert(1)">',
  "</td></tr></table><h1>owned</h1>",
  "<a href=\"https://evil.example\">click</a>",
  "![img](https://evil.example/x.png)",
  "${if(true, 'a', 'b')}",
  "\u202eevil\u202c bidi",
  "\u0000\u0007\u001b[31m control",
  "\ud800 lone \udfff surrogates",
  "\u2028line\u2029separators",
  "   ",
] as const;

const markup = fc.constantFrom(...MARKUP);
const CHARS = ["x", "é", "🚀", "<", "&", '"', "\\", "\ud800", "\u0001", "_", "[", "{", "Ä"] as const;

/** Any text: empty, markup, arbitrary UTF-16, graphemes, mixes, and now and then far longer than any bound. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  { weight: 1, arbitrary: fc.constant("") },
  { weight: 4, arbitrary: markup },
  { weight: 3, arbitrary: fc.string({ unit: "binary", maxLength: 80 }) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }) },
  { weight: 3, arbitrary: fc.tuple(fc.string({ maxLength: 12 }), markup, fc.string({ unit: "grapheme", maxLength: 12 })).map((parts) => parts.join("")) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 150, max: 6_000 }), fc.constantFrom(...CHARS)).map(([n, c]) => c.repeat(n)) },
);

/** Text that may be a name: mostly readable words (so that sorting is exercised on real names), else hostile. */
const nameText: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom("Adele Vance", "adele vance", "Émile", "emile", "Zoë", "bob", "Site 2", "Site 10", "HR Policies", "東京", "Ångström", "ﬁnance") },
  { weight: 3, arbitrary: hostileText },
);

const https = fc.oneof(
  fc.webUrl({ validSchemes: ["https"] }),
  hostileText.map((text) => `https://evil.example/${text}`),
  hostileText.map((text) => `HTTPS://contoso.sharepoint.com/sites/${text}`),
);
/** A URL field as a renderer may get it: mostly https, now and then anything. */
const anyUrl = fc.oneof({ weight: 4, arbitrary: https }, { weight: 1, arbitrary: hostileText });

const isoTime = fc.date({ min: new Date("2020-01-01T00:00:00Z"), max: new Date("2030-01-01T00:00:00Z"), noInvalidDate: true }).map((d) => d.toISOString());
const count = fc.oneof(fc.nat({ max: 1_000 }), fc.nat({ max: 10_000_000 }));

/** How a text field is drawn: unbounded for the renderers, cut to its bound for the state table. */
interface Flavour {
  readonly text: (max: number) => fc.Arbitrary<string>;
  readonly name: (max: number) => fc.Arbitrary<string>;
  readonly url: fc.Arbitrary<string>;
  readonly id: fc.Arbitrary<string>;
  readonly sessionId: fc.Arbitrary<string>;
}

const RAW: Flavour = {
  text: () => hostileText,
  name: () => nameText,
  url: anyUrl,
  id: fc.oneof(fc.uuid(), hostileText),
  sessionId: fc.oneof({ weight: 4, arbitrary: fc.uuid() }, { weight: 1, arbitrary: hostileText }),
};

const STORED: Flavour = {
  text: (max) => hostileText.map((text) => boundText(text, max)),
  name: (max) => nameText.map((text) => boundText(text, max)),
  url: https.map((url) => boundText(url, MAX_ARTIFACT_TEXT_CHARS.url)),
  id: fc.oneof(fc.uuid(), hostileText).map((id) => boundText(id, MAX_ARTIFACT_TEXT_CHARS.id)),
  sessionId: fc.oneof(fc.uuid(), fc.stringMatching(/^[A-Za-z0-9._:-]{1,200}$/)),
};

const ARTIFACT_KINDS: readonly ArtifactKind[] = ["mailbox", "drive", "site", "unknown"];
const WORKLOAD_KEYS = Object.keys(WORKLOADS) as Workload[];
const A = MAX_ARTIFACT_TEXT_CHARS;

function failedArtifact(f: Flavour): fc.Arbitrary<FailedArtifact> {
  return fc.record(
    {
      id: f.id,
      kind: fc.constantFrom(...ARTIFACT_KINDS),
      name: f.name(A.name),
      address: f.text(A.address),
      objectId: fc.oneof(fc.uuid(), f.text(A.id)),
      siteId: fc.oneof(fc.constant("contoso.sharepoint.com,0f3a8c2e-5b1d-4c7a-9e6f-2d8b4a1c7e90,7e1a0c5d-3b1f-4f63-9d2a-0c6f5e8b4a11"), f.text(A.id)),
      webUrl: f.url,
      itemPath: f.text(A.path),
      restoredTo: f.name(A.name),
      restoredToUrl: f.url,
      unknownType: fc.oneof(fc.constant("#microsoft.graph.teamsRestoreArtifact"), f.text(A.type)),
      errorCode: f.text(A.code),
      errorMessage: f.text(A.message),
      restorePointDateTime: isoTime,
      destinationType: fc.oneof(fc.constantFrom("new", "inPlace"), f.text(A.code)),
    },
    { requiredKeys: ["id"] },
  );
}

function bulkIssue(f: Flavour): fc.Arbitrary<BulkRequestIssue> {
  return fc.record(
    {
      id: f.id,
      displayName: f.name(A.name),
      status: fc.oneof(fc.constantFrom("completedWithErrors", "active", "unknownFutureValue"), f.text(A.code)),
      errorCode: f.text(A.code),
      errorMessage: f.text(A.message),
      requestedCount: count,
    },
    { requiredKeys: ["id"] },
  );
}

/** Each counter present or not: Graph may leave any of them out. */
const artifactCount: fc.Arbitrary<ArtifactCount> = fc.record({ total: count, completed: count, inProgress: count, failed: count }, { requiredKeys: [] });

function session(f: Flavour): fc.Arbitrary<RestoreSession> {
  const S = MAX_SESSION_TEXT_CHARS;
  return fc.record(
    {
      id: f.sessionId,
      workload: fc.constantFrom(...WORKLOAD_KEYS),
      status: fc.constantFrom(...RESTORE_SESSION_STATUSES),
      restoreJobType: fc.oneof(fc.constantFrom("standard", "bulk", "granular"), f.text(S.code)),
      odataType: fc.oneof(fc.constant("#microsoft.graph.teamsRestoreSession"), f.text(A.type)),
      createdBy: f.name(S.name),
      createdDateTime: isoTime,
      completedDateTime: isoTime,
      lastModifiedDateTime: isoTime,
      artifactCount,
      // Graph's error, when there is one, has a code or a message.
      error: fc.record({ code: f.text(S.code), message: f.text(S.message) }, { requiredKeys: [] }).filter((error) => error.code !== undefined || error.message !== undefined),
    },
    { requiredKeys: ["id", "workload", "status"] },
  );
}

/** Failed artifacts within the record's size, the rest counted as omitted (as ingestion does). */
function withinRecord(artifacts: readonly FailedArtifact[], omitted: number): { failedArtifacts: FailedArtifact[]; omittedCount: number } {
  const failedArtifacts: FailedArtifact[] = [];
  let chars = 2;
  for (const artifact of artifacts) {
    const size = JSON.stringify(artifact).length + 1;
    if (chars + size > MAX_DETAIL_JSON_CHARS) omitted++;
    else {
      chars += size;
      failedArtifacts.push(artifact);
    }
  }
  return { failedArtifacts, omittedCount: omitted };
}

function detail(f: Flavour, maxArtifacts: number): fc.Arbitrary<FailureDetail> {
  const available = fc
    .record(
      { artifacts: fc.array(failedArtifact(f), { maxLength: maxArtifacts }), omitted: fc.oneof(fc.constant(0), fc.nat({ max: 5_000 })), bulkIssues: fc.option(fc.array(bulkIssue(f), { maxLength: MAX_BULK_ISSUES + 3 }), { nil: undefined }) },
    )
    .map(({ artifacts, omitted, bulkIssues }): FailureDetail => ({ available: true, ...withinRecord(artifacts, omitted), ...(bulkIssues !== undefined && { bulkIssues }) }));
  const unavailable = f.text(MAX_SESSION_TEXT_CHARS.message).map((reason): FailureDetail => ({ available: false, reason }));
  return fc.oneof({ weight: 5, arbitrary: available }, { weight: 1, arbitrary: unavailable });
}

function alertOf(f: Flavour, maxArtifacts: number): fc.Arbitrary<Alert> {
  return fc.tuple(session(f), detail(f, maxArtifacts), fc.constantFrom<AlertKind>("status", "status", "stuck", "reminder"), isoTime).map(([s, d, kind, recordedAt]) => ({
    id: alertId(s.id, kind, s.status, kind === "reminder" ? 1 : undefined),
    tenantId: "7e1a0c5d-3b1f-4f63-9d2a-0c6f5e8b4a11",
    kind,
    status: s.status,
    session: s,
    detail: d,
    recordedAt,
    runId: "20260714T110500-0a1b2c3d",
  }));
}

/** An alert with anything in it: what a renderer must survive. */
export const rawAlert = (maxArtifacts = 8): fc.Arbitrary<Alert> => alertOf(RAW, maxArtifacts);

/** An alert as ingestion bounds it: what the state table keeps and gives back. */
export const storedAlert = (maxArtifacts = 8): fc.Arbitrary<Alert> => alertOf(STORED, maxArtifacts);

/** A few failed artifacts with hostile, often equal, names: for the order they are listed in. */
export const namedArtifacts: fc.Arbitrary<FailedArtifact[]> = fc.array(failedArtifact(RAW), { maxLength: 30 });

/** Values that no alert restorewatch writes may hold, per field of a stored failed artifact or bulk request. */
export const OVER_BOUND = {
  text: (max: number) => fc.tuple(fc.integer({ min: max + 1, max: max * 3 }), fc.constantFrom(...CHARS)).map(([n, c]) => c.repeat(n).slice(0, n)),
  notHttps: fc.oneof(
    fc.constantFrom("javascript:alert(1)", "http://contoso.sharepoint.com/sites/hr", "data:text/html,<script>alert(1)</script>", " https://x", "//evil.example", "", "ftp://x"),
    fc.webUrl({ validSchemes: ["http", "ftp", "javascript"] }),
  ),
  notString: fc.oneof(fc.integer(), fc.boolean(), fc.array(fc.string(), { maxLength: 2 }), fc.dictionary(fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 }), { maxKeys: 2 })),
  notKind: fc.string({ maxLength: 12 }).filter((kind) => !(ARTIFACT_KINDS as readonly string[]).includes(kind)),
} as const;

// @vitest-environment jsdom
import fc from "fast-check";
import { inertLinks } from "../../shared/alerts/inertLinks";
import { describe, expect, it } from "vitest";
import type { Alert, AlertKind, FailureDetail } from "../../shared/domain/alert";
import { EMAIL_HTML_BUDGET_BYTES, EMAIL_MAX_ROWS_PER_SESSION, EMAIL_TEXT_BUDGET_BYTES, renderEmail, type RenderedEmail } from "../../shared/alerts/renderEmail";
import { renderTeamsMessage, TEAMS_CARD_BUDGET_BYTES } from "../../shared/alerts/renderTeamsCard";
import { ADMIN_CENTER_URL, messageSubject, sessionFacts, singleLine, truncate } from "../../shared/alerts/summary";
import { parseRestoreSession } from "../../shared/graph/restoreSession";
import { fetchFailureDetail } from "../../shared/graph/failureDetail";
import { markdownModel, renderCard, teamsMessageProblems } from "../alerts/adaptiveCardCheck";
import { TEAMS_MAX_POST_BYTES } from "../../local/emulators/teamsReceiver";
import { alertFor, graphText, pagedGraph, rawArtifact, rawSession, wellTypedSession } from "./graphPayloads";

const runs = (numRuns: number) => ({ numRuns, seed: 20261128 });
/** ACS takes at most 10 MB per request: the message JSON, both bodies included. */
const ACS_MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/** What each renderer shows of a fact value at most (renderEmail / renderTeamsCard). */
const EMAIL_FACT_CHARS = 500;
const TEAMS_FACT_CHARS = 200;
const ZWSP = /\u200b/g;

const ALLOWED_ELEMENTS = new Set(["HTML", "HEAD", "META", "TITLE", "BODY", "H1", "H2", "P", "TABLE", "THEAD", "TBODY", "TR", "TH", "TD", "SPAN", "BR", "A"]);
const ALLOWED_ATTRIBUTES = new Set(["lang", "charset", "name", "content", "style", "role", "cellpadding", "cellspacing", "href"]);

/**
 * An alert as a run would record it from arbitrary Graph payloads: the session parsed by the real
 * parser (payloads it skips are dropped), the failed artifacts by the real artifact parser, or the
 * detail unavailable for an arbitrary reason.
 */
const alertFromGraph: fc.Arbitrary<Promise<Alert | undefined>> = fc
  .tuple(
    fc.oneof(rawSession, wellTypedSession),
    fc.oneof({ weight: 4, arbitrary: fc.array(rawArtifact, { maxLength: 12 }) }, { weight: 1, arbitrary: graphText }),
    fc.constantFrom<AlertKind>("status", "status", "stuck", "reminder"),
  )
  .map(async ([item, artifacts, kind]) => {
    const parsed = parseRestoreSession(item);
    if (!parsed.ok) return undefined;
    const detail: FailureDetail = typeof artifacts === "string" ? { available: false, reason: artifacts } : await fetchFailureDetail(pagedGraph(artifacts, 5, "/artifacts"), parsed.session);
    return alertFor(parsed.session, detail, kind);
  });

const alertsFromGraph = (maxLength: number) =>
  fc.array(alertFromGraph, { minLength: 1, maxLength }).map(async (pending) => (await Promise.all(pending)).filter((alert): alert is Alert => alert !== undefined));

function documentOf(html: string): Document {
  return new DOMParser().parseFromString(html, "text/html");
}

/** Checks an email: markup only of ours, every fact shown literally, within ACS's request limit. */
function expectSafeEmail(alerts: readonly Alert[], email: RenderedEmail): void {
  expect(email.subject).toBe(messageSubject(alerts));
  expect(email.subject).not.toMatch(/[\r\n]/);
  const document = documentOf(email.html);
  const all = Array.from(document.querySelectorAll("*"));
  expect(all.map((element) => element.tagName).filter((tag) => !ALLOWED_ELEMENTS.has(tag))).toEqual([]);
  expect(all.flatMap((element) => element.getAttributeNames()).filter((name) => !ALLOWED_ATTRIBUTES.has(name))).toEqual([]);
  expect(Array.from(document.querySelectorAll("a")).map((a) => a.getAttribute("href"))).toEqual([ADMIN_CENTER_URL]);

  // Each section's facts, as the reader sees them: exactly the (cut, single-line) values from Graph.
  const factTables = Array.from(document.querySelectorAll('table[role="presentation"] table[role="presentation"]'));
  alerts.slice(0, factTables.length).forEach((alert, index) => {
    const shown = Array.from(factTables[index]?.querySelectorAll("tr") ?? []).map((row) => [row.querySelector("th")?.textContent, row.querySelector("td")?.textContent]);
    const values = sessionFacts(alert).map((fact) => [fact.label, truncate(singleLine(fact.value), EMAIL_FACT_CHARS)] as const);
    // Shown with its links made inert; the plain-text body keeps them as Graph sent them.
    expect(shown).toEqual(values.map(([label, value]) => [label, inertLinks(value)]));
    for (const [label, value] of values) expect(email.plainText).toContain(`${label}: ${value}\n`);
  });
  // Nothing in the HTML's text that a mail client would turn into a link.
  expect(document.body.textContent ?? "").not.toMatch(/[a-z0-9+.-]:\/\/|\bwww\./i);

  const request = { senderAddress: "alerts@contoso.com", content: { subject: email.subject, html: email.html, plainText: email.plainText }, recipients: { to: [{ address: "a@contoso.com" }] } };
  expect(Buffer.byteLength(JSON.stringify(request))).toBeLessThan(ACS_MAX_REQUEST_BYTES);
}

type Json = Record<string, unknown>;

function cardElements(node: unknown, into: Json[] = []): Json[] {
  if (Array.isArray(node)) node.forEach((child) => cardElements(child, into));
  else if (typeof node === "object" && node !== null) {
    const element = node as Json;
    if (typeof element["type"] === "string") into.push(element);
    for (const key of ["body", "items", "columns", "inlines"]) cardElements(element[key], into);
  }
  return into;
}

/** What Teams' Markdown makes of a TextBlock or fact value: text only, no element of the input's. */
function shownByMarkdown(value: string): { text: string; elements: number } {
  const holder = document.createElement("div");
  holder.innerHTML = markdownModel(value);
  return { text: (holder.textContent ?? "").replace(ZWSP, ""), elements: holder.querySelectorAll("*").length };
}

/** Checks a Teams message: a valid card, within the post limit, Graph values shown literally, nothing evaluated. */
function expectSafeCard(alerts: readonly Alert[], body: object, bytes: number): void {
  expect(teamsMessageProblems(body)).toEqual([]);
  expect(bytes).toBe(Buffer.byteLength(JSON.stringify(body), "utf8"));
  expect(bytes).toBeLessThanOrEqual(Math.min(TEAMS_CARD_BUDGET_BYTES, TEAMS_MAX_POST_BYTES));
  // No Adaptive Card template, DATE/TIME function or Power Automate expression survives.
  expect(JSON.stringify(body)).not.toMatch(/\{\{|\$\{|@\{/);

  const card = (body as { attachments: { content: Json }[] }).attachments[0]?.content as Json;
  const sections = (card["body"] as Json[]).filter((element) => element["type"] === "Container");
  sections.forEach((section, index) => {
    const alert = alerts[index] as Alert;
    const facts = cardElements(section).filter((element) => element["type"] === "FactSet").flatMap((element) => element["facts"] as { title: string; value: string }[]);
    const shown = facts.map((fact) => {
      const rendered = shownByMarkdown(fact.value);
      expect(rendered.elements, `fact ${fact.title} rendered markup`).toBe(0);
      return [fact.title, rendered.text];
    });
    expect(shown).toEqual(sessionFacts(alert).map((fact) => [fact.label, inertLinks(truncate(singleLine(fact.value), TEAMS_FACT_CHARS)).replace(ZWSP, "")]));
    for (const [, text] of shown) expect(text).not.toMatch(/[a-z0-9+.-]:\/\/|\bwww\./i);
  });
  for (const block of cardElements(card["body"]).filter((element) => element["type"] === "TextBlock")) {
    const rendered = shownByMarkdown(block["text"] as string);
    expect(rendered.elements).toBe(0);
    expect(rendered.text).not.toMatch(/[a-z0-9+.-]:\/\/|\bwww\./i);
  }
  const rendered = renderCard(body);
  expect(rendered.querySelectorAll("a, strong, em, h1, h2, li, blockquote, script, img, at, iframe").length).toBe(0);
}

describe("renderers on alerts made from arbitrary Graph payloads", () => {
  it("email: never throws; only our markup; every value escaped and shown as it came; within ACS's 10 MB", async () => {
    await fc.assert(
      fc.asyncProperty(alertsFromGraph(6), async (pending) => {
        const alerts = await pending;
        if (alerts.length === 0) return;
        expectSafeEmail(alerts, renderEmail(alerts));
      }),
      runs(150),
    );
  });

  it("Teams: never throws; a valid Adaptive Card within the post limit; values shown literally, nothing evaluated", async () => {
    await fc.assert(
      fc.asyncProperty(alertsFromGraph(6), async (pending) => {
        const alerts = await pending;
        if (alerts.length === 0) return;
        const { body, bytes } = renderTeamsMessage(alerts);
        expectSafeCard(alerts, body, bytes);
      }),
      runs(120),
    );
  });

  it("thousands of failed artifacts with hostile names: both renderers cut to their limits and count the rest", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1_500, max: 3_000 }), graphText, wellTypedSession, async (count, name, item) => {
        const parsed = parseRestoreSession({ ...item, status: "failed" });
        if (!parsed.ok) throw new Error(parsed.reason);
        const artifacts = Array.from({ length: count }, (_, i) => ({ id: `artifact-${i}`, status: "failed", restoredSiteName: `${name}${i}`, error: { code: "ArtifactCannotBeRestored", message: name } }));
        const detail = await fetchFailureDetail(pagedGraph(artifacts, 999, "/artifacts"), parsed.session);
        const alert = alertFor(parsed.session, detail);

        const email = renderEmail([alert]);
        expectSafeEmail([alert], email);
        expect(Buffer.byteLength(email.html)).toBeLessThanOrEqual(EMAIL_HTML_BUDGET_BYTES);
        expect(Buffer.byteLength(email.plainText)).toBeLessThanOrEqual(EMAIL_TEXT_BUDGET_BYTES);
        // Rows of the failed-items table (the one with a header row).
        const rows = Array.from(documentOf(email.html).querySelectorAll("thead")).reduce((sum, head) => sum + ((head.parentElement as HTMLTableElement).tBodies[0]?.rows.length ?? 0), 0);
        expect(rows).toBeLessThanOrEqual(EMAIL_MAX_ROWS_PER_SESSION);
        expect(email.plainText).toContain(`and ${(count - rows).toLocaleString("en-US")} more failed`);

        const { body, bytes } = renderTeamsMessage([alert]);
        expectSafeCard([alert], body, bytes);
      }),
      runs(2),
    );
  });

  it("the worst digest: 520 sessions, every value at its longest and most expensive to encode, still within ACS's 10 MB", async () => {
    // Lone surrogates cost 6 bytes each in the request JSON, quotes 6 in HTML (&quot;) and 2 in JSON text.
    for (const char of ["\ud800", '"']) {
      for (const unavailable of [true, false]) {
        const long = char.repeat(100_000);
        const alerts = await Promise.all(
          Array.from({ length: 520 }, async (_, i) => {
            const item = {
              "@odata.type": "#microsoft.graph.sharePointRestoreSession",
              id: `${String(i).padStart(8, "0")}-${"a".repeat(180)}`,
              status: "failed",
              restoreJobType: long,
              createdBy: { user: { displayName: long } },
              createdDateTime: "2026-07-14T09:15:00.1234567Z",
              error: { code: long, message: long },
            };
            const parsed = parseRestoreSession(item);
            if (!parsed.ok) throw new Error(parsed.reason);
            const artifacts = [{ id: long.slice(0, 5_000), status: "failed", restoredSiteName: long, error: { code: long, message: long } }];
            const detail: FailureDetail = unavailable ? { available: false, reason: long } : await fetchFailureDetail(pagedGraph(artifacts, 10, "/a"), parsed.session);
            return alertFor(parsed.session, detail);
          }),
        );
        const email = renderEmail(alerts);
        const request = JSON.stringify({ senderAddress: "alerts@contoso.com", content: { subject: email.subject, html: email.html, plainText: email.plainText } });
        expect(Buffer.byteLength(request), `${JSON.stringify(char)}, detail unavailable: ${unavailable}`).toBeLessThan(ACS_MAX_REQUEST_BYTES);
        expect(Buffer.byteLength(email.html)).toBeLessThanOrEqual(EMAIL_HTML_BUDGET_BYTES);
        expect(Buffer.byteLength(email.plainText)).toBeLessThanOrEqual(EMAIL_TEXT_BUDGET_BYTES);
        // Sessions without a section are counted, not dropped silently.
        const sections = (email.plainText.match(/^Session id: /gm) ?? []).length;
        expect(sections).toBeGreaterThan(0);
        if (sections < alerts.length) expect(email.plainText).toContain(`and ${(alerts.length - sections).toLocaleString("en-US")} more restore sessions not shown here`);
        const { body, bytes } = renderTeamsMessage(alerts);
        expect(teamsMessageProblems(body)).toEqual([]);
        expect(bytes).toBeLessThanOrEqual(TEAMS_CARD_BUDGET_BYTES);
      }
    }
  });
});

describe("summary helpers on arbitrary text", () => {
  it("truncate cuts by code point exactly like the definition, and singleLine leaves one line", () => {
    const reference = (value: string, max: number): string => {
      const chars = Array.from(value);
      return chars.length <= max ? value : `${chars.slice(0, Math.max(0, max - 1)).join("")}…`;
    };
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary", maxLength: 80 }), fc.string({ unit: "grapheme", maxLength: 40 })), fc.integer({ min: 0, max: 60 }), (value, max) => {
        expect(truncate(value, max)).toBe(reference(value, max));
        expect(singleLine(value)).not.toMatch(/[\u0000-\u001f\u007f\u2028\u2029]/);
      }),
      runs(500),
    );
  });
});

// @vitest-environment jsdom
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Alert, FailedArtifact } from "../../shared/domain/alert";
import type { Workload } from "../../shared/domain/restoreSession";
import { MAX_ARTIFACT_TEXT_CHARS, MAX_BULK_ISSUES, MAX_SESSION_TEXT_CHARS } from "../../shared/domain/textBounds";
import { inertLinks } from "../../shared/alerts/inertLinks";
import { artifactLines, sortedArtifacts } from "../../shared/alerts/artifactLines";
import { bulkIssueLines } from "../../shared/alerts/bulkIssueLines";
import { CARD_ITEM_CHARS } from "../../shared/alerts/cardItems";
import { EMAIL_ITEM_CHARS } from "../../shared/alerts/emailItems";
import { EMAIL_HTML_BUDGET_BYTES, EMAIL_MAX_ROWS_PER_SESSION, EMAIL_TEXT_BUDGET_BYTES, renderEmail, type RenderedEmail } from "../../shared/alerts/renderEmail";
import { breakTemplates, renderTeamsMessage, TEAMS_CARD_BUDGET_BYTES } from "../../shared/alerts/renderTeamsCard";
import { ADMIN_CENTER_URL, messageSubject, sessionFacts, singleLine, truncate } from "../../shared/alerts/summary";
import { readAlert } from "../../shared/state/alertRow";
import { alertToEntity, entityToAlert, storableBulkIssues } from "../../shared/state/entities";
import { TEAMS_MAX_POST_BYTES } from "../../local/emulators/teamsReceiver";
import { markdownModel, renderCard, teamsMessageProblems } from "../alerts/adaptiveCardCheck";
import { cardElements } from "../alerts/renderedItems";
import { hostileText, namedArtifacts, OVER_BOUND, rawAlert, storedAlert } from "./alertPayloads";

/**
 * Properties of the renderers and of the stored form of an alert, over generated alerts whose every
 * field is missing, empty, oversized, full of control characters or hostile (alertPayloads.ts).
 * Inputs in all: the sum of the numRuns below (see RUNS), with a fixed seed so a failure reproduces.
 */
const RUNS = {
  emailFull: 150,
  cardFull: 100,
  cardRendered: 25,
  emailEscapes: 800,
  cardEscapes: 500,
  order: 300,
  roundTrip: 1_500,
  tampered: 1_000,
  untrusted: 600,
  truncate: 500,
  thousands: 2,
} as const;
const runs = (numRuns: number) => ({ numRuns, seed: 20261202 });

/** ACS takes at most 10 MB per request: the message JSON, both bodies included. */
const ACS_MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/** Table Storage: at most 32K UTF-16 characters per string property. */
const MAX_PROPERTY_CHARS = 32 * 1024;
/** What each renderer shows of a fact value at most (renderEmail / renderTeamsCard). */
const EMAIL_FACT_CHARS = 500;
const TEAMS_FACT_CHARS = 200;
const ZWSP = /\u200b/g;
const A = MAX_ARTIFACT_TEXT_CHARS;
const S = MAX_SESSION_TEXT_CHARS;
const PENDING = { email: { state: "pending", attempts: 0 }, teams: { state: "pending", attempts: 0 } } as const;

const ALLOWED_ELEMENTS = new Set(["HTML", "HEAD", "META", "TITLE", "BODY", "H1", "H2", "P", "TABLE", "THEAD", "TBODY", "TR", "TH", "TD", "SPAN", "BR", "A"]);
const ALLOWED_ATTRIBUTES = new Set(["lang", "charset", "name", "content", "style", "role", "cellpadding", "cellspacing", "href"]);
/** A link a mail client or Teams would make clickable in text. */
const LIVE_LINK = /[a-z0-9+.-]:\/\/|\bwww\./i;

type Json = Record<string, unknown>;

function documentOf(html: string): Document {
  return new DOMParser().parseFromString(html, "text/html");
}

/** The alert as the state table gives it back: written by entities.ts, stored as JSON, read by alertRow.ts. */
function throughTable(alert: Alert): ReturnType<typeof entityToAlert> {
  const entity = alertToEntity(alert, PENDING);
  return entityToAlert(JSON.parse(JSON.stringify({ ...entity, etag: "W/x" })) as Json);
}

/** The failed artifacts of an alert in the order the renderers list them. */
function listed(alert: Alert): FailedArtifact[] {
  return alert.detail.available ? sortedArtifacts(alert.detail.failedArtifacts) : [];
}

// ---------------------------------------------------------------------------------------------
// Full checks: the email parsed by jsdom, the card validated by adaptivecards and rendered.

/** The rows of a section's table whose first column is `title`: first-cell lines and other cells. */
function sectionRows(section: Element, title: string): { lines: string[]; cells: string[] }[] {
  const head = Array.from(section.querySelectorAll("thead")).find((candidate) => candidate.querySelector("th")?.textContent === title);
  return Array.from((head?.parentElement as HTMLTableElement | undefined)?.tBodies[0]?.rows ?? []).map((row) => {
    const [first, ...rest] = Array.from(row.cells);
    const own = Array.from(first?.childNodes ?? []).filter((node) => node.nodeType === 3).map((node) => node.textContent ?? "").join("");
    return { lines: [own, ...Array.from(first?.querySelectorAll("span") ?? []).map((span) => span.textContent ?? "")], cells: rest.map((cell) => cell.textContent ?? "") };
  });
}

/** Checks an email: markup only of ours, every value shown as the text it is (links inert), within the limits. */
function expectSafeEmail(alerts: readonly Alert[], email: RenderedEmail): void {
  expect(email.subject).toBe(messageSubject(alerts));
  expect(email.subject).not.toMatch(/[\r\n]/);
  const document = documentOf(email.html);
  const all = Array.from(document.querySelectorAll("*"));
  expect(all.map((element) => element.tagName).filter((tag) => !ALLOWED_ELEMENTS.has(tag))).toEqual([]);
  expect(all.flatMap((element) => element.getAttributeNames()).filter((name) => !ALLOWED_ATTRIBUTES.has(name))).toEqual([]);
  expect(Array.from(document.querySelectorAll("a")).map((a) => a.getAttribute("href"))).toEqual([ADMIN_CENTER_URL]);

  const sections = Array.from(document.querySelectorAll("body > table[role='presentation']"));
  sections.forEach((section, index) => {
    const alert = alerts[index] as Alert;
    const shownFacts = Array.from(section.querySelector("table[role='presentation']")?.querySelectorAll("tr") ?? []).map((row) => [row.querySelector("th")?.textContent, row.querySelector("td")?.textContent]);
    const facts = sessionFacts(alert).map((fact) => [fact.label, truncate(singleLine(fact.value), EMAIL_FACT_CHARS)] as const);
    expect(shownFacts).toEqual(facts.map(([label, value]) => [label, inertLinks(value)]));
    for (const [label, value] of facts) expect(email.plainText).toContain(`${label}: ${value}\n`);
    // Each failed item and bulk request: exactly the text meant, so nothing of it was read as markup.
    const workload = alert.session.workload;
    const artifacts = listed(alert);
    sectionRows(section, "Failed item").forEach((row, rowIndex) => {
      const artifact = artifacts[rowIndex] as FailedArtifact;
      const lines = artifactLines(artifact, workload, EMAIL_ITEM_CHARS);
      expect(row.lines).toEqual([lines.title, ...lines.details].map(inertLinks));
      expect(row.cells.slice(0, 2)).toEqual([artifact.errorCode, artifact.errorMessage].map((text, at) => inertLinks(truncate(singleLine(text ?? ""), at === 0 ? EMAIL_ITEM_CHARS.code : EMAIL_ITEM_CHARS.message))));
    });
    const issues = alert.detail.available ? (alert.detail.bulkIssues ?? []) : [];
    sectionRows(section, "Bulk request").forEach((row, rowIndex) => {
      const lines = bulkIssueLines(issues[rowIndex] as NonNullable<typeof issues[number]>, workload, EMAIL_ITEM_CHARS);
      expect(row).toEqual({ lines: [lines.title, ...lines.details].map(inertLinks), cells: [lines.errorCode, lines.errorMessage].map(inertLinks) });
    });
  });
  expect(document.body.textContent ?? "").not.toMatch(LIVE_LINK);
  expect(Buffer.byteLength(email.html)).toBeLessThanOrEqual(EMAIL_HTML_BUDGET_BYTES);
  expect(Buffer.byteLength(email.plainText)).toBeLessThanOrEqual(EMAIL_TEXT_BUDGET_BYTES);
  const request = { senderAddress: "alerts@contoso.com", content: { subject: email.subject, html: email.html, plainText: email.plainText }, recipients: { to: [{ address: "a@contoso.com" }] } };
  expect(Buffer.byteLength(JSON.stringify(request))).toBeLessThan(ACS_MAX_REQUEST_BYTES);
}

/** What Teams' Markdown makes of a TextBlock or fact value: text only, no element of the input's. */
function shownByMarkdown(value: string): { text: string; elements: number } {
  const holder = document.createElement("div");
  holder.innerHTML = markdownModel(value);
  return { text: (holder.textContent ?? "").replace(ZWSP, ""), elements: holder.querySelectorAll("*").length };
}

/** The rows of a card section's table whose first column is `title`: the TextRuns of each column. */
function cardSectionRows(section: Json, title: string): string[][] {
  const rows: string[][] = [];
  let inTable = false;
  for (const element of cardElements(section["items"])) {
    if (element["type"] !== "ColumnSet") continue;
    const columns = (element["columns"] as Json[]).map((column) => cardElements(column["items"]).filter((e) => e["type"] === "TextRun" || e["type"] === "TextBlock").map((e) => e["text"] as string));
    if (element["separator"] === true) inTable = columns[0]?.[0] === title;
    else if (inTable) rows.push(columns.flat());
  }
  return rows;
}

/**
 * Checks a Teams message: a valid card within the post limit, Graph values shown literally, nothing
 * evaluated. With render, the card is also rendered by the adaptivecards library in jsdom (slow).
 */
function expectSafeCard(alerts: readonly Alert[], body: object, bytes: number, { render }: { render: boolean }): void {
  expect(teamsMessageProblems(body)).toEqual([]);
  expectCardWithinLimits(body, bytes);
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
    const artifacts = listed(alert);
    cardSectionRows(section, "Failed item").forEach((texts, rowIndex) => {
      const artifact = artifacts[rowIndex] as FailedArtifact;
      const lines = artifactLines(artifact, alert.session.workload, CARD_ITEM_CHARS);
      const cells = [artifact.errorCode, artifact.errorMessage].map((text, at) => truncate(singleLine(text ?? ""), at === 0 ? CARD_ITEM_CHARS.code : CARD_ITEM_CHARS.message));
      expect(texts).toEqual([lines.title, ...lines.details, ...cells].map((text) => breakTemplates(inertLinks(text))));
    });
  });
  for (const block of cardElements(card["body"]).filter((element) => element["type"] === "TextBlock")) {
    const rendered = shownByMarkdown(block["text"] as string);
    expect(rendered.elements).toBe(0);
    expect(rendered.text).not.toMatch(LIVE_LINK);
  }
  if (!render) return;
  const rendered = renderCard(body);
  expect(rendered.querySelectorAll("a, strong, em, h1, h2, li, blockquote, script, img, at, iframe").length).toBe(0);
  expect((rendered.textContent ?? "").replace(ZWSP, "")).not.toMatch(LIVE_LINK);
}

// ---------------------------------------------------------------------------------------------
// Cheap checks on the output as text: what holds of every rendering without parsing it.

const OUR_TAG = /^<\/?(?:html|head|meta|title|body|h1|h2|p|table|thead|tbody|tr|th|td|span|br|a)(?:\s[a-z-]+="[^"<>]*")*\s*>$/;

function expectEscapedEmail(email: RenderedEmail): void {
  const html = email.html.replace(/^<!DOCTYPE html>/, "");
  // Every `<` opens one of our tags, with our attributes only; every quote in a value is escaped.
  for (const tag of html.match(/<[^>]*>?/g) ?? []) expect(tag).toMatch(OUR_TAG);
  expect(html.match(/\shref="/g)).toHaveLength(1);
  expect(html.replace(`href="${ADMIN_CENTER_URL}"`, "")).not.toMatch(LIVE_LINK);
  expect(`${email.subject}\n${html}\n${email.plainText}`).not.toMatch(/\bundefined\b|\bNaN\b/);
  expect(Buffer.byteLength(email.html)).toBeLessThanOrEqual(EMAIL_HTML_BUDGET_BYTES);
  expect(Buffer.byteLength(email.plainText)).toBeLessThanOrEqual(EMAIL_TEXT_BUDGET_BYTES);
}

/** A Markdown-significant character without its backslash, or a `<` that could open a tag. */
function hasUnescapedMarkdown(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const char = text.charAt(index);
    if (char === "\\") {
      index++;
      continue;
    }
    if ("*_[]`~>&|".includes(char)) return true;
    if (char === "<" && text.charAt(index + 1) !== "\u200b") return true;
  }
  return false;
}

function expectCardWithinLimits(body: object, bytes: number): void {
  expect(bytes).toBe(Buffer.byteLength(JSON.stringify(body), "utf8"));
  expect(bytes).toBeLessThanOrEqual(Math.min(TEAMS_CARD_BUDGET_BYTES, TEAMS_MAX_POST_BYTES));
  // No Adaptive Card template, DATE/TIME function or Power Automate expression survives.
  expect(JSON.stringify(body)).not.toMatch(/\{\{|\$\{|@\{/);
}

function expectEscapedCard(body: object, bytes: number): void {
  expectCardWithinLimits(body, bytes);
  const card = (body as { attachments: { content: Json }[] }).attachments[0]?.content as Json;
  const elements = cardElements(card["body"]);
  const markdown = [
    ...elements.filter((element) => element["type"] === "TextBlock").map((element) => element["text"] as string),
    ...elements.filter((element) => element["type"] === "FactSet").flatMap((element) => (element["facts"] as { value: string }[]).map((fact) => fact.value)),
  ];
  for (const text of markdown) expect(hasUnescapedMarkdown(text), text).toBe(false);
  const runs = elements.filter((element) => element["type"] === "TextRun").map((element) => element["text"] as string);
  for (const text of [...markdown, ...runs]) {
    expect(text.replace(ZWSP, "")).not.toMatch(LIVE_LINK);
    expect(text).not.toMatch(/\bundefined\b|\bNaN\b/);
  }
}

describe("renderers on generated alerts", () => {
  it("email: never throws; only our markup; every value shown as the text it is, links inert; within ACS's 10 MB (full parse)", () => {
    fc.assert(
      fc.property(fc.array(rawAlert(6), { minLength: 1, maxLength: 3 }), (alerts) => expectSafeEmail(alerts, renderEmail(alerts))),
      runs(RUNS.emailFull),
    );
  });

  it("Teams: never throws; a valid Adaptive Card within the post limit; values shown literally, nothing evaluated (validated)", () => {
    fc.assert(
      fc.property(fc.array(rawAlert(), { minLength: 1, maxLength: 4 }), (alerts) => {
        const { body, bytes } = renderTeamsMessage(alerts);
        expectSafeCard(alerts, body, bytes, { render: false });
      }),
      runs(RUNS.cardFull),
    );
  });

  it("Teams: rendered by the adaptivecards library, the card shows no link, emphasis, heading, list or mention of Graph's", () => {
    fc.assert(
      fc.property(fc.array(rawAlert(), { minLength: 1, maxLength: 3 }), (alerts) => {
        const { body, bytes } = renderTeamsMessage(alerts);
        expectSafeCard(alerts, body, bytes, { render: true });
      }),
      runs(RUNS.cardRendered),
    );
  });

  it("email: every value escaped, no live link, no undefined or NaN, within budget (many inputs)", () => {
    fc.assert(
      fc.property(rawAlert(12), (alert) => expectEscapedEmail(renderEmail([alert]))),
      runs(RUNS.emailEscapes),
    );
  });

  it("Teams: within the card budget, Markdown escaped, no live link, nothing evaluated, no undefined or NaN (many inputs)", () => {
    fc.assert(
      fc.property(rawAlert(12), (alert) => {
        const { body, bytes } = renderTeamsMessage([alert]);
        expectEscapedCard(body, bytes);
      }),
      runs(RUNS.cardEscapes),
    );
  });

  it("lists failed items by name (case-insensitive, locale-aware), the unnamed after them by id, in every renderer", () => {
    const collate = (a: string, b: string) => a.localeCompare(b, "en", { sensitivity: "accent", numeric: true });
    const nameOf = (artifact: FailedArtifact) => (artifact.name === undefined ? "" : truncate(singleLine(artifact.name), 500));
    // The unnamed are ordered by the id they are known by: the owner's object id, else the site id, else their own.
    const idOf = (artifact: FailedArtifact) => [artifact.objectId, artifact.siteId, artifact.id].map((id) => truncate(singleLine(id ?? ""), 500)).find((id) => id !== "") ?? "";
    fc.assert(
      fc.property(namedArtifacts, fc.constantFrom<Workload>("exchange", "sharePoint", "oneDrive", "unknown"), (artifacts, workload) => {
        const sorted = sortedArtifacts(artifacts);
        expect([...sorted].sort((a, b) => artifacts.indexOf(a) - artifacts.indexOf(b))).toEqual(artifacts);
        const named = sorted.findIndex((artifact) => nameOf(artifact) === "");
        const firstUnnamed = named === -1 ? sorted.length : named;
        sorted.forEach((artifact, index) => expect(nameOf(artifact) === "").toBe(index >= firstUnnamed));
        for (let index = 1; index < firstUnnamed; index++) expect(collate(nameOf(sorted[index - 1] as FailedArtifact), nameOf(sorted[index] as FailedArtifact))).toBeLessThanOrEqual(0);
        for (let index = firstUnnamed + 1; index < sorted.length; index++) expect(collate(idOf(sorted[index - 1] as FailedArtifact), idOf(sorted[index] as FailedArtifact))).toBeLessThanOrEqual(0);
        // The email lists them in this order.
        const alert: Alert = { id: "s_failed", tenantId: "t", kind: "status", status: "failed", session: { id: "s", workload, status: "failed" }, detail: { available: true, failedArtifacts: artifacts, omittedCount: 0 }, recordedAt: "2026-07-14T11:05:00Z", runId: "r" };
        const titles = [...renderEmail([alert]).plainText.matchAll(/^- (.*)$/gm)].map((match) => match[1]);
        expect(titles).toEqual(sorted.map((artifact) => artifactLines(artifact, workload, EMAIL_ITEM_CHARS).title));
      }),
      runs(RUNS.order),
    );
  });

  it("thousands of failed artifacts with hostile names: both renderers cut to their limits and count the rest", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1_500, max: 3_000 }), hostileText, storedAlert(0), (count, name, base) => {
        const failedArtifacts = Array.from({ length: count }, (_, i) => ({ id: `artifact-${i}`, kind: "site" as const, name: `${name}${i}`, webUrl: "https://contoso.sharepoint.com/sites/x", errorCode: "ArtifactCannotBeRestored", errorMessage: name }));
        const alert: Alert = { ...base, kind: "status", id: `${base.session.id}_${base.status}`, detail: { available: true, failedArtifacts, omittedCount: 0 } };
        const email = renderEmail([alert]);
        expectSafeEmail([alert], email);
        const rows = sectionRows(documentOf(email.html).querySelector("body > table") as Element, "Failed item").length;
        expect(rows).toBeLessThanOrEqual(EMAIL_MAX_ROWS_PER_SESSION);
        expect(email.plainText).toContain(`and ${(count - rows).toLocaleString("en-US")} more failed`);
        const { body, bytes } = renderTeamsMessage([alert]);
        expectSafeCard([alert], body, bytes, { render: false });
      }),
      runs(RUNS.thousands),
    );
  });

  it("the worst digest: 520 sessions, every value at its longest and most expensive to encode, still within ACS's 10 MB", () => {
    // Lone surrogates cost 6 bytes each in the request JSON, quotes 6 in HTML (&quot;) and 2 in JSON text.
    for (const char of ["\ud800", '"']) {
      for (const unavailable of [true, false]) {
        // Each value as long as an alert keeps it (ingestion cuts to these; the renderers cut further).
        const long = (max: number) => char.repeat(max);
        const alerts = Array.from({ length: 520 }, (_, i): Alert => {
          const id = `${String(i).padStart(8, "0")}-${"a".repeat(180)}`;
          const artifact = {
            id: long(A.id),
            kind: "mailbox" as const,
            name: long(A.name),
            address: long(A.address),
            objectId: long(A.id),
            itemPath: long(A.path),
            webUrl: `https://${long(A.url - 8)}`,
            restoredTo: long(A.name),
            restoredToUrl: `https://${long(A.url - 8)}`,
            errorCode: long(A.code),
            errorMessage: long(A.message),
          };
          const issue = { id: long(A.id), displayName: long(A.name), status: long(A.code), errorCode: long(A.code), errorMessage: long(A.message), requestedCount: 10_000 };
          return {
            id: `${id}_failed`,
            tenantId: "t",
            kind: "status",
            status: "failed",
            session: { id, workload: "unknown", odataType: long(A.type), status: "failed", restoreJobType: long(S.code), createdBy: long(S.name), createdDateTime: "2026-07-14T09:15:00.1234567Z", error: { code: long(S.code), message: long(S.message) } },
            detail: unavailable ? { available: false, reason: long(S.message) } : { available: true, failedArtifacts: [artifact], omittedCount: 0, bulkIssues: Array.from({ length: MAX_BULK_ISSUES }, () => issue) },
            recordedAt: "2026-07-14T11:05:00Z",
            runId: "r",
          };
        });
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

// ---------------------------------------------------------------------------------------------
// The stored form: written by entities.ts, read back with re-validation by alertRow.ts.

/** A change to a written row that no alert restorewatch writes could have: re-validation must refuse it. */
const ARTIFACT_TAMPERING = fc.oneof(
  fc
    .constantFrom<[string, number]>(["id", A.id], ["name", A.name], ["address", A.address], ["objectId", A.id], ["siteId", A.id], ["itemPath", A.path], ["restoredTo", A.name], ["unknownType", A.type], ["errorCode", A.code], ["errorMessage", A.message], ["destinationType", A.code], ["webUrl", A.url], ["restoredToUrl", A.url])
    .chain(([key, max]) => (key.endsWith("Url") ? OVER_BOUND.text(max - 8).map((text) => `https://${text}`) : OVER_BOUND.text(max)).map((value) => ({ key, value: value as unknown, reason: `${key}: is longer than ${max} characters` }))),
  fc.tuple(fc.constantFrom("webUrl", "restoredToUrl"), OVER_BOUND.notHttps).map(([key, value]) => ({ key, value: value as unknown, reason: `${key}: is not an https URL` })),
  fc.tuple(fc.constantFrom("name", "address", "objectId", "siteId", "webUrl", "itemPath", "restoredTo", "restoredToUrl", "unknownType", "kind"), OVER_BOUND.notString).map(([key, value]) => ({ key, value: value as unknown, reason: `${key}: expected a string` })),
  OVER_BOUND.notKind.map((value) => ({ key: "kind", value: value as unknown, reason: "kind: is not a known value" })),
);
const BULK_TAMPERING = fc.oneof(
  fc
    .constantFrom<[string, number]>(["id", A.id], ["displayName", A.name], ["status", A.code], ["errorCode", A.code], ["errorMessage", A.message])
    .chain(([key, max]) => OVER_BOUND.text(max).map((value) => ({ key, value: value as unknown, reason: `${key}: is longer than ${max} characters` }))),
  fc.constantFrom(-1, 1.5, "3", true).map((value) => ({ key: "requestedCount", value: value as unknown, reason: "requestedCount: expected a count" })),
);

describe("alerts in the state table", () => {
  it("every alert written by entities.ts reads back equal through alertRow.ts, each string property within 32K characters", () => {
    fc.assert(
      fc.property(storedAlert(), (alert) => {
        const entity = alertToEntity(alert, PENDING);
        for (const [key, value] of Object.entries(entity)) if (typeof value === "string") expect(value.length, `property ${key}`).toBeLessThanOrEqual(MAX_PROPERTY_CHARS);
        const read = throughTable(alert);
        const { detail } = alert;
        // Bulk requests beyond what one property holds are cut (storableBulkIssues); all else is kept exactly.
        const expected = detail.available && detail.bulkIssues ? { ...alert, detail: { ...detail, bulkIssues: storableBulkIssues(detail.bulkIssues) } } : alert;
        expect(read.ok ? read.value.alert : read.reason).toEqual(expected);
        if (detail.available && detail.bulkIssues && detail.bulkIssues.length <= MAX_BULK_ISSUES && JSON.stringify(detail.bulkIssues).length < 20_000) expect(expected).toEqual(alert);
      }),
      runs(RUNS.roundTrip),
    );
  });

  it("refuses a row with any new field oversized, a link that is no https URL, a kind or count that is none (never throws)", () => {
    const withArtifact = storedAlert(3).filter((alert) => alert.detail.available && alert.detail.failedArtifacts.length > 0);
    const withBulk = storedAlert(0).map((alert): Alert => ({ ...alert, detail: { available: true, failedArtifacts: [], omittedCount: 0, bulkIssues: [{ id: "r1" }, { id: "r2", displayName: "x" }] } }));
    const tamperedRow = fc.oneof(
      fc.tuple(withArtifact, ARTIFACT_TAMPERING).map(([alert, { key, value, reason }]) => {
        const row = alertToEntity(alert, PENDING) as Json;
        const artifacts = JSON.parse(String(row["detail0"]) + Object.keys(row).filter((k) => /^detail[1-9]/.test(k)).map((k) => row[k]).join("")) as Json[];
        artifacts[artifacts.length - 1] = { ...artifacts[artifacts.length - 1], [key]: value };
        for (const k of Object.keys(row).filter((name) => /^detail\d/.test(name))) delete row[k];
        return { alert, row: { ...row, detail0: JSON.stringify(artifacts) }, reason: `detail[${artifacts.length - 1}].${reason}` };
      }),
      fc.tuple(withBulk, BULK_TAMPERING, fc.nat({ max: 1 })).map(([alert, { key, value, reason }, index]) => {
        const row = alertToEntity(alert, PENDING) as Json;
        const issues = JSON.parse(String(row["bulkIssues"])) as Json[];
        issues[index] = { ...issues[index], [key]: value };
        return { alert, row: { ...row, bulkIssues: JSON.stringify(issues) }, reason: `bulkIssues[${index}].${reason}` };
      }),
      fc.tuple(withBulk, fc.integer({ min: MAX_BULK_ISSUES + 1, max: 60 })).map(([alert, count]) => ({
        alert,
        row: { ...(alertToEntity(alert, PENDING) as Json), bulkIssues: JSON.stringify(Array.from({ length: count }, (_, i) => ({ id: `r${i}` }))) },
        reason: `bulkIssues: lists more than ${MAX_BULK_ISSUES} requests`,
      })),
      fc.tuple(storedAlert(0), OVER_BOUND.text(A.type)).map(([alert, odataType]) => {
        const row = alertToEntity(alert, PENDING) as Json;
        return { alert, row: { ...row, session: JSON.stringify({ ...alert.session, odataType }) }, reason: `session.odataType: is longer than ${A.type} characters` };
      }),
      fc.tuple(storedAlert(0), fc.constantFrom("total", "completed", "inProgress", "failed"), fc.constantFrom(-1, 2.5, "7")).map(([alert, key, value]) => {
        const row = alertToEntity(alert, PENDING) as Json;
        return { alert, row: { ...row, session: JSON.stringify({ ...alert.session, artifactCount: { ...alert.session.artifactCount, [key]: value } }) }, reason: `session.artifactCount.${key}: expected a count` };
      }),
    );
    fc.assert(
      fc.property(tamperedRow, ({ alert, row, reason }) => {
        const read = readAlert(JSON.parse(JSON.stringify(row)) as Json, alert.id);
        expect(read.ok ? "accepted" : read.reason).toContain(reason);
      }),
      runs(RUNS.tampered),
    );
  });

  it("what re-validation accepts of an untrusted row renders: never throws, escaped, within both limits", () => {
    // Each field mostly of its own type (so that a fair share passes), now and then hostile or of another type.
    const field = <T>(valid: fc.Arbitrary<T>) => fc.oneof({ weight: 30, arbitrary: valid as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: hostileText }, { weight: 1, arbitrary: OVER_BOUND.notString });
    const text = field(hostileText.map((value) => value.slice(0, A.id)));
    const url = field(fc.webUrl({ validSchemes: ["https"] }));
    const untrustedArtifact = fc.record(
      {
        id: text,
        kind: field(fc.constantFrom("mailbox", "drive", "site", "unknown")),
        ...Object.fromEntries(["name", "address", "objectId", "siteId", "itemPath", "restoredTo", "unknownType", "errorCode", "errorMessage", "destinationType"].map((key) => [key, text])),
        webUrl: url,
        restoredToUrl: url,
        restorePointDateTime: field(fc.date({ noInvalidDate: true, min: new Date(0), max: new Date("2100-01-01") }).map((date) => date.toISOString())),
      },
      { requiredKeys: [] },
    );
    const untrustedIssue = fc.record({ id: text, displayName: text, status: text, errorCode: text, errorMessage: text, requestedCount: field(fc.nat()) }, { requiredKeys: [] });
    let accepted = 0;
    fc.assert(
      fc.property(storedAlert(0), fc.array(untrustedArtifact, { maxLength: 4 }), fc.option(fc.array(untrustedIssue, { maxLength: 3 }), { nil: undefined }), (base, artifacts, issues) => {
        const alert: Alert = { ...base, detail: { available: true, failedArtifacts: [], omittedCount: 0 } };
        const row = { ...(alertToEntity(alert, PENDING) as Json), detail0: JSON.stringify(artifacts), ...(issues && { bulkIssues: JSON.stringify(issues) }), etag: "W/x" };
        const read = entityToAlert(JSON.parse(JSON.stringify(row)) as Json);
        if (!read.ok) return;
        accepted++;
        expectEscapedEmail(renderEmail([read.value.alert]));
        const { body, bytes } = renderTeamsMessage([read.value.alert]);
        expectEscapedCard(body, bytes);
      }),
      runs(RUNS.untrusted),
    );
    // The property is only worth something if re-validation lets a fair share through.
    expect(accepted).toBeGreaterThan(RUNS.untrusted / 10);
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
      runs(RUNS.truncate),
    );
  });
});

it("runs at least 5,000 generated inputs in all", () => {
  expect(Object.values(RUNS).reduce((sum, n) => sum + n, 0)).toBeGreaterThanOrEqual(5_000);
});

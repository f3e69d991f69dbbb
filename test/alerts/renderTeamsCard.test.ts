// @vitest-environment jsdom
import fc from "fast-check";
import { inertLinks } from "../../shared/alerts/inertLinks";
import { describe, expect, it } from "vitest";
import type { Alert } from "../../shared/domain/alert";
import { breakTemplates, escapeCardMarkdown, renderTeamsMessage, TEAMS_CARD_BUDGET_BYTES } from "../../shared/alerts/renderTeamsCard";
import { ADMIN_CENTER_URL, singleLine, truncate } from "../../shared/alerts/summary";
import { failedArtifact, HOSTILE_STRINGS, makeAlert, makeDigest } from "./alertFixtures";
import { markdownModel, renderCard, teamsMessageProblems } from "./adaptiveCardCheck";

type Json = Record<string, unknown>;
const ZWSP = /\u200b/g;

function cardOf(body: object): Json {
  return (body as { attachments: { content: Json }[] }).attachments[0]?.content as Json;
}

/** Every element of the card body, depth first. */
function elements(card: Json): Json[] {
  const all: Json[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== "object" || node === null) return;
    const element = node as Json;
    if (typeof element["type"] === "string") all.push(element);
    for (const key of ["body", "items", "columns", "inlines"]) visit(element[key]);
  };
  visit(card["body"]);
  return all;
}

function facts(card: Json): { title: string; value: string }[] {
  return elements(card)
    .filter((element) => element["type"] === "FactSet")
    .flatMap((element) => element["facts"] as { title: string; value: string }[]);
}

function textRuns(card: Json): string[] {
  return elements(card)
    .filter((element) => element["type"] === "TextRun")
    .map((element) => element["text"] as string);
}

/** What CommonMark shows for an escaped value: backslash escapes resolved, zero-width spaces gone. */
function shownAs(escaped: string): string {
  return escaped.replace(/\\([!-/:-@[-`{-~])/g, "$1").replace(ZWSP, "");
}

function expectValid(body: object, bytes: number): void {
  expect(teamsMessageProblems(body)).toEqual([]);
  expect(bytes).toBe(Buffer.byteLength(JSON.stringify(body), "utf8"));
  expect(bytes).toBeLessThanOrEqual(TEAMS_CARD_BUDGET_BYTES);
}

describe("renderTeamsMessage", () => {
  it("renders one failed session: red headline, facts, the failed items and the admin center link", () => {
    const { body, bytes } = renderTeamsMessage([makeAlert()]);
    expectValid(body, bytes);
    expect(body).toMatchObject({ type: "message", attachments: [{ contentType: "application/vnd.microsoft.card.adaptive", contentUrl: null }] });
    const card = cardOf(body);
    expect(card).toMatchObject({ type: "AdaptiveCard", version: "1.4", msteams: { width: "Full" } });
    expect(elements(card)[0]).toMatchObject({ type: "TextBlock", color: "Attention", text: "restorewatch: SharePoint restore failed: 3 of 5 sites" });
    expect(facts(card).map((fact) => fact.title)).toEqual(["Workload", "Status", "Session id", "Created by", "Created", "Completed", "Artifacts failed", "Alert reason"]);
    expect(facts(card)).toContainEqual({ title: "Completed", value: "2026-07-14 11:02 UTC" });
    expect(facts(card)).toContainEqual({ title: "Artifacts failed", value: "3 of 5" });
    expect(textRuns(card)).toEqual(expect.arrayContaining(["Site 1", "ArtifactCannotBeRestored", "The artifact is in an unexpected state such as preservation lock."]));
    expect(card["actions"]).toEqual([{ type: "Action.OpenUrl", title: "Open the Microsoft 365 admin center", url: ADMIN_CENTER_URL }]);
  });

  it("colours completed-with-errors and stuck sessions as warnings", () => {
    const partial = cardOf(renderTeamsMessage([makeAlert({ status: "completedWithError", failed: [failedArtifact(1)] })]).body);
    expect(elements(partial)[0]).toMatchObject({ color: "Warning", text: "restorewatch: SharePoint restore completed with errors: 1 of 5 sites failed" });

    const stuck = makeAlert({
      kind: "stuck",
      status: "active",
      workload: "exchange",
      failed: [],
      session: { createdDateTime: "2026-07-13T09:00:00Z", artifactCount: { total: 4, completed: 1, inProgress: 3, failed: 0 } },
      recordedAt: "2026-07-14T11:00:00Z",
    });
    const { body, bytes } = renderTeamsMessage([stuck]);
    expectValid(body, bytes);
    expect(elements(cardOf(body))[0]).toMatchObject({ color: "Warning", text: "restorewatch: Exchange restore stuck for 26h: 3 of 4 mailboxes in progress" });
    expect(textRuns(cardOf(body))).toContain("No item of this session has failed so far.");
  });

  it("says why the failed items are missing when they could not be fetched", () => {
    const alert = makeAlert({ detail: { available: false, reason: "Graph answered 403 Forbidden" } });
    const { body, bytes } = renderTeamsMessage([alert]);
    expectValid(body, bytes);
    expect(textRuns(cardOf(body))).toContain("The failed items could not be listed: Graph answered 403 Forbidden");
  });

  it("shows hostile Graph values literally: no link, emphasis, heading, list, HTML, mention or template", () => {
    for (const hostile of HOSTILE_STRINGS) {
      const alert = makeAlert({
        failed: [failedArtifact(1, { name: hostile, errorCode: hostile, errorMessage: hostile })],
        session: { createdBy: hostile, error: { code: hostile, message: hostile } },
        detail: undefined,
      });
      const { body, bytes } = renderTeamsMessage([alert]);
      expectValid(body, bytes);
      // Shown as it came, but with any link made inert (Teams turns a URL in text into a link).
      const literal = inertLinks(singleLine(hostile));
      const card = cardOf(body);
      // Fact values are Markdown: escaped so that CommonMark shows the original.
      const createdBy = facts(card).find((fact) => fact.title === "Created by")?.value ?? "";
      expect(shownAs(createdBy)).toBe(literal);
      expect(createdBy).not.toMatch(/\{\{|\$\{|@\{/);
      // Table cells are TextRuns, which are never Markdown: only template openers are broken.
      expect(textRuns(card).map((text) => text.replace(ZWSP, ""))).toContain(literal);
      expect(textRuns(card).join("\n")).not.toMatch(/\{\{|\$\{|@\{/);

      const rendered = renderCard(body);
      expect(rendered.querySelectorAll("a, strong, em, h1, li, blockquote, script, at").length).toBe(0);
      expect((rendered.textContent ?? "").replace(ZWSP, "")).toContain(literal);
      expect(rendered.textContent).not.toContain("2/14/2017"); // {{DATE(...)}} was not evaluated
      expect(rendered.textContent).not.toMatch(/https?:\/\/|\bwww\./);
    }
  });

  it("the Markdown model used above does render unescaped Markdown (control)", () => {
    expect(markdownModel("[click](https://evil.example) **b** _i_")).toBe('<a href="https://evil.example">click</a> <strong>b</strong> <em>i</em>');
    expect(markdownModel("<at>x</at>")).toBe("<at>x</at>");
    expect(markdownModel(escapeCardMarkdown("[click](https://evil.example) **b** _i_ <at>x</at>")).replace(ZWSP, "")).toBe(
      "[click](https[:]//evil.example) **b** _i_ &lt;at&gt;x&lt;/at&gt;",
    );
  });

  it("escapes line-start block markers and leaves ordinary text alone", () => {
    expect(escapeCardMarkdown("# h")).toBe("\\# h");
    expect(escapeCardMarkdown("- item")).toBe("\\- item");
    expect(escapeCardMarkdown("12. item")).toBe("12\\. item");
    expect(escapeCardMarkdown("Megan Bowen (HR) 2026-07-14 11:02 UTC")).toBe("Megan Bowen (HR) 2026-07-14 11:02 UTC");
    expect(breakTemplates("{{x}} ${y} @{z} {a}")).toBe("{\u200b{x}} $\u200b{y} @\u200b{z} {a}");
  });

  it("keeps 10,000-character values and emoji within budget, cut with an ellipsis", () => {
    const long = "🚀".repeat(10_000);
    const alert = makeAlert({ failed: [failedArtifact(1, { name: long, errorMessage: "x".repeat(10_000) })], session: { createdBy: long } });
    const { body, bytes } = renderTeamsMessage([alert]);
    expectValid(body, bytes);
    expect(textRuns(cardOf(body))).toContain(truncate(long, 150));
    expect(JSON.stringify(body)).not.toContain("\\ud83d\""); // no surrogate pair split by the cut
  });

  it("cuts rows of 5,000 failed artifacts and says how many more there are", () => {
    const failed = Array.from({ length: 5_000 }, (_, index) => failedArtifact(index));
    const alert = makeAlert({ failed, omittedCount: 1_000, session: { artifactCount: { total: 7_000, completed: 1_000, inProgress: 0, failed: 6_000 } } });
    const { body, bytes } = renderTeamsMessage([alert]);
    expectValid(body, bytes);
    const card = cardOf(body);
    const rows = elements(card).filter((element) => element["type"] === "ColumnSet").length - 1;
    expect(rows).toBeGreaterThan(0);
    expect(rows).toBeLessThan(5_000);
    const more = elements(card).find((element) => typeof element["text"] === "string" && (element["text"] as string).startsWith("and "));
    expect(shownAs(more?.["text"] as string)).toContain(`and ${(6_000 - rows).toLocaleString("en-US")} more failed sites not listed here (1,000 of them not stored`);
  });

  it("cuts a 200-session digest to whole sections and says how many sessions are left out", () => {
    const digest = makeDigest(200, 5);
    const { body, bytes } = renderTeamsMessage(digest);
    expectValid(body, bytes);
    const card = cardOf(body);
    expect(elements(card)[0]).toMatchObject({ color: "Attention", text: "restorewatch: 200 restore sessions need attention (180 failed, 20 completed with errors)" });
    const sections = elements(card).filter((element) => element["type"] === "Container");
    expect(sections.length).toBeGreaterThan(1);
    const last = (card["body"] as Json[]).at(-1);
    expect(last?.["text"]).toBe(`and ${200 - sections.length} more restore sessions not shown here; the email has all of them.`);
  });

  it("stays valid, escaped and within budget for arbitrary names, messages and codes (property)", () => {
    const text = fc.string({ unit: "binary", maxLength: 400 });
    fc.assert(
      fc.property(fc.array(fc.record({ name: text, code: text, message: text }), { minLength: 1, maxLength: 60 }), text, (items, createdBy) => {
        const alert: Alert = makeAlert({
          failed: items.map((item, index) => failedArtifact(index, { name: item.name, errorCode: item.code, errorMessage: item.message })),
          session: { createdBy },
        });
        const { body, bytes } = renderTeamsMessage([alert]);
        expect(teamsMessageProblems(body)).toEqual([]);
        expect(bytes).toBeLessThanOrEqual(TEAMS_CARD_BUDGET_BYTES);
        const card = cardOf(body);
        const createdByFact = facts(card).find((fact) => fact.title === "Created by")?.value ?? "";
        expect(shownAs(createdByFact)).toBe(truncate(singleLine(createdBy), 200).replace(ZWSP, ""));
        for (const value of [createdByFact, ...textRuns(card)]) expect(value).not.toMatch(/\{\{|\$\{|@\{/);
        expect(hasUnescapedMarkdown(createdByFact)).toBe(false);
      }),
      { numRuns: 150 },
    );
  });
});

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

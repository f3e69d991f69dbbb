// @vitest-environment jsdom
import fc from "fast-check";
import { inertLinks } from "../../shared/alerts/inertLinks";
import { describe, expect, it } from "vitest";
import { EMAIL_HTML_BUDGET_BYTES, EMAIL_MAX_ROWS_PER_SESSION, EMAIL_TEXT_BUDGET_BYTES, escapeHtml, renderEmail } from "../../shared/alerts/renderEmail";
import { ADMIN_CENTER_URL, singleLine } from "../../shared/alerts/summary";
import { sortedArtifacts } from "../../shared/alerts/artifactLines";
import { failedArtifact, HOSTILE_STRINGS, makeAlert, makeDigest } from "./alertFixtures";

/** Elements an alert email may contain: no script, image, style sheet, form or frame. */
const ALLOWED_ELEMENTS = new Set(["HTML", "HEAD", "META", "TITLE", "BODY", "H1", "H2", "P", "TABLE", "THEAD", "TBODY", "TR", "TH", "TD", "SPAN", "BR", "A"]);

function documentOf(html: string): Document {
  return new DOMParser().parseFromString(html, "text/html");
}

function unexpectedElements(document: Document): string[] {
  return Array.from(document.querySelectorAll("*")).map((element) => element.tagName).filter((tag) => !ALLOWED_ELEMENTS.has(tag));
}

function links(document: Document): string[] {
  return Array.from(document.querySelectorAll("a")).map((anchor) => anchor.getAttribute("href") ?? "");
}

/** The cells of the failed-items tables (the tables with a header row), row by row, as text. */
function itemRows(document: Document): string[][] {
  return Array.from(document.querySelectorAll("thead"))
    .flatMap((head) => Array.from((head.parentElement as HTMLTableElement).tBodies[0]?.rows ?? []))
    .map((row) => Array.from(row.cells).map((cell) => cell.textContent ?? ""));
}

describe("renderEmail", () => {
  it("renders one alert: subject, coloured headline, facts, the failed items and the admin center button", () => {
    const email = renderEmail([makeAlert()]);
    expect(email.subject).toBe("[restorewatch] SharePoint restore failed: 3 of 5 sites");
    const document = documentOf(email.html);
    expect(document.querySelector("h1")?.textContent).toBe("SharePoint restore failed: 3 of 5 sites");
    expect(document.querySelector("h1")?.getAttribute("style")).toContain("color:#a4262c");
    const facts = Object.fromEntries(Array.from(document.querySelectorAll("th + td")).map((cell) => [cell.previousElementSibling?.textContent, cell.textContent]));
    expect(facts).toMatchObject({
      Workload: "SharePoint",
      Status: "failed",
      "Session id": "0f3a8c2e-5b1d-4c7a-9e6f-2d8b4a1c7e90",
      "Created by": "Megan Bowen",
      Created: "2026-07-14 09:15 UTC",
      Completed: "2026-07-14 11:02 UTC",
      "Artifacts failed": "3 of 5",
      "Alert reason": "the session ended failed",
    });
    expect(itemRows(document)[0]).toEqual([
      "Site 1https[:]//contoso.sharepoint.com/sites/site1artifact id artifact-1",
      "ArtifactCannotBeRestored",
      "The artifact is in an unexpected state such as preservation lock.",
      "2026-07-13 02:00 UTC",
      "new",
    ]);
    expect(links(document)).toEqual([ADMIN_CENTER_URL]);
    expect(unexpectedElements(document)).toEqual([]);
    expect(email.html).not.toMatch(/<img|<link|<style|<script|url\(/i);

    expect(email.plainText).toContain("SharePoint restore failed: 3 of 5 sites\n");
    expect(email.plainText).toContain("Created by: Megan Bowen\n");
    expect(email.plainText).toContain(
      "- Site 1\n    https://contoso.sharepoint.com/sites/site1\n    artifact id artifact-1\n    error: ArtifactCannotBeRestored: The artifact is in an unexpected state",
    );
    expect(email.plainText).toContain(`Open the Microsoft 365 admin center: ${ADMIN_CENTER_URL}`);
  });

  it("escapes every Graph value: the HTML shows them as text and contains no markup of theirs", () => {
    for (const hostile of HOSTILE_STRINGS) {
      const alert = makeAlert({
        failed: [failedArtifact(1, { id: hostile, name: hostile, webUrl: hostile, errorCode: hostile, errorMessage: hostile, destinationType: hostile })],
        session: { createdBy: hostile, restoreJobType: hostile, error: { code: hostile, message: hostile } },
      });
      const email = renderEmail([alert]);
      expect(email.html).not.toMatch(/<script|<at>|<https/i);
      const document = documentOf(email.html);
      expect(unexpectedElements(document)).toEqual([]);
      expect(links(document)).toEqual([ADMIN_CENTER_URL]);
      // Shown as text, with any link made inert; the plain text keeps the value as it came.
      const literal = singleLine(hostile);
      const shown = inertLinks(literal);
      const [row] = itemRows(document);
      expect(row?.slice(1)).toEqual([shown, shown, "2026-07-13 02:00 UTC", shown]);
      expect(row?.[0]).toBe(`${shown}${shown}artifact id ${shown}`); // name, url and id in the first cell
      expect(document.body.textContent).not.toMatch(/https?:\/\/|\bwww\./);
      expect(email.plainText).toContain(`Created by: ${literal}\n`);
      expect(email.plainText).not.toMatch(/\r|\t/);
    }
  });

  it("says why failed items are missing", () => {
    const email = renderEmail([makeAlert({ detail: { available: false, reason: "Graph answered <403> Forbidden" } })]);
    expect(email.html).toContain("The failed items could not be listed: Graph answered &lt;403&gt; Forbidden");
    expect(email.plainText).toContain("The failed items could not be listed: Graph answered <403> Forbidden");
  });

  it("lists up to 1,000 of 5,000 failed items and counts the rest, including those the record left out", () => {
    const failed = Array.from({ length: 5_000 }, (_, index) => failedArtifact(index));
    const email = renderEmail([makeAlert({ failed, omittedCount: 250 })]);
    const document = documentOf(email.html);
    expect(itemRows(document)).toHaveLength(EMAIL_MAX_ROWS_PER_SESSION);
    const more = "and 4,250 more failed sites not listed here (250 of them not stored by restorewatch because of the record size limit); see the admin center for all of them.";
    expect(document.body.textContent).toContain(more);
    expect(email.plainText).toContain(more);
  });

  it("renders a 200-session digest with one section per session", () => {
    const email = renderEmail(makeDigest(200));
    expect(email.subject).toBe("[restorewatch] 200 restore sessions need attention (180 failed, 20 completed with errors)");
    const document = documentOf(email.html);
    expect(document.querySelectorAll("h2")).toHaveLength(200);
    expect(document.querySelector("h2")?.textContent).toBe("Exchange restore failed: 3 of 5 mailboxes");
    expect(itemRows(document)).toHaveLength(600);
    expect(email.plainText.match(/^Session id: /gm)).toHaveLength(200);
  });

  it("keeps a huge digest under the size budget, well below ACS's 10 MB, and still has every session", () => {
    const long = "é".repeat(10_000);
    const digest = makeDigest(200, 1_000).map((alert) =>
      alert.detail.available
        ? { ...alert, detail: { ...alert.detail, failedArtifacts: alert.detail.failedArtifacts.map((a) => ({ ...a, name: long, errorMessage: long })) } }
        : alert,
    );
    const email = renderEmail(digest);
    const htmlBytes = Buffer.byteLength(email.html);
    const textBytes = Buffer.byteLength(email.plainText);
    expect(htmlBytes).toBeLessThanOrEqual(EMAIL_HTML_BUDGET_BYTES + 100_000);
    expect(textBytes).toBeLessThanOrEqual(EMAIL_TEXT_BUDGET_BYTES + 100_000);
    // As the SDK sends it: JSON, where every quote of the inline styles is escaped.
    expect(Buffer.byteLength(JSON.stringify({ content: { html: email.html, plainText: email.plainText } }))).toBeLessThan(10 * 1024 * 1024);
    const document = documentOf(email.html);
    expect(document.querySelectorAll("h2")).toHaveLength(200);
    // The budget is shared fairly: the last session lists items too.
    expect(email.plainText.slice(email.plainText.lastIndexOf("Session id:"))).toMatch(/\n- é/);
  });

  it("property: arbitrary Graph strings never produce markup and always render", () => {
    const text = fc.string({ unit: "binary", maxLength: 300 });
    fc.assert(
      fc.property(fc.array(fc.record({ name: text, message: text, code: text }), { minLength: 1, maxLength: 20 }), text, (items, createdBy) => {
        const alert = makeAlert({
          failed: items.map((item, index) => failedArtifact(index, { name: item.name, errorMessage: item.message, errorCode: item.code })),
          session: { createdBy },
        });
        const email = renderEmail([alert]);
        const document = documentOf(email.html);
        expect(unexpectedElements(document)).toEqual([]);
        expect(links(document)).toEqual([ADMIN_CENTER_URL]);
        expect(itemRows(document)).toHaveLength(items.length);
        const rows = itemRows(document);
        // Listed by name: each row still has its own error code and message beside it.
        sortedArtifacts(alert.detail.available ? alert.detail.failedArtifacts : []).forEach((artifact, index) =>
          expect(rows[index]?.slice(1, 3)).toEqual([singleLine(artifact.errorCode ?? ""), singleLine(artifact.errorMessage ?? "")].map(inertLinks)),
        );
        expect(email.plainText).toContain(`Created by: ${singleLine(createdBy)}\n`);
      }),
      { numRuns: 100 },
    );
  });
});

describe("escapeHtml", () => {
  it("escapes the five characters that matter in content and quoted attributes", () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe("&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;");
  });
});

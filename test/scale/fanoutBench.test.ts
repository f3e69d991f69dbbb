import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";

/**
 * The fan-out case of `npm run bench` on a few small tenants (its figures at 500 tenants of 200
 * sessions are in docs/benchmarks.md): through the bench's own writer, which rewrites only its
 * section of a copy of the document. Checks the invariants, not the timings: every tenant polled
 * exactly once per cycle with 1 and 2 workers, Graph requests equal to the sum of the tenants' floors.
 */
const ROOT = path.resolve(__dirname, "../..");
const TENANTS = 4;
const SESSIONS = 100;
const HEADING = "## Many tenants through the queue fan-out";
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "rw-fanout-bench-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A section's text, from its heading to the next `## ` heading. */
function section(doc: string, heading: string): string {
  const start = doc.indexOf(`${heading}\n`);
  const next = doc.indexOf("\n## ", start + heading.length);
  return start < 0 ? "" : doc.slice(start, next < 0 ? undefined : next);
}

it(`${TENANTS} tenants of ${SESSIONS} sessions through the queue with 1 and 2 workers: each tenant polled once a cycle, Graph at the sum of the floors`, async () => {
  const out = path.join(dir, "benchmarks.md");
  copyFileSync(path.join(ROOT, "docs/benchmarks.md"), out);
  const before = readFileSync(out, "utf8");
  await promisify(execFile)(process.execPath, ["--require", "tsx/cjs", path.join(ROOT, "perf/run.ts"), "--fanout-only", "--tenants", String(TENANTS), "--tenant-sessions", String(SESSIONS), "--workers", "1,2", "--latency", "5", "--out", out], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  const doc = readFileSync(out, "utf8");

  // Only the fan-out's section changed; every other section is as it was.
  const others = (text: string) => text.split("\n## ").filter((s) => !s.startsWith(HEADING.slice(3))).join("\n## ");
  expect(others(doc)).toBe(others(before));
  const text = section(doc, HEADING);
  expect(text).toContain(`${TENANTS} tenants of ${SESSIONS} sessions each`);

  const rows = text.split("\n").filter((l) => /^\| (baseline|[\d.]+% failing) \|/.test(l)).map((l) => l.split("|").slice(1, -1).map((c) => c.trim()));
  expect(rows.map((r) => [r[0], r[1]])).toEqual([["baseline", "2"], ["2% failing", "1"], ["2% failing", "2"]]);
  // The floors, worked out here: a baseline lists each tenant's one page; a measured cycle also
  // fetches 2 artifact pages, 1 getByIds and 1 bulk request page per tenant.
  const listPages = Math.ceil(SESSIONS / 100);
  const floors = [TENANTS * listPages, TENANTS * (listPages + 4), TENANTS * (listPages + 4)];
  rows.forEach((row, i) => {
    const [polled, maxPolls] = (row[2] ?? "").match(/\d+/g)?.map(Number) ?? [];
    expect(polled, row.join(" | ")).toBe(TENANTS);
    expect(maxPolls, "no tenant polled twice in a cycle").toBe(1);
    const [graph, graphFloor] = (row[3] ?? "").match(/\d+/g)?.map(Number) ?? [];
    expect(graphFloor).toBe(floors[i]);
    expect(graph).toBe(graphFloor);
    expect(Number(row[6]), "lease conflicts").toBe(0);
    // Every poll is some worker's: the polls per worker add up to the tenants.
    expect((row[12] ?? "").split(" / ").map(Number).reduce((a, b) => a + b, 0)).toBe(TENANTS);
  });
  expect(text).toMatch(/Graph: every cycle equal to the sum of the tenants' floors, and Graph served exactly what the pollers counted/);
  expect(text).toMatch(/No tenant was polled twice in any cycle/);
}, 120_000);

import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";

/**
 * `npm run bench` end to end on a small tenant: every case runs both designs, and restorewatch's
 * counts are its floor plus only the fixed handful the bench names. The figures at 1,000 to 100,000
 * sessions are in docs/benchmarks.md; this keeps the bench itself (and the floor claim) from rotting.
 * The fan-out case has its own test (fanoutBench.test.ts).
 */
const ROOT = path.resolve(__dirname, "../..");
const SESSIONS = 300;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "rw-bench-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it(`the bench at ${SESSIONS} sessions: every case measured for both designs, restorewatch at the floor plus the named handful`, async () => {
  const out = path.join(dir, "bench.md");
  await promisify(execFile)(process.execPath, ["--require", "tsx/cjs", path.join(ROOT, "perf/run.ts"), "--sizes", String(SESSIONS), "--runs", "1", "--latency", "5", "--no-fanout", "--out", out], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  const doc = readFileSync(out, "utf8");

  const cases = doc.split("\n### ").slice(1);
  expect(cases.map((c) => c.split("\n")[0])).toEqual(
    ["0%", "1%", "10%"].flatMap((share) => [`${SESSIONS} sessions, ${share} changing between runs, no added latency`, `${SESSIONS} sessions, ${share} changing between runs, 5 ms per request`]),
  );
  for (const section of cases) {
    const rows = section.split("\n").filter((line) => line.startsWith("| "));
    const ours = rows.find((r) => r.startsWith("| restorewatch |"))?.split("|").map((cell) => cell.trim()) ?? [];
    const naive = rows.find((r) => r.startsWith("| naive |"))?.split("|").map((cell) => cell.trim()) ?? [];
    // Graph requests "n (floor)": ours equal to the floor, the naive design's far above it.
    const [graph, graphFloor] = (ours[2] ?? "").match(/\d+/g)?.map(Number) ?? [];
    expect(graph).toBe(graphFloor);
    expect(Number((naive[2] ?? "").split(" ")[0])).toBeGreaterThan(graph ?? Infinity);
    expect(rows.some((r) => r.startsWith("| ours/naive |"))).toBe(true);
    // Table operations: only what the line under the table names is above the floor, and no packing loss.
    expect(section).toMatch(/Graph: equal to the floor/);
    expect(section).toMatch(/Table: the floor \+ [35]:/);
    expect(section).not.toMatch(/over the floor|more transaction|different distance/);
  }
  expect(doc).toMatch(new RegExp(`\\| ${SESSIONS} \\| restorewatch \\| \\d+ \\| \\d+ \\| 3 \\(floor 3\\) \\|`));
  expect(doc).toMatch(new RegExp(`\\| ${SESSIONS} \\| \\d+ \\| \\d+ \\| yes \\|`));
  // The deploy package's figures: its files and size, and its start-up on Node 22.
  expect(doc).toMatch(/Deploy package \(`npm run package`\): 5 files, [\d.]+ MB \(zip [\d.]+ MB\)/);
  expect(doc).toMatch(/Start-up on Node v22\.[\d.]+/);
  expect(doc).toMatch(/\*\*Importing the deployed entry\*\* \(`index\.js`.*\): \d+ ms median/);
  expect(doc).toMatch(/\*\*The first invocation's runtime\*\* .*: \d+ ms median/);
}, 300_000);

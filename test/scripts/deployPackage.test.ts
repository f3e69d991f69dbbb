import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildFunctionsHostBundle } from "../../local/functionsHost/bundle";
import { FunctionsHost } from "../../local/functionsHost/functionsHost";
import { PACKAGE_FILES, buildDeployPackage, type DeployPackage } from "../../scripts/deployPackage";

/**
 * The deploy artifact (`npm run package`): built as shipped, unzipped into an empty folder with no
 * node_modules and no repository beside it, and loaded there by the emulated Functions host.
 */
describe("deploy package", () => {
  let pkg: DeployPackage;
  let work: string;
  let unpacked: string;

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), "restorewatch-package-"));
    pkg = await buildDeployPackage(path.join(work, "out"));
    unpacked = path.join(work, "wwwroot");
    // Info-ZIP's unzip, not our own reader: the archive must open with a standard tool.
    execFileSync("unzip", ["-q", pkg.zipPath, "-d", unpacked]);
  }, 120_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("holds five files, at most 3 MB, and no dependencies", () => {
    expect(readdirSync(unpacked).sort()).toEqual([...PACKAGE_FILES].sort());
    expect(pkg.totalBytes).toBeLessThanOrEqual(3 * 1024 * 1024);
    const manifest = JSON.parse(readFileSync(path.join(unpacked, "package.json"), "utf8")) as Record<string, unknown>;
    expect(manifest["main"]).toBe("index.js");
    expect(manifest["dependencies"]).toBeUndefined();
    expect(readFileSync(path.join(unpacked, "host.json"), "utf8")).toBe(readFileSync(path.resolve(__dirname, "../../host.json"), "utf8"));
  });

  it("is reproducible: the same sources give the same zip", async () => {
    const again = await buildDeployPackage(path.join(work, "again"));
    expect(readFileSync(again.zipPath).equals(readFileSync(pkg.zipPath))).toBe(true);
  }, 120_000);

  it("loads with no node_modules: the host finds the timer and HTTP functions as registered in the repository", async () => {
    const host = await FunctionsHost.load(unpacked);
    expect(host.entryFiles.map((f) => path.relative(unpacked, f))).toEqual(["index.js"]);
    expect(host.functions.map((f) => ({ function: f.name, ...f.trigger }))).toEqual([
      expect.objectContaining({ function: "pollRestoreSessions", type: "timerTrigger", direction: "in", schedule: "%POLL_SCHEDULE%", runOnStartup: false }),
      expect.objectContaining({ function: "opsTestAlert", type: "httpTrigger", direction: "in", route: "ops/test-alert", methods: ["POST"], authLevel: "admin" }),
      expect.objectContaining({ function: "pollTenant", type: "queueTrigger", direction: "in", queueName: "tenant-poll", connection: "TenantQueue" }),
      expect.objectContaining({ function: "tenantPollPoison", type: "queueTrigger", direction: "in", queueName: "tenant-poll-poison", connection: "TenantQueue" }),
    ]);
    // The timer's output binding: the fan-out's messages, base64-encoded by the host (host.json messageEncoding).
    expect(Object.values(host.function("pollRestoreSessions").bindings).filter((b) => b.direction === "out")).toEqual([expect.objectContaining({ type: "queue", queueName: "tenant-poll", connection: "TenantQueue" })]);
    // The answer goes out through the HTTP output binding the library adds.
    expect(host.function("opsTestAlert").bindings["$return"]).toMatchObject({ type: "http", direction: "out" });
  });

  it("maps a thrown error's stack to the TypeScript source and line", async () => {
    // In a plain Node process, as the worker loads the app: vitest and tsx install their own source-map
    // handling, which would hide whether the package's own works.
    const hostJs = await buildFunctionsHostBundle(path.join(work, "host.js"));
    const env = { PATH: process.env["PATH"] ?? "", GRAPH_MAX_RETRIES: "many" }; // no channel either: loadConfig throws
    const run = spawnSync(process.execPath, [hostJs, "--app", unpacked, "--no-local-settings", "--invoke", "pollRestoreSessions"], { env, encoding: "utf8" });
    expect(run.status).toBe(1);
    const line = run.stdout.split("\n").find((l) => l.startsWith("[host] invocation result "));
    const result = JSON.parse(line?.slice("[host] invocation result ".length) ?? "null") as { ok: boolean; errorStack?: string };
    expect(result.ok).toBe(false);
    expect(result.errorStack).toMatch(/^ConfigError: /);
    // The frame that threw names shared/config/config.ts and a line; the caller is loadConfig, by its own name.
    expect(result.errorStack?.split("\n")[1]).toMatch(/^ {4}at .+ \(restorewatch:\/\/\/shared\/config\/config\.ts:\d+:\d+\)$/);
    expect(result.errorStack).toMatch(/\n {4}at loadConfig \(restorewatch:\/\/\/shared\/config\/config\.ts:\d+:\d+\)\n/);
    expect(result.errorStack).not.toMatch(/app\.js/);
  }, 60_000);
});

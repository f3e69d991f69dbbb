import { execFile, spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FunctionsHost, type HostLogLine } from "../../local/functionsHost/functionsHost";
import { listCaptured } from "../../local/outboxCapture";
import { TimerScheduler, timerFunctions, type TimerFired } from "../../local/functionsHost/timerScheduler";
import { DEFAULT_POLL_SCHEDULE } from "../../shared/config/settings";
import { ACS_AUDIENCE, AcsEmailEmulator } from "../../local/emulators/acsEmailEmulator";
import { GraphEmulator } from "../../local/emulators/graph/graphEmulator";
import { ManagedIdentityEndpoint } from "../../local/emulators/managedIdentityEndpoint";
import { TeamsReceiver } from "../../local/emulators/teamsReceiver";
import { TEST_TENANT_ID, TokenIssuer } from "../../local/emulators/tokens";
import { useAzurite } from "../support/useAzurite";
import { READ_ROLE, readRows } from "../support/pipelineHarness";
import { loadTestTls } from "../../local/emulators/tls";
import { TableClient } from "@azure/data-tables";

/**
 * The built app (dist/, from package.json main) loaded through the emulated Functions host, as Azure
 * loads it; and `npm start`'s entry run end to end in a child process.
 */
const ROOT = path.resolve(__dirname, "../..");
const run = promisify(execFile);

beforeAll(async () => {
  // The host loads the build output, as in Azure: build it from the current sources.
  await run(process.execPath, [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], { cwd: ROOT });
}, 120_000);

describe("the emulated Functions host", () => {
  const azurite = useAzurite();

  it("sees the registration the Functions host sees, then fires the timer and the run reaches Azurite, ACS and Teams", async () => {
    const lines: HostLogLine[] = [];
    const host = await FunctionsHost.load(ROOT, { log: (line) => lines.push(line) });
    expect(host.entryFiles.map((f) => path.relative(ROOT, f))).toEqual(["dist/functions/index.js"]);
    expect(host.programmingModel?.name).toBe("@azure/functions");
    expect(host.functions.map((fn) => ({ name: fn.name, type: fn.trigger.type, direction: fn.trigger.direction, schedule: fn.trigger["schedule"], runOnStartup: fn.trigger["runOnStartup"] }))).toEqual([
      { name: "pollRestoreSessions", type: "timerTrigger", direction: "in", schedule: "%POLL_SCHEDULE%", runOnStartup: false },
      { name: "opsTestAlert", type: "httpTrigger", direction: "in", schedule: undefined, runOnStartup: undefined },
      { name: "pollTenant", type: "queueTrigger", direction: "in", schedule: undefined, runOnStartup: undefined },
      { name: "tenantPollPoison", type: "queueTrigger", direction: "in", schedule: undefined, runOnStartup: undefined },
    ]);
    expect(timerFunctions(host.functions, { POLL_SCHEDULE: DEFAULT_POLL_SCHEDULE })[0]?.schedule.expression).toBe("0 */5 * * * *");
    expect(() => timerFunctions(host.functions, {})).toThrow(/'%POLL_SCHEDULE%' does not resolve to a value/);

    // The app as deployed: a user-assigned identity through IDENTITY_ENDPOINT, ACS with Entra auth, Teams Workflows.
    const tls = loadTestTls();
    const issuer = new TokenIssuer();
    const graph = await GraphEmulator.start({ tls, issuer });
    const clientId = randomUUID();
    const identity = await ManagedIdentityEndpoint.start({ issuer, roles: [READ_ROLE], clientId });
    const acs = await AcsEmailEmulator.start({ tls, issuer });
    const teams = await TeamsReceiver.start({ tls });
    const table = `rwhost${randomUUID().replace(/-/g, "").slice(0, 12)}`;
    const savedEnv = { ...process.env };
    // The host gives the app its settings through the environment, as the Functions host does.
    Object.assign(process.env, {
      AzureWebJobsStorage: azurite.connectionString,
      STATE_TABLE: table,
      POLL_SCHEDULE: "*/1 * * * * *",
      GRAPH_ENDPOINT: graph.url,
      RESTOREWATCH_EMULATOR_ORIGINS: graph.url,
      AZURE_CLIENT_ID: clientId,
      IDENTITY_ENDPOINT: identity.endpoint,
      IDENTITY_HEADER: identity.secret,
      ACS_ENDPOINT: acs.endpoint,
      ALERT_EMAIL_FROM: "alerts@contoso.com",
      ALERT_EMAIL_TO: "backup-admins@contoso.com",
      TEAMS_WEBHOOK_URL: teams.url,
      TEAMS_WEBHOOK_ALLOWED_HOSTS: "127.0.0.1",
      ALERT_BASELINE_SINCE: "2000-01-01T00:00:00Z",
    });
    try {
      const failed = graph.createSession({ workload: "sharePoint", status: "failed", artifacts: [{ id: "site-1", status: "failed", error: { code: "ArtifactCannotBeRestored", message: "Locked." } }] });
      graph.createSession({ workload: "exchange", status: "completed", artifacts: [] });

      let onFired: (fired: TimerFired) => void = () => undefined;
      const fired = new Promise<TimerFired>((resolve) => (onFired = resolve));
      const scheduler = new TimerScheduler(host, { settings: process.env, onFired: (f) => onFired(f) });
      expect(scheduler.timers[0]?.schedule.expression).toBe("*/1 * * * * *");
      scheduler.start();
      const result = await fired;
      await scheduler.stop();
      expect(result).toMatchObject({ name: "pollRestoreSessions", isPastDue: false, result: { ok: true } });

      // Logs went through the real InvocationContext to the host, with the invocation's id.
      const userLines = lines.filter((l) => l.category === "user" && l.invocationId === result.result.invocationId).map((l) => l.message);
      expect(userLines).toEqual(expect.arrayContaining([expect.stringMatching(/^restorewatch run .*sessions=2 .*alertsRecorded=1 .*delivered=1/)]));
      // The identity endpoint issued the Graph and ACS tokens; the emulators verified them.
      expect(identity.requests.map((r) => r.resource)).toEqual(expect.arrayContaining(["https://graph.microsoft.com", `${ACS_AUDIENCE}/`]));
      expect(graph.requests.every((r) => r.authorized)).toBe(true);
      expect(acs.messages).toHaveLength(1);
      expect(acs.messages[0]).toMatchObject({ auth: "bearer", subject: "[restorewatch] SharePoint restore failed: 1 of 1 site" });
      expect(teams.posts).toHaveLength(1);
      const rows = await readRows(TableClient.fromConnectionString(azurite.connectionString, table, { allowInsecureConnection: true }));
      expect(rows.filter((r) => r["partitionKey"] === TEST_TENANT_ID && r["rowKey"] === `alert_${failed.id}_failed`)).toHaveLength(1);
    } finally {
      await Promise.all([graph.stop(), identity.stop(), acs.stop(), teams.stop()]);
      for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
      Object.assign(process.env, savedEnv);
    }
  });

  it("refuses an app whose main matches no file, and one that registers nothing", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "rw-app-"));
    try {
      writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "empty", main: "dist/functions/*.js" }));
      await expect(FunctionsHost.load(dir)).rejects.toThrow(`package.json "main" ("dist/functions/*.js") matches no file under ${dir}. Build the app first (npm run build).`);
      mkdirSync(path.join(dir, "dist/functions"), { recursive: true });
      writeFileSync(path.join(dir, "dist/functions/nothing.js"), "module.exports = {};\n");
      await expect(FunctionsHost.load(dir)).rejects.toThrow(/registered no functions \(loaded dist\/functions\/nothing\.js\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("npm start (local/start.ts)", () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "rw-start-"));
  let summary: { runs: number; failedRuns: number; pids: number[]; alertable: string[]; captured: { kind: string; files: string[] }[] };
  let output = "";
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("runs a simulated tenant for 3 runs, captures one alert per failure in each channel, exits 0 and leaves no process behind", async () => {
    const child = startLocalRun(["--ticks", "3", "--speed", "150", "--seed", "7", "--data-dir", dataDir]);
    child.onOutput((text) => (output += text));
    const code = await child.exited;
    expect(code, output).toBe(0);
    summary = JSON.parse(readFileSync(path.join(dataDir, "outbox/run-summary.json"), "utf8")) as typeof summary;
    expect(summary).toMatchObject({ runs: 3, failedRuns: 0 });
    expect(output).toContain("pollRestoreSessions: timerTrigger (schedule %POLL_SCHEDULE% = 0 */5 * * * *, runOnStartup false)");
    // How to send a test alert from the running app (the host's master key is new at each start).
    expect(output).toMatch(/curl -sS -X POST "http:\/\/127\.0\.0\.1:\d+\/api\/ops\/test-alert" -H "x-functions-key: [\w-]{40,}"/);

    // Every failure of the simulated tenant was alerted once per channel: one email and one card.
    expect(summary.alertable.length).toBeGreaterThan(0);
    const contents = (kind: string) => summary.captured.filter((c) => c.kind === kind).map((c) => readFileSync(path.join(dataDir, "outbox", c.files[0] as string), "utf8"));
    const emails = contents("email");
    const cards = contents("teams");
    for (const id of summary.alertable) {
      expect(emails.filter((html) => html.includes(id)), `email for ${id}`).toHaveLength(1);
      expect(cards.filter((json) => json.includes(id)), `card for ${id}`).toHaveLength(1);
    }
    for (const item of summary.captured.filter((c) => c.kind === "email")) expect(existsSync(path.join(dataDir, "outbox", item.files[1] as string))).toBe(true);
    expect(output).toMatch(/✉ email to backup-admins@contoso\.com: \[restorewatch\]/);

    // Azurite and the host are gone, and nothing else of the process group is left.
    expect(summary.pids).toHaveLength(2);
    for (const pid of summary.pids) expect(() => process.kill(pid, 0), `process ${pid}`).toThrow(/ESRCH/);
    expect(processGroup(child.pid)).toEqual([]);
  }, 120_000);

  it("writes each run's telemetry as Application Insights rows to outbox/telemetry.jsonl", () => {
    const rows = readFileSync(path.join(dataDir, "outbox/telemetry.jsonl"), "utf8").trim().split("\n").map((line) => JSON.parse(line) as { table: string; name: string; customDimensions: Record<string, string> });
    const named = (name: string) => rows.filter((r) => r.table === "customEvents" && r.name === name);
    expect(named("RestorewatchRun").map((r) => r.customDimensions["outcome"])).toEqual(["succeeded", "succeeded", "succeeded"]);
    const alerted = named("RestorewatchAlert").map((r) => r.customDimensions["sessionId"]);
    // Every failure has its alert record (stuck sessions may add their own).
    for (const id of summary.alertable) expect(alerted, id).toContain(id);
    const deliveries = named("RestorewatchDelivery");
    expect(deliveries).toHaveLength(alerted.length * 2);
    expect(new Set(deliveries.map((r) => `${r.customDimensions["channel"]}:${r.customDimensions["outcome"]}`))).toEqual(new Set(["email:delivered", "teams:delivered"]));
    expect(new Set(rows.filter((r) => r.table === "dependencies").map((r) => (r as { type?: string }).type))).toEqual(new Set(["HTTP", "Azure table"]));
  });

  const chromium = ["chromium", "chromium-browser", "google-chrome"].find((name) => spawnSync("which", [name]).status === 0);
  it.skipIf(!chromium)(`renders the outbox page in headless Chromium with every card and no error${chromium ? "" : " (skipped: no chromium on this machine; apt-get install chromium)"}`, () => {
    expect(summary, "the npm start test ran first").toBeDefined();
    const page = `file://${path.join(dataDir, "outbox/index.html")}`;
    const dom = spawnSync(chromium as string, ["--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files", "--virtual-time-budget=5000", "--dump-dom", page], { encoding: "utf8", timeout: 60_000 });
    const cards = summary.captured.filter((c) => c.kind === "teams").length;
    expect(dom.stdout).toContain(`data-rendered-cards="${cards}"`);
    expect(dom.stdout).toContain('data-card-errors="none"');
    // Each card became HTML (adaptivecards renders into .ac-adaptiveCard elements).
    expect(dom.stdout.match(/ac-adaptiveCard\b/g)?.length ?? 0).toBeGreaterThanOrEqual(cards);
    const shot = path.join(dataDir, "outbox.png");
    spawnSync(chromium as string, ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1280,1600", `--screenshot=${shot}`, page], { timeout: 60_000 });
    expect(readFileSync(shot).subarray(1, 4).toString()).toBe("PNG");
  }, 120_000);

  it("restarts on the same data without alerting anything twice, and Ctrl+C (SIGINT to the process group) stops everything with exit code 0", async () => {
    expect(summary, "the npm start test ran first").toBeDefined();
    const capturedBefore = listCaptured(path.join(dataDir, "outbox")).length;
    // The same seed: the same tenant, whose failures the first start alerted and recorded in Azurite.
    const child = startLocalRun(["--speed", "150", "--seed", "7", "--data-dir", dataDir]);
    let text = "";
    const firstRun = new Promise<void>((resolve) =>
      child.onOutput((chunk) => {
        text += chunk;
        if (text.includes("Executed 'Functions.pollRestoreSessions'")) resolve();
      }),
    );
    await Promise.race([firstRun, child.exited.then((code) => expect.fail(`npm start exited (${code}) before its first run:\n${text}`))]);
    process.kill(-child.pid, "SIGINT");
    const code = await child.exited;
    expect(code, text).toBe(0);
    expect(text).toContain("Press Ctrl+C to stop.");
    expect(text).toMatch(/restorewatch run \S+: .*sessions=36 .*alertsRecorded=0 /);
    expect(text).toContain("Executed 'Functions.pollRestoreSessions' (Succeeded");
    expect(listCaptured(path.join(dataDir, "outbox"))).toHaveLength(capturedBefore);
    expect(processGroup(child.pid)).toEqual([]);
  }, 120_000);
});

describe("npm start -- --tenants 3 (local/start.ts, local/tenantsDemo.ts)", () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "rw-start-tenants-"));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  interface TenantsSummary {
    runs: number;
    failedRuns: number;
    failedPolls: number;
    tenants: { tenantId: string; name: string }[];
    alertableSessions: { id: string; tenantId: string; workload: string }[];
    captured: { kind: string; files: string[]; to?: string }[];
  }

  it("watches three customer tenants through the app registration and the queue fan-out; Exchange alerts go to the Exchange team's email and Teams workflow, the rest to the default route", async () => {
    const child = startLocalRun(["--tenants", "3", "--ticks", "2", "--speed", "150", "--seed", "11", "--data-dir", dataDir]);
    let output = "";
    child.onOutput((text) => (output += text));
    const code = await child.exited;
    expect(code, output).toBe(0);
    const summary = JSON.parse(readFileSync(path.join(dataDir, "outbox/run-summary.json"), "utf8")) as TenantsSummary;
    expect(summary).toMatchObject({ runs: 2, failedRuns: 0, failedPolls: 0 });
    expect(summary.tenants.map((t) => t.name).sort()).toEqual(["Contoso", "Fabrikam", "Northwind Traders"]);

    // What it prints on start: the tenants (restorewatch tenant list) and the routes (restorewatch route list).
    expect(output).toMatch(/3 customer tenant\(s\) \(seed 11\), \d+ restore sessions, watched through the multi-tenant app registration [0-9a-f-]{36} \(federated from the managed identity\) and the queue fan-out/);
    expect(output).toContain("$ restorewatch tenant list");
    for (const tenant of summary.tenants) expect(output).toMatch(new RegExp(`${tenant.name} +${tenant.tenantId}  active  never`));
    expect(output).toContain("$ restorewatch route list");
    expect(output).toContain("1 route(s), tried in this order, then the default route:");
    expect(output).toContain("order 10: tenant any; workload exchange; status any; kind any");
    expect(output).toContain("email: exchange-team@contoso.com");
    expect(output).toContain("teams: webhook URL in Key Vault secret exchange-team-teams-webhook");
    expect(output).toContain("(default route) everything else: email backup-admins@contoso.com; teams: TEAMS_WEBHOOK_URL");
    // Each cycle is one message per tenant, each polled once.
    expect(output.match(/restorewatch cycle \S+: 3 tenant poll\(s\) enqueued/g)).toHaveLength(2);
    for (const tenant of summary.tenants) expect(output.match(new RegExp(`restorewatch run \\S+.*tenant=${tenant.tenantId} `, "g")), tenant.name).toHaveLength(2);
    expect(output).not.toContain("not polled");

    // Every failure of every tenant reached exactly its route's receivers: one email and one card.
    const alertable = summary.alertableSessions;
    expect(new Set(alertable.map((s) => s.tenantId))).toEqual(new Set(summary.tenants.map((t) => t.tenantId)));
    expect(alertable.some((s) => s.workload === "exchange") && alertable.some((s) => s.workload !== "exchange")).toBe(true);
    const captured = (kind: string) => summary.captured.filter((c) => c.kind === kind).map((c) => ({ to: c.to, text: readFileSync(path.join(dataDir, "outbox", c.files[0] as string), "utf8") }));
    const emails = captured("email");
    const cards = captured("teams");
    for (const session of alertable) {
      const exchange = session.workload === "exchange";
      expect(emails.filter((e) => e.text.includes(session.id)).map((e) => e.to), `email for ${session.workload} ${session.id}`).toEqual([exchange ? "exchange-team@contoso.com" : "backup-admins@contoso.com"]);
      expect(cards.filter((c) => c.text.includes(session.id)).map((c) => c.to), `card for ${session.workload} ${session.id}`).toEqual([exchange ? "route exchange-team" : "default route"]);
    }
    expect(output).toMatch(/▣ Teams card \(route exchange-team\): restorewatch: /);
    expect(readFileSync(path.join(dataDir, "outbox/index.html"), "utf8")).toContain("to exchange-team@contoso.com · ");
    expect(processGroup(child.pid)).toEqual([]);
  }, 120_000);

  it("refuses a --tenants that is not a whole number from 1 to 20, before starting anything", async () => {
    for (const value of ["0", "21", "two"]) {
      const child = startLocalRun(["--tenants", value, "--data-dir", dataDir]);
      let output = "";
      child.onOutput((text) => (output += text));
      expect(await child.exited, output).toBe(1);
      expect(output).toContain(`npm start: --tenants must be a whole number from 1 to 20, not '${value}'`);
    }
  }, 60_000);

  it("without --tenants, the same data dir runs the home tenant alone, as before (no tenant recorded, no queue message)", async () => {
    const child = startLocalRun(["--ticks", "1", "--speed", "150", "--seed", "7", "--data-dir", dataDir]);
    let output = "";
    child.onOutput((text) => (output += text));
    expect(await child.exited, output).toBe(0);
    expect(output).toContain("restorewatch local run: simulated tenant (seed 7) with 36 restore sessions");
    expect(output).toMatch(/restorewatch run \S+ \(baseline\): tenant=7e1a0c5d-3b1f-4f63-9d2a-0c6f5e8b4a11 sessions=36 /);
    expect(output).not.toContain("tenant poll(s) enqueued");
    expect(output).not.toContain("restorewatch tenant list");
  }, 120_000);
});

interface LocalRun {
  readonly pid: number;
  readonly exited: Promise<number | null>;
  onOutput(listener: (text: string) => void): void;
}

/** `npm start`'s entry in a process group of its own, as a terminal runs it (Ctrl+C signals the whole group). */
function startLocalRun(args: string[]): LocalRun {
  const child = spawn(process.execPath, ["--require", "tsx/cjs", path.join(ROOT, "local/start.ts"), ...args], { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const pid = child.pid;
  if (pid === undefined) throw new Error("could not start local/start.ts");
  spawned.add(pid);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (exitCode) => resolve(exitCode)));
  return {
    pid,
    exited,
    onOutput: (listener) => {
      child.stdout.on("data", (chunk: Buffer) => listener(chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => listener(chunk.toString()));
    },
  };
}

/**
 * The processes of a process group still running. Zombies are left out: they have exited and only
 * wait for init to reap them (tsx's esbuild helpers are reparented to it when their parent exits).
 */
function processGroup(pgid: number): string[] {
  const ps = spawnSync("ps", ["-e", "-o", "pid=,pgid=,stat=,args="], { encoding: "utf8" });
  return ps.stdout
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter(([, group, stat]) => group === String(pgid) && !stat?.startsWith("Z"))
    .map((fields) => fields.join(" "));
}

/** Process groups this file started; whatever a failed test left running is stopped at the end. */
const spawned = new Set<number>();
afterAll(() => {
  for (const pgid of spawned) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});

import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FunctionsHost, type HostLogLine } from "../../../local/functionsHost/functionsHost";
import { parseNcrontab } from "../../../local/functionsHost/ncrontab";
import { FileScheduleStatusStore } from "../../../local/functionsHost/scheduleMonitor";
import { TimerScheduler, type TimerFired } from "../../../local/functionsHost/timerScheduler";

/**
 * The emulated host against a small app that uses what the Node worker offers beyond registration:
 * the Timer it passes (schedule status, past due), the InvocationContext, and the app's hooks
 * (appStart/appTerminate, pre/postInvocation that replace the handler or forgive an error, log hooks
 * that rewrite user logs). Everything goes through the real @azure/functions library.
 */
const ROOT = path.resolve(__dirname, "../../..");

const APP = String.raw`
const { app } = require("@azure/functions");
app.hook.appStart((context) => { context.hookData.startedBy = "appStart"; });
app.hook.appTerminate((context) => { console.log("appTerminate saw hookData.startedBy=" + context.hookData.startedBy); });
app.hook.preInvocation((context) => {
  context.hookData.pre = context.invocationContext.functionName;
  if (context.invocationContext.functionName !== "wrapped") return;
  const original = context.functionHandler;
  context.functionHandler = (timer, invocationContext) => {
    invocationContext.log("the preInvocation hook's handler ran first");
    return original(timer, invocationContext);
  };
});
app.hook.postInvocation((context) => {
  context.invocationContext.log("postInvocation saw hookData.pre=" + context.hookData.pre + " error=" + (context.error && context.error.message));
  if (context.invocationContext.functionName === "forgiven") context.error = null;
});
app.hook.log((context) => { if (context.category === "user") context.message = "[hooked] " + context.message; });

const report = (timer, context) => context.log(JSON.stringify({ timer, invocationId: context.invocationId, functionName: context.functionName, trigger: context.options.trigger }));
app.timer("every5", { schedule: "%EVERY5_SCHEDULE%", handler: report });
app.timer("startup", { schedule: "0 0 0 1 1 *", runOnStartup: true, handler: report });
app.timer("wrapped", { schedule: "0 0 0 1 1 *", handler: (timer, context) => context.log("the app's handler ran") });
app.timer("forgiven", { schedule: "0 0 0 1 1 *", handler: () => { throw new Error("boom"); } });
app.timer("failing", { schedule: "0 0 0 1 1 *", handler: () => { throw new Error("kaput"); } });
`;

let appDir: string;
beforeAll(() => {
  appDir = mkdtempSync(path.join(tmpdir(), "rw-fidelity-"));
  writeFileSync(path.join(appDir, "package.json"), JSON.stringify({ name: "fidelity", main: "functions/*.js" }));
  mkdirSync(path.join(appDir, "functions"));
  writeFileSync(path.join(appDir, "functions", "app.js"), APP);
  // The app requires @azure/functions from its own node_modules, as a deployed app does.
  symlinkSync(path.join(ROOT, "node_modules"), path.join(appDir, "node_modules"), "dir");
});
afterAll(() => rmSync(appDir, { recursive: true, force: true }));

async function loadApp(): Promise<{ host: FunctionsHost; lines: HostLogLine[] }> {
  const lines: HostLogLine[] = [];
  const host = await FunctionsHost.load(appDir, { log: (line) => lines.push(line) });
  return { host, lines };
}

/** The JSON the `report` handler logged for an invocation (after the log hook's prefix). */
function reported(lines: readonly HostLogLine[], invocationId: string): { timer: unknown; invocationId: string; functionName: string; trigger: Record<string, unknown> } {
  const line = lines.find((l) => l.invocationId === invocationId && l.category === "user" && l.message.startsWith("[hooked] {"));
  expect(line, `report of ${invocationId}`).toBeDefined();
  return JSON.parse((line as HostLogLine).message.slice("[hooked] ".length)) as ReturnType<typeof reported>;
}

/** Collects the scheduler's invocations; `next(name)` resolves with the first one of that function. */
function invocations(): { onFired: (fired: TimerFired) => void; first: (name: string) => Promise<TimerFired> } {
  const seen: TimerFired[] = [];
  const waiting: { name: string; resolve: (fired: TimerFired) => void }[] = [];
  return {
    onFired: (fired) => {
      seen.push(fired);
      for (const w of waiting.filter((w) => w.name === fired.name)) w.resolve(fired);
    },
    first: (name) => new Promise((resolve) => {
      const already = seen.find((f) => f.name === name);
      if (already) resolve(already);
      else waiting.push({ name, resolve });
    }),
  };
}

describe("the emulated host's Timer and InvocationContext", () => {
  it("runs a monitored timer whose recorded Next went by while the host was down at once, past due, with the recorded status", async () => {
    const { host, lines } = await loadApp();
    const statusDir = mkdtempSync(path.join(tmpdir(), "rw-timers-"));
    try {
      const schedule = parseNcrontab("0 */5 * * * *");
      // The host last ran the timer half an hour ago; its next occurrence was 25 minutes ago.
      const last = schedule.next(new Date(Date.now() - 35 * 60_000));
      const recorded = { last, next: schedule.next(last), lastUpdated: last };
      new FileScheduleStatusStore(statusDir).write("every5", recorded);

      const fired = invocations();
      const scheduler = new TimerScheduler(host, { settings: { EVERY5_SCHEDULE: "0 */5 * * * *" }, statusStore: new FileScheduleStatusStore(statusDir), onFired: fired.onFired });
      expect(scheduler.timers.map((t) => [t.name, t.useMonitor])).toEqual([
        ["every5", true],
        ["startup", true],
        ["wrapped", true],
        ["forgiven", true],
        ["failing", true],
      ]);
      const pastDue = fired.first("every5");
      scheduler.start();
      const result = await pastDue;
      await scheduler.stop();

      expect(result).toMatchObject({ reason: "pastDue", isPastDue: true, scheduledAt: recorded.next, result: { ok: true } });
      const seen = reported(lines, result.result.invocationId);
      // The handler got the library's Timer (camelCase) with the status the host had recorded.
      expect(seen.timer).toEqual({
        isPastDue: true,
        schedule: { adjustForDST: true },
        scheduleStatus: { last: recorded.last.toISOString(), next: recorded.next.toISOString(), lastUpdated: recorded.lastUpdated.toISOString() },
      });
      expect(seen).toMatchObject({ invocationId: result.result.invocationId, functionName: "every5", trigger: { type: "timerTrigger", schedule: "%EVERY5_SCHEDULE%" } });
      // After the run the status moved on from the invocation: Last = when it ran, Next = the occurrence after.
      const after = JSON.parse(readFileSync(path.join(statusDir, "every5.status.json"), "utf8")) as { Last: string; Next: string; LastUpdated: string };
      expect(new Date(after.Last).getTime()).toBeGreaterThan(recorded.next.getTime());
      expect(after.LastUpdated).toBe(after.Last);
      expect(after.Next).toBe(schedule.next(new Date(after.Last)).toISOString());
    } finally {
      rmSync(statusDir, { recursive: true, force: true });
    }
  });

  it("runs a runOnStartup timer at once, not past due, with the status of a timer that never ran", async () => {
    const { host, lines } = await loadApp();
    const fired = invocations();
    const scheduler = new TimerScheduler(host, { settings: { EVERY5_SCHEDULE: "0 */5 * * * *" }, onFired: fired.onFired });
    const startup = fired.first("startup");
    scheduler.start();
    const result = await startup;
    await scheduler.stop();
    expect(result).toMatchObject({ reason: "runOnStartup", isPastDue: false });
    const seen = reported(lines, result.result.invocationId);
    expect(seen.timer).toEqual({
      isPastDue: false,
      schedule: { adjustForDST: true },
      scheduleStatus: { last: "0001-01-01T00:00:00.000Z", next: parseNcrontab("0 0 0 1 1 *").next(result.scheduledAt).toISOString(), lastUpdated: "0001-01-01T00:00:00.000Z" },
    });
    expect(seen.trigger).toMatchObject({ type: "timerTrigger", runOnStartup: true });
  });

  it("passes no schedule status for a schedule that fires more than once a minute (not monitored), and fires it on time, not past due", async () => {
    const { host, lines } = await loadApp();
    const fired: TimerFired[] = [];
    let done: () => void = () => undefined;
    const twice = new Promise<void>((resolve) => (done = resolve));
    const scheduler = new TimerScheduler(host, {
      settings: { EVERY5_SCHEDULE: "*/2 * * * * *" },
      // 2 emulated seconds are 20 ms here.
      speed: 100,
      onFired: (f) => {
        if (f.name !== "every5") return;
        fired.push(f);
        if (fired.length === 2) done();
      },
    });
    expect(scheduler.timers.find((t) => t.name === "every5")?.useMonitor).toBe(false);
    scheduler.start();
    await twice;
    await scheduler.stop();
    for (const f of fired) {
      expect(f).toMatchObject({ reason: "schedule", isPastDue: false, timerInfo: { ScheduleStatus: null, IsPastDue: false } });
      expect(reported(lines, f.result.invocationId).timer).toEqual({ isPastDue: false, schedule: { adjustForDST: true }, scheduleStatus: null });
      expect(f.scheduledAt.getUTCSeconds() % 2).toBe(0);
    }
    // The second occurrence is the one after the first.
    const [first, second] = fired as [TimerFired, TimerFired];
    expect(second.scheduledAt.getTime()).toBeGreaterThan(first.scheduledAt.getTime());
  });
});

describe("the emulated host's hooks and logs, as the Node worker runs them", () => {
  it("lets a preInvocation hook replace the handler, shares hookData with postInvocation, and rewrites user logs through log hooks", async () => {
    const { host, lines } = await loadApp();
    const result = await host.invoke("wrapped", { Schedule: { AdjustForDST: true }, ScheduleStatus: null, IsPastDue: false });
    expect(result.ok).toBe(true);
    expect(result.logs.filter((l) => l.category === "user").map((l) => l.message)).toEqual([
      "[hooked] the preInvocation hook's handler ran first",
      "[hooked] the app's handler ran",
      "[hooked] postInvocation saw hookData.pre=wrapped error=null",
    ]);
    expect(lines.filter((l) => l.invocationId === result.invocationId)).toEqual(result.logs);
  });

  it("fails an invocation whose handler throws, unless a postInvocation hook clears the error", async () => {
    const { host } = await loadApp();
    const timerInfo = { Schedule: { AdjustForDST: true }, ScheduleStatus: null, IsPastDue: false };
    const failing = await host.invoke("failing", timerInfo);
    expect(failing).toMatchObject({ ok: false, error: "kaput" });
    expect(failing.logs.map((l) => l.message)).toEqual(expect.arrayContaining(["[hooked] postInvocation saw hookData.pre=failing error=kaput", `Executed 'Functions.failing' (Failed, Id=${failing.invocationId}): kaput`]));
    const forgiven = await host.invoke("forgiven", timerInfo);
    expect(forgiven).toMatchObject({ ok: true });
    expect(forgiven.logs.map((l) => l.message)).toContain("[hooked] postInvocation saw hookData.pre=forgiven error=boom");
  });

  it("gives appTerminate the hookData appStart left, and refuses registrations after start-up and unknown hooks", async () => {
    const { host } = await loadApp();
    const printed: string[] = [];
    const original = console.log;
    console.log = (...args: unknown[]) => void printed.push(args.join(" "));
    try {
      await host.terminate();
    } finally {
      console.log = original;
    }
    expect(printed).toEqual(["appTerminate saw hookData.startedBy=appStart"]);
    // The library's own module, as the loaded app sees it: registrations after start-up are refused like the worker does.
    const { app } = (await import("node:module")).createRequire(path.join(appDir, "package.json"))("@azure/functions") as typeof import("@azure/functions");
    expect(() => app.timer("late", { schedule: "0 0 0 1 1 *", handler: () => undefined })).toThrow("A function can only be registered during app startup.");
    const core = (await import("node:module")).createRequire(path.join(appDir, "package.json"))("@azure/functions-core") as { registerHook(name: string, cb: () => void): unknown };
    expect(() => core.registerHook("preInvokation", () => undefined)).toThrow('Unrecognized hook "preInvokation"');
  });
});

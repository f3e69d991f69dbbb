import type { FunctionsHost, InvocationResult, RegisteredFunction } from "./functionsHost";
import { parseNcrontab, type CronSchedule } from "./ncrontab";
import { checkPastDue, monitoredByDefault, NEVER, statusAfterInvocation, toTimerInfoStatus, type ScheduleStatus, type ScheduleStatusStore } from "./scheduleMonitor";

export type Settings = Readonly<Record<string, string | undefined>>;

export interface TimerFunction {
  readonly name: string;
  /** The schedule as registered, e.g. `%POLL_SCHEDULE%`. */
  readonly scheduleSetting: string;
  /** After app-setting references are resolved. */
  readonly schedule: CronSchedule;
  readonly runOnStartup: boolean;
  /** Whether the schedule status is kept (and passed to the function): `useMonitor`, or the host's default. */
  readonly useMonitor: boolean;
}

/** Why the host invoked a timer: its schedule, a missed occurrence found at start-up, or runOnStartup. */
export type FiredReason = "schedule" | "pastDue" | "runOnStartup";

export interface TimerFired {
  readonly name: string;
  readonly reason: FiredReason;
  /** The occurrence the invocation stands for (for runOnStartup: when it started). */
  readonly scheduledAt: Date;
  readonly isPastDue: boolean;
  /** The TimerInfo sent to the worker, as the host serialises it (PascalCase). */
  readonly timerInfo: TimerInfoJson;
  readonly result: InvocationResult;
}

export interface TimerInfoJson {
  readonly Schedule: { readonly AdjustForDST: boolean };
  readonly ScheduleStatus: { readonly Last: string; readonly Next: string; readonly LastUpdated: string } | null;
  readonly IsPastDue: boolean;
}

export interface TimerSchedulerOptions {
  readonly settings: Settings;
  /** Clock speed-up for demos and tests: 30 runs a 5-minute schedule every 10 s. Default 1. */
  readonly speed?: number;
  /** Where monitored schedules keep their status across restarts; in memory (this process only) when absent. */
  readonly statusStore?: ScheduleStatusStore;
  readonly onFired?: (fired: TimerFired) => void;
  /** The host's own lines about the schedule (past due on start-up, run on startup). */
  readonly log?: (message: string) => void;
}

/**
 * Resolves `%NAME%` app-setting references the way the host resolves binding expressions, failing
 * like it does when a setting is missing.
 */
export function resolveAppSettings(value: string, settings: Settings, functionName: string): string {
  return value.replace(/%([^%]+)%/g, (_, name: string) => {
    const resolved = settings[name];
    if (resolved === undefined || resolved === "") {
      throw new Error(`The '${functionName}' function is in error: '%${name}%' does not resolve to a value (app setting ${name} is not set).`);
    }
    return resolved;
  });
}

/** The timer-triggered functions of an app, with their schedules resolved from the settings. */
export function timerFunctions(functions: readonly RegisteredFunction[], settings: Settings, now = new Date()): TimerFunction[] {
  return functions
    .filter((fn) => fn.trigger.type.toLowerCase() === "timertrigger")
    .map((fn) => {
      const scheduleSetting = String(fn.trigger["schedule"] ?? "");
      const resolved = resolveAppSettings(scheduleSetting, settings, fn.name);
      let schedule: CronSchedule;
      try {
        schedule = parseNcrontab(resolved);
      } catch (error) {
        throw new Error(`The '${fn.name}' function is in error: ${error instanceof Error ? error.message : String(error)}`);
      }
      const useMonitor = typeof fn.trigger["useMonitor"] === "boolean" ? fn.trigger["useMonitor"] : monitoredByDefault(schedule, now);
      return { name: fn.name, scheduleSetting, schedule, runOnStartup: fn.trigger["runOnStartup"] === true, useMonitor };
    });
}

class MemoryStatusStore implements ScheduleStatusStore {
  private readonly statuses = new Map<string, ScheduleStatus>();
  read(timerName: string): ScheduleStatus | undefined {
    return this.statuses.get(timerName);
  }
  write(timerName: string, status: ScheduleStatus): void {
    this.statuses.set(timerName, status);
  }
}

/** Node's setTimeout holds at most 2^31-1 ms; longer waits are taken in steps. */
const MAX_TIMEOUT_MS = 2_147_483_647;

/**
 * Fires each timer function as the timer extension's listener does: one invocation of a function at
 * a time; after each run the schedule status moves on (`Last` = this occurrence, `Next` = the one
 * after it) and the next invocation waits for `Next`, or starts at once when the run overran it. At
 * start-up a monitored timer whose recorded `Next` has gone by runs at once with isPastDue; otherwise
 * runOnStartup runs it at once; otherwise it waits for its first occurrence.
 */
export class TimerScheduler {
  private readonly speed: number;
  private readonly realStart = Date.now();
  private readonly store: ScheduleStatusStore;
  private readonly handles = new Set<NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  private readonly statuses = new Map<string, ScheduleStatus>();
  private stopped = false;
  readonly timers: TimerFunction[];

  constructor(
    private readonly host: FunctionsHost,
    private readonly options: TimerSchedulerOptions,
  ) {
    this.speed = options.speed ?? 1;
    if (!(this.speed > 0)) throw new Error("speed must be a positive number");
    this.store = options.statusStore ?? new MemoryStatusStore();
    this.timers = timerFunctions(host.functions, options.settings, this.now());
  }

  /** The emulated clock: real time, sped up from the moment the scheduler was created. */
  now(): Date {
    return new Date(this.realStart + (Date.now() - this.realStart) * this.speed);
  }

  /** The schedule status a timer has now (what its next invocation will be given, if monitored). */
  status(name: string): ScheduleStatus | undefined {
    return this.statuses.get(name);
  }

  start(): void {
    for (const timer of this.timers) {
      const now = this.now();
      let pastDueMs = 0;
      let status: ScheduleStatus | undefined;
      if (timer.useMonitor) {
        const recorded = this.store.read(timer.name);
        const check = checkPastDue(now, timer.schedule, recorded);
        if (check.changed) this.store.write(timer.name, check.status);
        pastDueMs = check.pastDueMs;
        // A timer seen for the first time starts from "never", as the host's listener does.
        if (recorded) status = check.status;
      }
      status ??= { last: NEVER, next: timer.schedule.next(now), lastUpdated: NEVER };
      this.statuses.set(timer.name, status);
      if (pastDueMs > 0) {
        this.options.log?.(`Function '${timer.name}' is past due on startup (it was due at ${status.next.toISOString()}). Executing now.`);
        this.fire(timer, "pastDue");
      } else if (timer.runOnStartup) {
        this.options.log?.(`Function '${timer.name}' is configured to run on startup. Executing now.`);
        this.fire(timer, "runOnStartup");
      } else {
        this.arm(timer);
      }
    }
  }

  /** Stops scheduling and waits for the invocations in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const handle of this.handles) clearTimeout(handle);
    this.handles.clear();
    await Promise.all([...this.running]);
  }

  /** Waits for the timer's Next (at once if it has gone by). */
  private arm(timer: TimerFunction): void {
    if (this.stopped) return;
    const next = (this.statuses.get(timer.name) as ScheduleStatus).next;
    const delay = Math.max(0, (next.getTime() - this.now().getTime()) / this.speed);
    const handle = setTimeout(
      () => {
        this.handles.delete(handle);
        if (delay > MAX_TIMEOUT_MS) this.arm(timer);
        else this.fire(timer, "schedule");
      },
      Math.min(delay, MAX_TIMEOUT_MS),
    );
    this.handles.add(handle);
  }

  private fire(timer: TimerFunction, reason: FiredReason): void {
    if (this.stopped) return;
    const before = this.statuses.get(timer.name) as ScheduleStatus;
    const invocationTime = this.now();
    const timerInfo: TimerInfoJson = {
      Schedule: { AdjustForDST: true },
      ScheduleStatus: timer.useMonitor ? toTimerInfoStatus(before) : null,
      IsPastDue: reason === "pastDue",
    };
    const run = this.host.invoke(timer.name, timerInfo).then((result) => {
      this.running.delete(run);
      const after = statusAfterInvocation(timer.schedule, before, invocationTime, reason === "schedule");
      this.statuses.set(timer.name, after);
      if (timer.useMonitor) this.store.write(timer.name, after);
      const scheduledAt = reason === "runOnStartup" ? invocationTime : before.next;
      try {
        this.options.onFired?.({ name: timer.name, reason, scheduledAt, isPastDue: timerInfo.IsPastDue, timerInfo, result });
      } finally {
        this.arm(timer);
      }
    });
    this.running.add(run);
  }
}

import type { FunctionsHost, InvocationResult, RegisteredFunction } from "./functionsHost";
import { parseNcrontab, type CronSchedule } from "./ncrontab";

export type Settings = Readonly<Record<string, string | undefined>>;

export interface TimerFunction {
  readonly name: string;
  /** The schedule as registered, e.g. `%POLL_SCHEDULE%`. */
  readonly scheduleSetting: string;
  /** After app-setting references are resolved. */
  readonly schedule: CronSchedule;
  readonly runOnStartup: boolean;
}

export interface TimerFired {
  readonly name: string;
  readonly scheduledAt: Date;
  readonly isPastDue: boolean;
  readonly result: InvocationResult;
}

export interface TimerSchedulerOptions {
  readonly settings: Settings;
  /** Clock speed-up for demos and tests: 30 runs a 5-minute schedule every 10 s. Default 1. */
  readonly speed?: number;
  readonly onFired?: (fired: TimerFired) => void;
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
export function timerFunctions(functions: readonly RegisteredFunction[], settings: Settings): TimerFunction[] {
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
      return { name: fn.name, scheduleSetting, schedule, runOnStartup: fn.trigger["runOnStartup"] === true };
    });
}

/**
 * Fires each timer function on its schedule, one invocation of a function at a time (the host runs a
 * timer as a singleton). A run that overruns its next occurrence makes the next one start at once,
 * with isPastDue set, as the host does after a missed schedule.
 */
export class TimerScheduler {
  private readonly speed: number;
  private readonly realStart = Date.now();
  private readonly handles = new Set<NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  private stopped = false;
  readonly timers: TimerFunction[];

  constructor(
    private readonly host: FunctionsHost,
    private readonly options: TimerSchedulerOptions,
  ) {
    this.speed = options.speed ?? 1;
    if (!(this.speed > 0)) throw new Error("speed must be a positive number");
    this.timers = timerFunctions(host.functions, options.settings);
  }

  /** The emulated clock: real time, sped up from the moment the scheduler was created. */
  now(): Date {
    return new Date(this.realStart + (Date.now() - this.realStart) * this.speed);
  }

  start(): void {
    for (const timer of this.timers) {
      if (timer.runOnStartup) this.fire(timer, this.now(), undefined);
      else this.schedule(timer, timer.schedule.next(this.now()), undefined);
    }
  }

  /** Stops scheduling and waits for the invocations in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const handle of this.handles) clearTimeout(handle);
    this.handles.clear();
    await Promise.all([...this.running]);
  }

  private schedule(timer: TimerFunction, at: Date, last: Date | undefined): void {
    if (this.stopped) return;
    const delay = Math.max(0, (at.getTime() - this.now().getTime()) / this.speed);
    const handle = setTimeout(() => {
      this.handles.delete(handle);
      this.fire(timer, at, last);
    }, delay);
    this.handles.add(handle);
  }

  private fire(timer: TimerFunction, scheduledAt: Date, last: Date | undefined): void {
    if (this.stopped) return;
    const firedAt = this.now();
    const next = timer.schedule.next(new Date(Math.max(scheduledAt.getTime(), firedAt.getTime())));
    // Late by more than a second of emulated time: the host calls that past due.
    const isPastDue = firedAt.getTime() - scheduledAt.getTime() > 1000 * this.speed;
    const timerInfo = {
      Schedule: { AdjustForDST: true },
      ScheduleStatus: { Last: (last ?? scheduledAt).toISOString(), Next: next.toISOString(), LastUpdated: firedAt.toISOString() },
      IsPastDue: isPastDue,
    };
    const run = this.host.invoke(timer.name, timerInfo).then((result) => {
      this.running.delete(run);
      this.options.onFired?.({ name: timer.name, scheduledAt, isPastDue, result });
      // An occurrence missed while this run went on fires at once, past due; only one is caught up.
      this.schedule(timer, next, scheduledAt);
    });
    this.running.add(run);
  }
}

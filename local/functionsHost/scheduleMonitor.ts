import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { CronSchedule } from "./ncrontab";

/**
 * The timer trigger's schedule monitor, as the WebJobs timer extension keeps it: a status per timer
 * (`Last`, `Next`, `LastUpdated`) recorded after every invocation, read when the host starts, and used
 * to decide whether an occurrence was missed while the app was down. Only such a missed occurrence
 * makes an invocation "past due"; a run that overruns its next occurrence is followed at once by a
 * normal one. In Azure the status lives in the AzureWebJobsStorage account; here, in a folder.
 */
export interface ScheduleStatus {
  readonly last: Date;
  readonly next: Date;
  readonly lastUpdated: Date;
}

/** .NET's default(DateTime), which the host records for "never". */
export const NEVER = new Date("0001-01-01T00:00:00Z");

export interface ScheduleStatusStore {
  read(timerName: string): ScheduleStatus | undefined;
  write(timerName: string, status: ScheduleStatus): void;
}

/**
 * Whether the host monitors a schedule: `useMonitor` when the function sets it, otherwise only when
 * the schedule fires at most once in the coming minute (sub-minute schedules are not persisted).
 */
export function monitoredByDefault(schedule: CronSchedule, now: Date): boolean {
  const minuteLater = now.getTime() + 60_000;
  const first = schedule.next(now);
  return !(first.getTime() < minuteLater && schedule.next(first).getTime() < minuteLater);
}

/**
 * The host's start-up check. Returns the status to record (a new timer gets one, a changed schedule
 * gets a recalculated one) and how late the recorded next occurrence is (0 when not past due).
 */
export function checkPastDue(now: Date, schedule: CronSchedule, recorded: ScheduleStatus | undefined): { status: ScheduleStatus; changed: boolean; pastDueMs: number } {
  let status: ScheduleStatus;
  let changed = false;
  if (!recorded) {
    status = { last: NEVER, next: schedule.next(now), lastUpdated: now };
    changed = true;
  } else {
    // The time 'Next' was computed from: the last run if there was one, else when it was recorded.
    const base = recorded.last > NEVER ? recorded.last : recorded.lastUpdated > NEVER ? recorded.lastUpdated : now;
    let expectedNext = schedule.next(base);
    let lastUpdated = base;
    status = recorded;
    if (expectedNext.getTime() !== recorded.next.getTime()) {
      // The schedule changed since the status was recorded: a next occurrence already gone is not a
      // missed one, so it is recalculated from now.
      if (now > expectedNext) {
        expectedNext = schedule.next(now);
        lastUpdated = now;
      }
      status = { last: NEVER, next: expectedNext, lastUpdated };
      changed = true;
    }
  }
  return { status, changed, pastDueMs: Math.max(0, now.getTime() - status.next.getTime()) };
}

/** The status after an invocation that started at invocationTime. */
export function statusAfterInvocation(schedule: CronSchedule, before: ScheduleStatus, invocationTime: Date, scheduled: boolean): ScheduleStatus {
  // A scheduled run that fired a moment early counts from its occurrence, so 'Next' moves on.
  const at = scheduled && before.next > invocationTime ? before.next : invocationTime;
  return { last: at, next: schedule.next(at), lastUpdated: at };
}

/** The status as the host serialises it into the TimerInfo it sends to the Node worker. */
export function toTimerInfoStatus(status: ScheduleStatus): { Last: string; Next: string; LastUpdated: string } {
  return { Last: status.last.toISOString(), Next: status.next.toISOString(), LastUpdated: status.lastUpdated.toISOString() };
}

/** One JSON file per timer in a folder (the host uses blobs `timers/<host>/<function>/status`). */
export class FileScheduleStatusStore implements ScheduleStatusStore {
  constructor(readonly dir: string) {}

  private file(timerName: string): string {
    return path.join(this.dir, `${timerName}.status.json`);
  }

  read(timerName: string): ScheduleStatus | undefined {
    const file = this.file(timerName);
    if (!existsSync(file)) return undefined;
    const raw = JSON.parse(readFileSync(file, "utf8")) as { Last?: unknown; Next?: unknown; LastUpdated?: unknown };
    const date = (value: unknown): Date | undefined => {
      const parsed = typeof value === "string" ? new Date(value) : undefined;
      return parsed && !Number.isNaN(parsed.getTime()) ? parsed : undefined;
    };
    const [last, next, lastUpdated] = [date(raw.Last), date(raw.Next), date(raw.LastUpdated)];
    // An unreadable record is treated like a missing one, as the host does.
    return last && next && lastUpdated ? { last, next, lastUpdated } : undefined;
  }

  write(timerName: string, status: ScheduleStatus): void {
    mkdirSync(this.dir, { recursive: true });
    const file = this.file(timerName);
    writeFileSync(`${file}.tmp`, `${JSON.stringify(toTimerInfoStatus(status), null, 2)}\n`);
    renameSync(`${file}.tmp`, file);
  }
}

import { diagnose, type HealthNotice } from "../alerts/healthNotice";
import { deliverNotice } from "../channels/deliver";
import { errorMessage } from "../domain/errors";
import { RunMetaStore, type RunMeta } from "../state/runMeta";
import { SendLogStore } from "../state/sendLog";
import { ensureTable } from "../state/tableClient";
import type { PollDeps } from "./poll";

/**
 * What this instance knows of recent runs, for when the state table itself is what fails: the count
 * in the table survives restarts; this one keeps counting (and remembers a notice sent) while the
 * table cannot be written.
 */
export interface HealthMemory {
  consecutiveFailures: number;
  lastSuccessAt?: string;
  alertedAt?: string;
}

export function newHealthMemory(): HealthMemory {
  return { consecutiveFailures: 0 };
}

/** How long recording a failed run (and its health notice's send log) may take. */
const FAILED_RUN_WRITE_TIMEOUT_IN_MS = 60_000;

/**
 * A run failed: count it in the meta row (and in memory), and after HEALTH_ALERT_AFTER failures in a
 * row send one "cannot see your restore sessions" notice through the channels that still work.
 * Best effort throughout: the run's own error is what the caller reports.
 */
export async function recordFailedRun(deps: PollDeps, tenantId: string | undefined, now: Date, error: unknown): Promise<void> {
  const memory = deps.health;
  memory.consecutiveFailures++;
  let stored: RunMeta | undefined;
  let store: RunMetaStore | undefined;
  // The run may have failed on its deadline: this bookkeeping has a bound of its own.
  const signal = AbortSignal.timeout(FAILED_RUN_WRITE_TIMEOUT_IN_MS);
  if (tenantId) {
    try {
      await ensureTable(deps.table, signal);
      store = new RunMetaStore(deps.table, tenantId, deps.tableCounters, signal);
      const { meta } = await store.read();
      stored = { ...meta, lastRunAt: now.toISOString(), consecutiveFailures: meta.consecutiveFailures + 1, lastError: errorMessage(error).slice(0, 1000) };
      await store.write(stored);
      memory.consecutiveFailures = Math.max(memory.consecutiveFailures, stored.consecutiveFailures);
    } catch (metaError) {
      deps.log.error(`could not record the failed run in the state table: ${errorMessage(metaError)}`);
      store = undefined;
    }
  }

  const failures = stored?.consecutiveFailures ?? memory.consecutiveFailures;
  const alreadyAlerted = stored?.healthAlertedAt ?? memory.alertedAt;
  if (failures < deps.config.health.alertAfterRuns || alreadyAlerted) return;

  const { cause, fix } = diagnose(error);
  deps.log.error(`restorewatch has failed ${failures} runs in a row and cannot see the restore sessions: ${cause}. ${fix}`);
  const lastSuccessAt = stored?.lastSuccessAt ?? memory.lastSuccessAt;
  const notice: HealthNotice = {
    kind: "unhealthy",
    tenantId: tenantId ?? deps.config.graph.tenantId ?? "(unknown: no token could be obtained)",
    consecutiveFailures: failures,
    at: now.toISOString(),
    cause,
    fix,
    ...(lastSuccessAt && { lastSuccessAt }),
  };
  const delivered = await sendNotice(deps, notice, store ? tenantId : undefined, now);
  if (delivered.length === 0) return; // tried again on the next failed run
  memory.alertedAt = notice.at;
  if (store && stored) {
    await store.write({ ...stored, healthAlertedAt: notice.at }).catch((e: unknown) => deps.log.error(`could not record the health notice: ${errorMessage(e)}`));
  }
}

/**
 * A run succeeded after a health notice: send the recovery notice, and return the meta row without
 * the notice mark once a channel took it (until then the mark stays and the next run tries again).
 */
export async function noticeRecovery(deps: PollDeps, tenantId: string, before: RunMeta, after: RunMeta, now: Date): Promise<RunMeta | undefined> {
  const memory = deps.health;
  const failuresBefore = Math.max(before.consecutiveFailures, memory.consecutiveFailures);
  memory.consecutiveFailures = 0;
  memory.lastSuccessAt = now.toISOString();
  const alertedAt = before.healthAlertedAt ?? memory.alertedAt;
  if (!alertedAt) return undefined;
  const notice: HealthNotice = {
    kind: "recovered",
    tenantId,
    consecutiveFailures: failuresBefore,
    at: now.toISOString(),
    cause: before.lastError ?? "",
    fix: "",
    ...(before.lastSuccessAt && { lastSuccessAt: before.lastSuccessAt }),
  };
  const delivered = await sendNotice(deps, notice, tenantId, now);
  if (delivered.length === 0) return { ...after, healthAlertedAt: alertedAt };
  delete memory.alertedAt;
  const { healthAlertedAt: _cleared, ...rest } = after;
  return rest;
}

async function sendNotice(deps: PollDeps, notice: HealthNotice, tenantIdForSendLog: string | undefined, now: Date): Promise<string[]> {
  const sendLog = tenantIdForSendLog ? new SendLogStore(deps.table, tenantIdForSendLog, deps.tableCounters, AbortSignal.timeout(FAILED_RUN_WRITE_TIMEOUT_IN_MS)) : undefined;
  try {
    return await deliverNotice(notice, { channels: deps.channels, now, log: deps.log, ...(sendLog && { sendLog }) });
  } catch (error) {
    // The send log lives in the table; when that fails too, the notice still goes, without the limit.
    deps.log.error(`health notice: ${errorMessage(error)}; sending without the rate limit`);
    return deliverNotice(notice, { channels: deps.channels, now, log: deps.log });
  }
}

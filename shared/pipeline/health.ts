import { diagnose, type HealthNotice } from "../alerts/healthNotice";
import { deliverNotice } from "../channels/deliver";
import { noticeChannelsFor } from "./noticeReceivers";
import { errorMessage } from "../domain/errors";
import { RunMetaStore, type RunMeta } from "../state/runMeta";
import { SEND_LOG_PARTITION, SendLogStore } from "../state/sendLog";
import { ensureTable } from "../state/tableClient";
import type { HealthMemory, PollDeps, RunContext, TenantRun } from "./pollDeps";
import { trackFailedRun } from "./runTelemetry";

export function newHealthMemory(): HealthMemory {
  return { consecutiveFailures: 0 };
}

/** How long recording a failed run (and its health notice's send log) may take. */
const FAILED_RUN_WRITE_TIMEOUT_IN_MS = 60_000;

/** What a successful run leaves for the health check: the meta row as it found it and as it left it. */
export interface RunOutcome<T> {
  readonly result: T;
  readonly metaBefore: RunMeta;
  readonly metaAfter: RunMeta;
  /** The run delivered (not a dry run, nor one that skipped delivery): a recovery notice may go out. */
  readonly delivered: boolean;
}

/**
 * Runs a poll under watch: first the tenant (the state partition), then the run itself. A run that
 * fails (no token, Graph, storage, its deadline) is counted, and after HEALTH_ALERT_AFTER failures in
 * a row restorewatch says it cannot see the restore sessions; the first run that succeeds after that
 * says it can again. A dry run is only watched, never counted.
 */
export async function withHealth<T>(deps: PollDeps, run: RunContext, body: (run: TenantRun) => Promise<RunOutcome<T>>): Promise<T> {
  let tenantId: string | undefined;
  try {
    tenantId = await deps.resolveTenant();
    const tenantRun: TenantRun = { ...run, tenantId };
    const outcome = await body(tenantRun);
    if (outcome.delivered) {
      const recovered = await noticeRecovery(deps, tenantRun, outcome.metaBefore, outcome.metaAfter);
      if (recovered) await new RunMetaStore(deps.table, tenantId, deps.tableCounters, run.bookkeeping).write(recovered);
    }
    return outcome.result;
  } catch (error) {
    if (!run.dryRun) await recordFailedRun(deps, run, tenantId, error);
    trackFailedRun(deps, run, tenantId, error);
    throw error;
  }
}

/**
 * A run failed: count it in the meta row (and in memory), and after HEALTH_ALERT_AFTER failures in a
 * row send one "cannot see your restore sessions" notice through the channels that still work.
 * Best effort throughout: the run's own error is what the caller reports.
 */
async function recordFailedRun(deps: PollDeps, run: RunContext, tenantId: string | undefined, error: unknown): Promise<void> {
  const { now, log } = run;
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
      log.error(`could not record the failed run in the state table: ${errorMessage(metaError)}`);
      store = undefined;
    }
  }

  const failures = stored?.consecutiveFailures ?? memory.consecutiveFailures;
  const alreadyAlerted = stored?.healthAlertedAt ?? memory.alertedAt;
  if (failures < deps.config.health.alertAfterRuns || alreadyAlerted) return;

  const { cause, fix } = diagnose(error);
  log.error(`restorewatch has failed ${failures} runs in a row and cannot see the restore sessions${deps.tenantLabel !== undefined ? ` of ${deps.tenantLabel}` : ""}: ${cause}. ${fix}`);
  const lastSuccessAt = stored?.lastSuccessAt ?? memory.lastSuccessAt;
  const notice: HealthNotice = {
    kind: "unhealthy",
    tenantId: tenantId ?? deps.config.graph.tenantId ?? "(unknown: no token could be obtained)",
    ...(deps.tenantLabel !== undefined && { tenantLabel: deps.tenantLabel }),
    consecutiveFailures: failures,
    at: now.toISOString(),
    cause,
    fix,
    ...(lastSuccessAt && { lastSuccessAt }),
  };
  const delivered = await sendNotice(deps, run, notice, store ? tenantId : undefined);
  if (delivered.length === 0) return; // tried again on the next failed run
  memory.alertedAt = notice.at;
  if (store && stored) {
    await store.write({ ...stored, healthAlertedAt: notice.at }).catch((e: unknown) => log.error(`could not record the health notice: ${errorMessage(e)}`));
  }
}

/**
 * A run succeeded after a health notice: send the recovery notice, and return the meta row without
 * the notice mark once a channel took it (until then the mark stays and the next run tries again).
 */
async function noticeRecovery(deps: PollDeps, run: TenantRun, before: RunMeta, after: RunMeta): Promise<RunMeta | undefined> {
  const { now, tenantId } = run;
  const memory = deps.health;
  const failuresBefore = Math.max(before.consecutiveFailures, memory.consecutiveFailures);
  memory.consecutiveFailures = 0;
  memory.lastSuccessAt = now.toISOString();
  const alertedAt = before.healthAlertedAt ?? memory.alertedAt;
  if (!alertedAt) return undefined;
  const notice: HealthNotice = {
    kind: "recovered",
    tenantId,
    ...(deps.tenantLabel !== undefined && { tenantLabel: deps.tenantLabel }),
    consecutiveFailures: failuresBefore,
    at: now.toISOString(),
    cause: before.lastError ?? "",
    fix: "",
    ...(before.lastSuccessAt && { lastSuccessAt: before.lastSuccessAt }),
  };
  const delivered = await sendNotice(deps, run, notice, tenantId);
  if (delivered.length === 0) return { ...after, healthAlertedAt: alertedAt };
  delete memory.alertedAt;
  const { healthAlertedAt: _cleared, ...rest } = after;
  return rest;
}

async function sendNotice(deps: PollDeps, run: RunContext, notice: HealthNotice, tenantIdForSendLog: string | undefined): Promise<string[]> {
  const { now, log } = run;
  // tenantIdForSendLog: the table answered for this tenant, so the shared send log can be used.
  const sendLog = tenantIdForSendLog ? new SendLogStore(deps.table, SEND_LOG_PARTITION, deps.tableCounters, AbortSignal.timeout(FAILED_RUN_WRITE_TIMEOUT_IN_MS)) : undefined;
  // The operator's receivers, and the tenant's own when a route is for that tenant alone (read only when the table answered).
  const channels = tenantIdForSendLog ? await noticeChannelsFor(deps, notice.tenantId, log, AbortSignal.timeout(FAILED_RUN_WRITE_TIMEOUT_IN_MS)) : deps.channels;
  try {
    return await deliverNotice(notice, { channels, now, log, ...(sendLog && { sendLog }) });
  } catch (error) {
    // The send log lives in the table; when that fails too, the notice still goes, without the limit.
    log.error(`health notice: ${errorMessage(error)}; sending without the rate limit`);
    return deliverNotice(notice, { channels, now, log });
  }
}

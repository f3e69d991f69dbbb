import { randomUUID } from "node:crypto";
import type { TableClient } from "@azure/data-tables";
import { alertId, type Alert } from "../domain/alert";
import type { AlertChannel } from "../channels/channel";
import { deliverPending, initialDeliveries, type DeliverySummary } from "../channels/deliver";
import type { Config } from "../config/config";
import { GraphRequestError, RunDeadlineError } from "../domain/errors";
import type { GraphApi } from "../graph/graphClient";
import type { GraphTrafficCounters } from "../graph/retryMiddleware";
import { boundText } from "../domain/textBounds";
import { fetchFailureDetail, listRestoreSessions, type SessionPage } from "../graph/restoreSource";
import { Outbox } from "../state/outbox";
import { RunMetaStore, type RunMeta } from "../state/runMeta";
import { SendLogStore } from "../state/sendLog";
import { SilenceStore, matchingSilence } from "../state/silences";
import { StateStore, type ChangeToRecord } from "../state/stateStore";
import type { StoredSessionRecord } from "../domain/sessionRecord";
import { ensureTable, type TableTrafficCounters } from "../state/tableClient";
import { detectSessionChange, type DetectRules } from "./detect";
import { type SessionChange } from "../domain/sessionChange";
import { noticeRecovery, recordFailedRun, type HealthMemory } from "./health";
import type { Logger } from "../domain/logger";

/** Everything a run needs, built by the function, the CLI, the local host or a test. */
export interface PollDeps {
  readonly config: Config;
  readonly graph: GraphApi;
  readonly table: TableClient;
  readonly channels: readonly AlertChannel[];
  readonly log: Logger;
  readonly graphCounters: GraphTrafficCounters;
  readonly tableCounters: TableTrafficCounters;
  /** This instance's count of failed runs, for when the state table is what fails. */
  readonly health: HealthMemory;
  readonly now?: () => Date;
}

export interface PollOptions {
  /** Change no state and send nothing; report the alerts that would be recorded. */
  readonly dryRun?: boolean;
  /** How long the run may take before it stops (default RUN_DEADLINE_IN_MS; tests shorten it). */
  readonly deadlineInMs?: number;
  /** Skip the delivery step (the outbox keeps the alerts for the next run). */
  readonly skipDelivery?: boolean;
}

export interface PollSummary {
  readonly runId: string;
  readonly tenantId: string;
  readonly baseline: boolean;
  readonly dryRun: boolean;
  readonly sessionsSeen: number;
  readonly skipped: number;
  /** Sessions whose stored state changed (status transitions, first sightings, stuck/reminder bookkeeping). */
  readonly transitions: number;
  readonly alertsRecorded: number;
  readonly alerts: readonly Alert[];
  readonly deferred: number;
  readonly forgotten: number;
  readonly delivery?: DeliverySummary;
  readonly graphRequests: number;
  readonly tableTransactions: number;
  readonly durationMs: number;
}

const DETAIL_FETCH_CONCURRENCY = 4;
/** A silence's description in the alert record, its comment included (re-validation checks this bound). */
const MAX_SILENCED_BY_CHARS = 1500;
/**
 * A run stops itself after 8 minutes, 2 before host.json's functionTimeout (10 minutes) would kill
 * it: Graph requests, table requests and sends are aborted, and the run is recorded as failed (it
 * counts toward the health notice) with time to spare. The next run picks up what was left.
 */
export const RUN_DEADLINE_IN_MS = 8 * 60_000;
/** After the deadline: time to write what was sent (delivery outcomes) or that the run failed. */
export const BOOKKEEPING_GRACE_IN_MS = 60_000;
const PRUNE_INTERVAL_IN_MS = 24 * 3_600_000;

/**
 * One run: list sessions page by page and compare each with the stored state; fetch failure detail
 * for the sessions to alert; write state changes and alert records together; then deliver the outbox.
 * No state is written unless the whole listing succeeded.
 */
export async function runPoll(deps: PollDeps, options: PollOptions = {}): Promise<PollSummary> {
  const started = Date.now();
  const now = deps.now?.() ?? new Date();
  const runId = `${now.toISOString().replace(/[-:.]/g, "").slice(0, 15)}-${randomUUID().slice(0, 8)}`;
  const { config, graph, log } = deps;
  const dryRun = options.dryRun ?? false;
  const graphStart = deps.graphCounters.requests;
  const tableStart = deps.tableCounters.transactions;
  const deadlineInMs = options.deadlineInMs ?? RUN_DEADLINE_IN_MS;
  const deadline = AbortSignal.timeout(deadlineInMs);
  const bookkeeping = AbortSignal.timeout(deadlineInMs + BOOKKEEPING_GRACE_IN_MS);

  const pages = listRestoreSessions(graph, { abortSignal: deadline });
  let first: IteratorResult<SessionPage>;
  try {
    // The first page fetches the token, which names the tenant (the state partition).
    first = await pages.next();
  } catch (error) {
    if (!dryRun) await recordFailedRun(deps, config.graph.tenantId ?? graph.tenantId, now, error);
    throw error;
  }
  const tenantId = config.graph.tenantId ?? graph.tenantId;
  if (!tenantId) throw new GraphRequestError("cannot tell the tenant id: the Graph token has no 'tid' claim; set GRAPH_TENANT_ID", undefined, "NoTenant", "");

  try {
    if (!dryRun) await ensureTable(deps.table, deadline);
    const metaStore = new RunMetaStore(deps.table, tenantId, deps.tableCounters, deadline);
    const { meta } = await metaStore.read().catch(ignoreMissingTable<{ meta: RunMeta }>(dryRun, { meta: { consecutiveFailures: 0 } }));
    const stateStore = new StateStore(deps.table, tenantId, deps.tableCounters, deadline);
    const stored = await stateStore.readSessions().catch(ignoreMissingTable(dryRun, new Map<string, StoredSessionRecord>()));
    const baseline = meta.baselineAt === undefined;
    const rules: DetectRules = {
      alertOn: config.alerting.onStatuses,
      now,
      baseline,
      ...(config.alerting.baselineSince && { baselineSince: config.alerting.baselineSince }),
      ...(config.alerting.stuckAfterInMs !== undefined && { stuckAfterInMs: config.alerting.stuckAfterInMs }),
      ...(config.alerting.repeatAfterInMs !== undefined && { repeatAfterInMs: config.alerting.repeatAfterInMs }),
    };

    const changes: SessionChange[] = [];
    const seen = new Set<string>();
    let sessionsSeen = 0;
    let skipped = 0;
    let unidentifiedSkips = 0;
    const handlePage = (page: SessionPage): void => {
      for (const session of page.sessions) {
        sessionsSeen++;
        seen.add(session.id);
        const change = detectSessionChange(session, stored.get(session.id), rules);
        // Until the whole listing is in, a change that raises no alert needs only its record, not the
        // parsed session (a baseline of 100,000 sessions keeps 100,000 of them).
        if (change) changes.push(change.alerts.length > 0 ? change : { ...change, session: { id: session.id, workload: session.workload, status: session.status } });
      }
      for (const item of page.skipped) {
        skipped++;
        if (item.id === undefined) unidentifiedSkips++;
        else seen.add(item.id);
        log.warn(`skipped restore session ${item.id ?? "(no id)"}: ${item.reason}; its stored state is left as it was`);
      }
    };
    if (!first.done) handlePage(first.value);
    for await (const page of pages) handlePage(page);

    // Sessions Graph no longer lists are forgotten, unless an unreadable item might have been one of them.
    const gone = unidentifiedSkips > 0 ? [] : [...stored.values()].filter((s) => !seen.has(s.record.id));
    const silences = changes.some((c) => c.alerts.length > 0) ? await new SilenceStore(deps.table, tenantId, deps.tableCounters, deadline).active(now).catch(ignoreMissingTable(dryRun, [])) : [];
    // Only the changes that alert need Graph (their failure detail); the rest are recorded as they are,
    // handed over one by one rather than copied (a baseline has a change for every session).
    const alerting = await mapConcurrent(changes.filter((c) => c.alerts.length > 0), DETAIL_FETCH_CONCURRENCY, async (change): Promise<ChangeToRecord> => {
      const detail = await fetchFailureDetail(graph, change.session, { abortSignal: deadline });
      const silence = matchingSilence(silences, change.session);
      const alerts = change.alerts.map((intent): Alert => ({
        id: alertId(change.session.id, intent.kind, intent.status, intent.sequence),
        tenantId,
        kind: intent.kind,
        status: intent.status,
        session: change.session,
        detail,
        recordedAt: now.toISOString(),
        runId,
        ...(silence && { silencedBy: boundText(`silence ${silence.id} until ${silence.until}${silence.comment ? ` (${silence.comment})` : ""}`, MAX_SILENCED_BY_CHARS) }),
      }));
      return { change, alerts };
    });

    const detailed = new Map(alerting.map((item) => [item.change, item]));
    const toRecord = (function* (): Generator<ChangeToRecord> {
      for (const change of changes) yield detailed.get(change) ?? { change, alerts: [] };
    })();
    const intended = alerting.flatMap((item) => item.alerts);
    for (const alert of intended) {
      const detail = alert.detail.available ? `${alert.detail.failedArtifacts.length + alert.detail.omittedCount} failed artifact(s)` : `detail unavailable: ${alert.detail.reason}`;
      log.info(`${dryRun ? "would alert" : "alert"}: id=${alert.id} session=${alert.session.id} workload=${alert.session.workload} kind=${alert.kind} status=${alert.status} ${detail}${alert.silencedBy ? ` silenced by ${alert.silencedBy}` : ""}`);
    }

    const base = { runId, tenantId, baseline, dryRun, sessionsSeen, skipped, transitions: changes.length };
    if (dryRun) {
      return { ...base, alertsRecorded: 0, alerts: intended, deferred: 0, forgotten: 0, ...counts(deps, graphStart, tableStart, started) };
    }

    const result = await stateStore.record(toRecord, initialDeliveries(deps.channels), gone);
    for (const id of result.deferred) log.warn(`session ${id}: another run changed its state first; re-evaluated next run`);
    const succeeded: RunMeta = { ...withoutError(meta), baselineAt: meta.baselineAt ?? now.toISOString(), lastRunAt: now.toISOString(), lastSuccessAt: now.toISOString(), consecutiveFailures: 0 };
    await metaStore.write(succeeded);

    // Delivery bookkeeping (leases, outcomes) gets the grace period: what was sent is always written.
    const outbox = new Outbox(deps.table, tenantId, deps.tableCounters, bookkeeping);
    const sendLog = new SendLogStore(deps.table, tenantId, deps.tableCounters, bookkeeping);
    const delivery = options.skipDelivery
      ? undefined
      : await deliverPending({ outbox, channels: deps.channels, now, maxAttempts: config.channels.maxAttempts, log, sendLog, abortSignal: deadline });
    if (delivery?.cutShort) {
      throw new RunDeadlineError(`the run's deadline (${deadlineInMs / 1000} s) passed while delivering; the alerts not sent yet wait for the next run`);
    }
    let latest = succeeded;
    const recovered = options.skipDelivery ? undefined : await noticeRecovery(deps, tenantId, meta, latest, now);
    if (recovered) {
      latest = recovered;
      await metaStore.write(latest);
    }
    if (!meta.lastPrunedAt || now.getTime() - Date.parse(meta.lastPrunedAt) >= PRUNE_INTERVAL_IN_MS) {
      const pruned = await outbox.pruneFinished(new Date(now.getTime() - config.state.retentionInMs));
      if (pruned > 0) log.info(`pruned ${pruned} finished alert record(s) older than the retention period`);
      await metaStore.write({ ...latest, lastPrunedAt: now.toISOString() });
    }
    return {
      ...base,
      alertsRecorded: result.alertsRecorded.length,
      alerts: result.alertsRecorded,
      deferred: result.deferred.length,
      forgotten: result.forgotten,
      ...(delivery && { delivery }),
      ...counts(deps, graphStart, tableStart, started),
    };
  } catch (error) {
    if (!dryRun) await recordFailedRun(deps, tenantId, now, error);
    throw error;
  }
}

/** The one-line summary logged per run. */
export function formatSummary(summary: PollSummary): string {
  const delivery = summary.delivery
    ? ` delivered=${summary.delivery.alertsDelivered} retrying=${summary.delivery.alertsRetrying} deadLettered=${summary.delivery.alertsDeadLettered}${summary.delivery.alertsRateLimited ? ` rateLimited=${summary.delivery.alertsRateLimited}` : ""}`
    : "";
  return (
    `restorewatch run ${summary.runId}${summary.dryRun ? " (dry run)" : ""}${summary.baseline ? " (baseline)" : ""}: tenant=${summary.tenantId} ` +
    `sessions=${summary.sessionsSeen} skipped=${summary.skipped} transitions=${summary.transitions} alertsRecorded=${summary.alertsRecorded} ` +
    `deferred=${summary.deferred} forgotten=${summary.forgotten}${delivery} graphRequests=${summary.graphRequests} ` +
    `tableTransactions=${summary.tableTransactions} durationMs=${summary.durationMs}`
  );
}

function withoutError(meta: RunMeta): RunMeta {
  const { lastError: _lastError, ...rest } = meta;
  return rest;
}

function counts(deps: PollDeps, graphStart: number, tableStart: number, started: number) {
  return {
    graphRequests: deps.graphCounters.requests - graphStart,
    tableTransactions: deps.tableCounters.transactions - tableStart,
    durationMs: Date.now() - started,
  };
}

/** A dry run against a table that does not exist yet reads as empty state. */
function ignoreMissingTable<T>(dryRun: boolean, empty: T): (error: unknown) => T {
  return (error) => {
    if (dryRun && typeof error === "object" && error !== null && (error as { statusCode?: number }).statusCode === 404) return empty;
    throw error;
  };
}

async function mapConcurrent<T, R>(items: readonly T[], limit: number, map: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await map(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

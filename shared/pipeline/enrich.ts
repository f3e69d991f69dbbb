import { alertId, type Alert } from "../domain/alert";
import type { SessionChange } from "../domain/sessionChange";
import { fetchFailureDetail } from "../graph/restoreSource";
import { SilenceStore } from "../state/silences";
import type { ChangeToRecord } from "../state/stateStore";
import type { Observation } from "./observe";
import { ignoreMissingTable, type Stage } from "./pollDeps";
import { NOTHING_MUTED, muterOf } from "./silencing";

/** The changes to record, each with the alerts it raises, and those alerts on their own. */
export interface Enrichment {
  /** Every change of the observation, in order, handed over one by one (a baseline has one per session). */
  readonly toRecord: Iterable<ChangeToRecord>;
  readonly alerts: readonly Alert[];
}

const DETAIL_FETCH_CONCURRENCY = 4;

/**
 * Enrich: turn the changes that alert into alerts. Only they need Graph (their failed artifacts) and
 * the silences; the rest are recorded as they are. Each alert decision is logged with its ids.
 */
export const enrich: Stage<Observation, Enrichment> = async (deps, run, observation) => {
  const { changes } = observation;
  const alerting = changes.filter((c) => c.alerts.length > 0);
  const muter = alerting.length === 0 ? NOTHING_MUTED : muterOf(await new SilenceStore(deps.table, run.tenantId, deps.tableCounters, run.deadline).active(run.now).catch(ignoreMissingTable(run, [])));
  const detailed = await mapConcurrent(alerting, DETAIL_FETCH_CONCURRENCY, async (change): Promise<ChangeToRecord> => {
    const detail = await fetchFailureDetail(deps.graph, change.session, { abortSignal: run.deadline });
    const silencedBy = muter.mutes(change.session);
    const alerts = change.alerts.map((intent): Alert => ({
      id: alertId(change.session.id, intent.kind, intent.status, intent.sequence),
      tenantId: run.tenantId,
      kind: intent.kind,
      status: intent.status,
      session: change.session,
      detail,
      recordedAt: run.now.toISOString(),
      runId: run.runId,
      ...(silencedBy !== undefined && { silencedBy }),
    }));
    return { change, alerts };
  });

  const alerts = detailed.flatMap((item) => item.alerts);
  for (const alert of alerts) {
    const detail = alert.detail.available ? `${alert.detail.failedArtifacts.length + alert.detail.omittedCount} failed artifact(s)` : `detail unavailable: ${alert.detail.reason}`;
    run.log.info(`${run.dryRun ? "would alert" : "alert"}: id=${alert.id} session=${alert.session.id} workload=${alert.session.workload} kind=${alert.kind} status=${alert.status} ${detail}${alert.silencedBy ? ` silenced by ${alert.silencedBy}` : ""}`);
  }
  const byChange = new Map<SessionChange, ChangeToRecord>(detailed.map((item) => [item.change, item]));
  const toRecord = (function* (): Generator<ChangeToRecord> {
    for (const change of changes) yield byChange.get(change) ?? { change, alerts: [] };
  })();
  return { toRecord, alerts };
};

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

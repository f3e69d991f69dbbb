import { alertId, type Alert } from "../domain/alert";
import type { SessionChange } from "../domain/sessionChange";
import { ArtifactExpansion } from "../graph/failureDetail";
import { SilenceStore } from "../state/silences";
import type { ChangeToRecord } from "../state/stateStore";
import { detailOf, directoryNamesFor, factsOf } from "./failureFacts";
import type { Observation } from "./observe";
import { ignoreMissingTable, type Stage, type TenantRun } from "./pollDeps";
import { NOTHING_MUTED, muterOf, type Muter } from "./silencing";

/** The changes to record, each with the alerts it raises, and those alerts on their own. */
export interface Enrichment {
  /** Every change of the observation, in order, handed over one by one (a baseline has one per session); deferred ones left out. */
  readonly toRecord: Iterable<ChangeToRecord>;
  readonly alerts: readonly Alert[];
  /** Sessions whose change waits for the next run (Graph could not say whether they alert). */
  readonly deferred: readonly string[];
}

const DETAIL_FETCH_CONCURRENCY = 4;

/**
 * Enrich: turn the changes that alert into alerts. Only they need Graph (their failed artifacts, a
 * bulk restore's requests, the owners' names, a request per 1,000 of the run) and the silences; the
 * rest are recorded as they are. Each alert decision is logged with its ids.
 */
export const enrich: Stage<Observation, Enrichment> = async (deps, run, observation) => {
  const { changes } = observation;
  const alerting = changes.filter((c) => c.alerts.length > 0);
  const muter = alerting.length === 0 ? NOTHING_MUTED : muterOf(await new SilenceStore(deps.table, run.tenantId, deps.tableCounters, run.deadline).active(run.now).catch(ignoreMissingTable(run, [])));
  const expansion = new ArtifactExpansion();
  const facts = await mapConcurrent(alerting, DETAIL_FETCH_CONCURRENCY, (change) => factsOf(deps, run, change, expansion));
  if (expansion.refused.length > 0) run.log.info(`artifact lists: Graph refused $expand (${expansion.refused.join(", then ")}); this run reads them as "${expansion.form}", so names come from fewer sources`);
  const names = await directoryNamesFor(deps, run, facts);

  // Keyed by the observed change; a deferred one maps to undefined and is not recorded this run.
  const decided = new Map<SessionChange, ChangeToRecord | undefined>();
  const deferred: string[] = [];
  for (const [index, fact] of facts.entries()) {
    const observed = alerting[index] as SessionChange;
    if (fact.deferred) {
      deferred.push(observed.session.id);
      run.log.warn(`session ${observed.session.id}: its bulk addition requests could not be read (${fact.reason}); the change waits for the next run`);
      decided.set(observed, undefined);
    } else {
      decided.set(observed, { change: fact.change, alerts: alertsOf(fact.change, detailOf(fact, names), muter, run) });
    }
  }
  const alerts = [...decided.values()].flatMap((item) => item?.alerts ?? []);
  for (const alert of alerts) logDecision(run, alert);
  const toRecord = (function* (): Generator<ChangeToRecord> {
    for (const change of changes) {
      if (!decided.has(change)) yield { change, alerts: [] };
      else if (decided.get(change)) yield decided.get(change) as ChangeToRecord;
    }
  })();
  return { toRecord, alerts, deferred };
};

function alertsOf(change: SessionChange, detail: Alert["detail"], muter: Muter, run: TenantRun): Alert[] {
  const silencedBy = muter.mutes(change.session);
  return change.alerts.map((intent): Alert => ({
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
}

function logDecision(run: TenantRun, alert: Alert): void {
  const { detail } = alert;
  const what = detail.available ? `${detail.failedArtifacts.length + detail.omittedCount} failed artifact(s)${detail.bulkIssues ? `, ${detail.bulkIssues.length} bulk request(s) with errors` : ""}` : `detail unavailable: ${detail.reason}`;
  run.log.info(`${run.dryRun ? "would alert" : "alert"}: id=${alert.id} session=${alert.session.id} workload=${alert.session.workload} kind=${alert.kind} status=${alert.status} ${what}${alert.silencedBy ? ` silenced by ${alert.silencedBy}` : ""}`);
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

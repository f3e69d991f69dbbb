import { initialDeliveries } from "../channels/deliver";
import type { Alert } from "../domain/alert";
import { RunMetaStore, type RunMeta } from "../state/runMeta";
import { StateStore, type RecordResult } from "../state/stateStore";
import type { Enrichment } from "./enrich";
import type { Observation } from "./observe";
import type { Stage } from "./pollDeps";
import { deliveriesFor } from "./silencing";
import { routedDeliveries, routesOf } from "./routing";
import { trackAlerts } from "./runTelemetry";

export interface Recorded {
  readonly result: RecordResult;
  /** The run meta row as this run left it (a success). */
  readonly meta: RunMeta;
}

/**
 * Record: each state change with the alerts it raises, in one entity-group transaction (so state never
 * moves past an alert that was not recorded); the sessions Graph dropped are forgotten; then the run is
 * marked a success in the meta row.
 */
export const record: Stage<{ readonly observation: Observation; readonly enrichment: Enrichment }, Recorded> = async (deps, run, { observation, enrichment }) => {
  // A disabled channel gets its pending state too: the alert waits in the outbox until the channel works.
  const pending = initialDeliveries([...deps.channels, ...(deps.config.channels.disabled ?? [])]);
  // Each alert goes to its route's receivers (issue 16); routes are read only when there is an alert.
  const routes = enrichment.alerts.length > 0 ? await routesOf(deps, run) : [];
  const result = await new StateStore(deps.table, run.tenantId, deps.tableCounters, run.deadline).record(enrichment.toRecord, (alert: Alert) => deliveriesFor(alert.silencedBy, routedDeliveries(alert, routes, pending)), observation.gone);
  trackAlerts(deps, run, result.alertsRecorded);
  for (const id of result.deferred) run.log.warn(`session ${id}: another run changed its state first; re-evaluated next run`);
  const at = run.now.toISOString();
  const { lastError: _cleared, ...before } = observation.meta;
  const meta: RunMeta = { ...before, baselineAt: before.baselineAt ?? at, lastRunAt: at, lastSuccessAt: at, consecutiveFailures: 0 };
  await new RunMetaStore(deps.table, run.tenantId, deps.tableCounters, run.deadline).write(meta);
  return { result, meta };
};

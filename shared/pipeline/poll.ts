import type { DeliverySummary } from "../channels/deliver";
import type { Alert } from "../domain/alert";
import { deliver } from "./deliver";
import { enrich } from "./enrich";
import { withHealth } from "./health";
import { housekeeping } from "./housekeeping";
import { observe } from "./observe";
import { newRun, runFigures, type PollDeps, type PollOptions } from "./pollDeps";
import { record } from "./record";
import { trackRun } from "./runTelemetry";

export type { PollDeps, PollOptions } from "./pollDeps";
export { BOOKKEEPING_GRACE_IN_MS, RUN_DEADLINE_IN_MS } from "./pollDeps";

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

/**
 * One run, as a list of its stages: observe (list and compare) → enrich (failure detail, silences) →
 * record (state and alerts together) → deliver → housekeeping, watched by the health check. No state
 * is written unless the whole listing succeeded; a dry run stops after enrich.
 */
export async function runPoll(deps: PollDeps, options: PollOptions = {}): Promise<PollSummary> {
  const context = newRun(deps, options);
  // The RestorewatchRun record: here for a success (its summary), in withHealth for a failure (which knows the tenant).
  const summary = await withHealth(deps, context, async (run) => {
    const observation = await observe(deps, run);
    const enrichment = await enrich(deps, run, observation);
    const seen = { runId: run.runId, tenantId: run.tenantId, baseline: observation.baseline, dryRun: run.dryRun, sessionsSeen: observation.sessionsSeen, skipped: observation.skipped, transitions: observation.changes.length };
    if (run.dryRun) {
      const result = { ...seen, alertsRecorded: 0, alerts: enrichment.alerts, deferred: enrichment.deferred.length, forgotten: 0, ...runFigures(deps, run) };
      return { result, metaBefore: observation.meta, metaAfter: observation.meta, delivered: false };
    }
    const recorded = await record(deps, run, { observation, enrichment });
    const delivery = run.skipDelivery ? undefined : await deliver(deps, run);
    const metaAfter = await housekeeping(deps, run, recorded.meta);
    const { alertsRecorded, deferred, forgotten } = recorded.result;
    const result = { ...seen, alertsRecorded: alertsRecorded.length, alerts: alertsRecorded, deferred: deferred.length + enrichment.deferred.length, forgotten, ...(delivery && { delivery }), ...runFigures(deps, run) };
    return { result, metaBefore: observation.meta, metaAfter, delivered: delivery !== undefined };
  });
  trackRun(deps, context, summary);
  return summary;
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

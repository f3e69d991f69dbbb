import type { DeliverySummary } from "../channels/deliver";
import type { DisabledChannel } from "../config/config";
import type { Alert } from "../domain/alert";
import { channelHealth, disabledThisRun, usableThisRun } from "./channelHealth";
import { deliver } from "./deliver";
import { enrich } from "./enrich";
import { withHealth } from "./health";
import { housekeeping } from "./housekeeping";
import { observe } from "./observe";
import { newRun, runFigures, type PollDeps, type PollOptions } from "./pollDeps";
import { record } from "./record";
import { RecordedRunError, trackRun } from "./runTelemetry";

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
  /**
   * Alert channels this run could not use (broken settings, or refused at send time), sorted; their
   * alerts are held in the outbox. The run record's `channelsDisabled` dimension.
   */
  readonly channelsDisabled: readonly string[];
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
      const result = { ...seen, alertsRecorded: 0, alerts: enrichment.alerts, deferred: enrichment.deferred.length, forgotten: 0, channelsDisabled: namesOf(disabledThisRun(deps, undefined)), ...runFigures(deps, run) };
      return { result, metaBefore: observation.meta, metaAfter: observation.meta, delivered: false };
    }
    const recorded = await record(deps, run, { observation, enrichment });
    const delivery = run.skipDelivery ? undefined : await deliver(deps, run);
    const checked = delivery ? await channelHealth(deps, run, { meta: recorded.meta, delivery }) : recorded.meta;
    const metaAfter = await housekeeping(deps, run, checked);
    const { alertsRecorded, deferred, forgotten } = recorded.result;
    const disabled = disabledThisRun(deps, delivery);
    const result = { ...seen, alertsRecorded: alertsRecorded.length, alerts: alertsRecorded, deferred: deferred.length + enrichment.deferred.length, forgotten, ...(delivery && { delivery }), channelsDisabled: namesOf(disabled), ...runFigures(deps, run) };
    // Everything is recorded; with no channel left to carry an alert, the run fails so that Azure Monitor's failed-run rule fires.
    if (delivery && disabled.length > 0 && usableThisRun(deps, disabled).length === 0) throw new NoUsableChannelError(result, disabled);
    return { result, metaBefore: observation.meta, metaAfter, delivered: delivery !== undefined };
  });
  trackRun(deps, context, summary);
  return summary;
}

/**
 * No configured channel could be used: the run recorded its state and alerts (held in the outbox),
 * then fails. Carries the run's summary, as a successful run returns it.
 */
export class NoUsableChannelError extends RecordedRunError {
  constructor(
    override readonly summary: PollSummary,
    readonly disabled: readonly DisabledChannel[],
  ) {
    super(`no alert channel is usable, so alerts are held in the outbox: ${disabled.map((d) => `${d.name}: ${d.reason}`).join("; ")}`, summary);
    this.name = "NoUsableChannelError";
  }
}

function namesOf(disabled: readonly DisabledChannel[]): string[] {
  return [...new Set(disabled.map((d) => d.name))].sort();
}

/** The one-line summary logged per run. */
export function formatSummary(summary: PollSummary): string {
  const delivery = summary.delivery
    ? ` delivered=${summary.delivery.alertsDelivered} retrying=${summary.delivery.alertsRetrying} deadLettered=${summary.delivery.alertsDeadLettered}${summary.delivery.alertsRateLimited ? ` rateLimited=${summary.delivery.alertsRateLimited}` : ""}${summary.delivery.alertsHeld ? ` held=${summary.delivery.alertsHeld}` : ""}`
    : "";
  const disabled = summary.channelsDisabled.length > 0 ? ` channelsDisabled=${summary.channelsDisabled.join(",")}` : "";
  return (
    `restorewatch run ${summary.runId}${summary.dryRun ? " (dry run)" : ""}${summary.baseline ? " (baseline)" : ""}: tenant=${summary.tenantId} ` +
    `sessions=${summary.sessionsSeen} skipped=${summary.skipped} transitions=${summary.transitions} alertsRecorded=${summary.alertsRecorded} ` +
    `deferred=${summary.deferred} forgotten=${summary.forgotten}${delivery}${disabled} graphRequests=${summary.graphRequests} ` +
    `tableTransactions=${summary.tableTransactions} durationMs=${summary.durationMs}`
  );
}

import type { Alert } from "../domain/alert";
import { errorMessage } from "../domain/errors";
import type { PollDeps, RunContext } from "./pollDeps";
import type { DeliverySummary } from "../channels/deliver";

/** What trackRun reads of a run's summary (PollSummary; declared here so the two files do not import each other). */
interface RunSummary {
  readonly tenantId: string;
  readonly runId: string;
  readonly baseline: boolean;
  readonly dryRun: boolean;
  readonly sessionsSeen: number;
  readonly skipped: number;
  readonly transitions: number;
  readonly alertsRecorded: number;
  readonly deferred: number;
  readonly forgotten: number;
  readonly delivery?: DeliverySummary;
  readonly channelsDisabled?: readonly string[];
}

/**
 * A run that recorded everything and still fails (no channel could carry an alert): it carries its
 * summary, so the failed run's record has the same counts as a successful one.
 */
export class RecordedRunError extends Error {
  constructor(
    message: string,
    readonly summary: RunSummary,
  ) {
    super(message);
  }
}

/** The run's Graph and Table Storage traffic and time, from the counters (as runFigures, plus throttling and bytes). */
function traffic(deps: PollDeps, run: RunContext): Record<string, number> {
  return {
    durationMs: Date.now() - run.started.at,
    graphRequests: deps.graphCounters.requests - run.started.graphRequests,
    graphThrottled: deps.graphCounters.throttled - run.started.graphThrottled,
    graphBytes: deps.graphCounters.bytesRead - run.started.graphBytes,
    tableTransactions: deps.tableCounters.transactions - run.started.tableTransactions,
  };
}

/** One RestorewatchRun record for a run that succeeded: what its summary line says, as dimensions. */
export function trackRun(deps: PollDeps, run: RunContext, summary: RunSummary): void {
  deps.telemetry?.track("run", { runId: summary.runId, outcome: "succeeded", ...traffic(deps, run), ...summaryDimensions(summary) });
}

function summaryDimensions(summary: RunSummary) {
  const delivery = summary.delivery;
  return {
    tenantId: summary.tenantId,
    baseline: summary.baseline,
    dryRun: summary.dryRun,
    sessionsSeen: summary.sessionsSeen,
    skipped: summary.skipped,
    transitions: summary.transitions,
    alertsRecorded: summary.alertsRecorded,
    deferred: summary.deferred,
    forgotten: summary.forgotten,
    ...(delivery && {
      alertsDelivered: delivery.alertsDelivered,
      alertsRetrying: delivery.alertsRetrying,
      alertsDeadLettered: delivery.alertsDeadLettered,
      alertsRateLimited: delivery.alertsRateLimited,
    }),
    ...(summary.channelsDisabled?.length && { channelsDisabled: summary.channelsDisabled.join(",") }),
  };
}

/** One RestorewatchRun record for a run that failed (the heartbeat rule counts succeeded ones only). */
export function trackFailedRun(deps: PollDeps, run: RunContext, tenantId: string | undefined, error: unknown): void {
  deps.telemetry?.track("run", {
    tenantId: tenantId ?? deps.config.graph.tenantId,
    runId: run.runId,
    outcome: "failed",
    dryRun: run.dryRun,
    error: errorMessage(error).slice(0, 1000),
    ...traffic(deps, run),
    ...(error instanceof RecordedRunError && summaryDimensions(error.summary)),
  });
}

/** One RestorewatchAlert record per alert recorded; a silenced one also gets a "silenced" delivery record per channel. */
export function trackAlerts(deps: PollDeps, run: RunContext, alerts: readonly Alert[]): void {
  const telemetry = deps.telemetry;
  if (!telemetry) return;
  for (const alert of alerts) {
    const common = { tenantId: alert.tenantId, runId: run.runId, alertId: alert.id, sessionId: alert.session.id, workload: alert.session.workload };
    telemetry.track("alert", {
      ...common,
      status: alert.status,
      alertKind: alert.kind,
      restoreJobType: alert.session.restoreJobType,
      silencedBy: alert.silencedBy,
      detailAvailable: alert.detail.available,
      ...(alert.detail.available && { failedArtifacts: alert.detail.failedArtifacts.length + alert.detail.omittedCount, bulkIssues: alert.detail.bulkIssues?.length ?? 0 }),
    });
    if (alert.silencedBy === undefined) continue;
    // Every configured channel, usable or disabled by its settings: the alert row is silenced on each.
    const channels = new Set([...deps.channels.map((c) => c.name), ...(deps.config.channels.disabled ?? []).map((d) => d.name)]);
    for (const channel of channels) telemetry.track("delivery", { ...common, channel, outcome: "silenced", attempt: 0, messageAlerts: 0 });
  }
}

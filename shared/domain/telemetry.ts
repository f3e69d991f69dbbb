/**
 * The structured records restorewatch emits for operators, one per run, per alert and per delivery
 * attempt, as Application Insights stores them: a row of `customEvents` named by `name`, each
 * dimension a key of `customDimensions` (values as strings, numbers as their decimal text). The
 * workbook and the alert rules in infra/ query exactly these names; a test checks they agree.
 */

/** A dimension's value; undefined dimensions are left out of the record. */
export type DimensionValue = string | number | boolean | undefined;

export const TELEMETRY_EVENTS = {
  /** One per run of the poll (the timer, `restorewatch poll`), whatever its outcome. */
  run: {
    name: "RestorewatchRun",
    dimensions: [
      "tenantId",
      "runId",
      /** succeeded | failed */
      "outcome",
      "baseline",
      "dryRun",
      /** The run's error (failed runs), bounded, never a secret. */
      "error",
      "durationMs",
      "sessionsSeen",
      "skipped",
      "transitions",
      "alertsRecorded",
      "deferred",
      "forgotten",
      "graphRequests",
      "graphThrottled",
      "graphBytes",
      "tableTransactions",
      "alertsDelivered",
      "alertsRetrying",
      "alertsDeadLettered",
      "alertsRateLimited",
      /** Channels that could not be used this run (broken settings), comma-separated. */
      "channelsDisabled",
    ],
  },
  /** One per alert recorded. */
  alert: {
    name: "RestorewatchAlert",
    dimensions: ["tenantId", "runId", "alertId", "sessionId", "workload", "status", "alertKind", "restoreJobType", "silencedBy", "detailAvailable", "failedArtifacts", "bulkIssues"],
  },
  /** One per delivery attempt: an alert on a channel (an alert of a digest has a record of its own). */
  delivery: {
    name: "RestorewatchDelivery",
    dimensions: [
      "tenantId",
      "runId",
      "alertId",
      "sessionId",
      "workload",
      "channel",
      /** delivered | retrying | deadLettered | silenced | held (the channel refused its settings at send time; the alert stays pending) */
      "outcome",
      "attempt",
      /** The channel's error, bounded, never a secret (a webhook URL is shown by its host). */
      "error",
      "durationMs",
      /** Alerts in the message this alert went out in (1, or the digest's size). */
      "messageAlerts",
    ],
  },
} as const;

/**
 * The values a dimension can take, where queries compare it with a literal (alert rules, workbook):
 * a test checks every literal a query compares with is one of these. Booleans are "true" / "false".
 */
export const DIMENSION_VALUES: Readonly<Record<string, readonly string[]>> = {
  outcome: ["succeeded", "failed", "delivered", "retrying", "deadLettered", "silenced", "held"],
  baseline: ["true", "false"],
  dryRun: ["true", "false"],
  detailAvailable: ["true", "false"],
  channel: ["email", "teams", "file"],
};

export type TelemetryEventKind = keyof typeof TELEMETRY_EVENTS;
export type TelemetryDimensions<K extends TelemetryEventKind> = Partial<Record<(typeof TELEMETRY_EVENTS)[K]["dimensions"][number], DimensionValue>>;

/** Where the records go: Application Insights in Azure, a capture locally and in tests, nowhere by default. */
export interface Telemetry {
  track<K extends TelemetryEventKind>(kind: K, dimensions: TelemetryDimensions<K>): void;
}

export const NO_TELEMETRY: Telemetry = { track: () => undefined };

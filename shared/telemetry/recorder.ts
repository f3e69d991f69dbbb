import { AsyncLocalStorage } from "node:async_hooks";
import { randomBytes } from "node:crypto";
import type { Logger } from "../domain/logger";
import { TELEMETRY_EVENTS, type Telemetry, type TelemetryDimensions, type TelemetryEventKind } from "../domain/telemetry";
import { dependencyEnvelope, eventEnvelope, type DependencyRecord, type Envelope, type OperationTags } from "./envelopes";
import type { EnvelopeExporter } from "./ingestion";

/** Takes one record per outgoing HTTP call (Graph, Table Storage, ACS, Teams). */
export interface DependencySink {
  dependency(record: DependencyRecord): void;
}

/** The invocation records belong to: its trace id (what the host's `requests` row carries) and function name. */
export interface Operation {
  readonly id?: string;
  readonly name?: string;
}

export interface TelemetryRecorderOptions {
  /** Absent: records go nowhere (no connection string, no capture). */
  readonly exporter?: EnvelopeExporter;
  readonly instrumentationKey?: string;
  /** `ai.cloud.role`: the site name in Azure (WEBSITE_SITE_NAME). */
  readonly roleName?: string;
  /** Records held between flushes; past it the oldest are dropped (and counted). */
  readonly maxBuffered?: number;
  readonly now?: () => Date;
}

export const DEFAULT_MAX_BUFFERED = 2000;
const NO_IKEY = "00000000-0000-0000-0000-000000000000";

/**
 * Buffers the records of an invocation and sends them in one request when it ends (flush): a Flex
 * Consumption instance may be frozen as soon as the invocation returns, so nothing is left to a
 * background timer. Exporting never throws: a failed export is one warning on the run's log.
 */
export class TelemetryRecorder implements Telemetry, DependencySink {
  private buffer: Envelope[] = [];
  private dropped = 0;
  private readonly operation = new AsyncLocalStorage<Operation>();
  private readonly maxBuffered: number;
  private readonly now: () => Date;

  constructor(private readonly options: TelemetryRecorderOptions = {}) {
    this.maxBuffered = options.maxBuffered ?? DEFAULT_MAX_BUFFERED;
    this.now = options.now ?? (() => new Date());
  }

  /** Whether records go anywhere (callers may skip building them otherwise). */
  get enabled(): boolean {
    return this.options.exporter !== undefined;
  }

  /** Runs fn with records tagged as this operation's (AsyncLocalStorage: concurrent invocations keep their own). */
  withOperation<T>(operation: Operation, fn: () => Promise<T>): Promise<T> {
    return this.operation.run(operation, fn);
  }

  track<K extends TelemetryEventKind>(kind: K, dimensions: TelemetryDimensions<K>): void {
    if (!this.enabled) return;
    this.push(eventEnvelope(this.ikey, this.tags(), this.now(), TELEMETRY_EVENTS[kind].name, dimensions));
  }

  dependency(record: DependencyRecord): void {
    if (!this.enabled) return;
    this.push(dependencyEnvelope(this.ikey, this.tags(), record, randomBytes(8).toString("hex")));
  }

  /** Sends what is buffered; one warning (status, counts, never a secret) when something was lost. */
  async flush(log?: Pick<Logger, "warn">): Promise<void> {
    const exporter = this.options.exporter;
    const batch = this.buffer;
    const dropped = this.dropped;
    this.buffer = [];
    this.dropped = 0;
    if (!exporter || (batch.length === 0 && dropped === 0)) return;
    let problem: string | undefined;
    let lost = dropped;
    try {
      const result = batch.length > 0 ? await exporter.export(batch) : { accepted: 0, rejected: 0 };
      lost += result.rejected;
      problem = result.problem;
    } catch (error) {
      lost += batch.length;
      problem = error instanceof Error ? error.message : String(error);
    }
    if (lost > 0) {
      log?.warn(`telemetry: ${lost} of ${batch.length + dropped} record(s) not sent to Application Insights${dropped ? ` (${dropped} dropped over the buffer's ${this.maxBuffered})` : ""}${problem ? `: ${problem}` : ""}`);
    }
  }

  private push(envelope: Envelope): void {
    this.buffer.push(envelope);
    if (this.buffer.length > this.maxBuffered) {
      // Over the cap, the oldest dependency goes first: the run, alert and delivery records are what
      // the workbook and the alert rules (dead letters, the heartbeat) count.
      const dependency = this.buffer.findIndex((e) => e.data.baseType === "RemoteDependencyData");
      this.buffer.splice(dependency >= 0 ? dependency : 0, 1);
      this.dropped++;
    }
  }

  private get ikey(): string {
    return this.options.instrumentationKey ?? NO_IKEY;
  }

  private tags(): OperationTags {
    const operation = this.operation.getStore();
    return { roleName: this.options.roleName ?? "restorewatch", ...(operation?.id && { operationId: operation.id }), ...(operation?.name && { operationName: operation.name }) };
  }
}

/** Records nowhere: the default for tests and local runs without a connection string. */
export const NO_RECORDER = new TelemetryRecorder();

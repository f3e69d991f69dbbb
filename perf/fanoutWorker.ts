import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import type { TableClient } from "@azure/data-tables";
import { decodeMessage, type QueueOptions } from "../local/functionsHost/queueTrigger";
import type { QueueMessage, QueueService } from "../local/functionsHost/queueRest";
import type { Logger } from "../shared/domain/logger";
import type { WatchedTenant } from "../shared/domain/tenant";
import { TENANT_QUEUE } from "../shared/domain/tenantPoll";
import { errorMessage } from "../shared/domain/errors";
import { pollTenantMessage, type TenantPollOutcome } from "../shared/pipeline/fanout";
import type { PollDeps } from "../shared/pipeline/pollDeps";

/**
 * One bench worker: an instance of the function app consuming the tenant queue, in this process. It
 * takes messages as the Storage Queues extension does (a batch of batchSize whenever no more than
 * newBatchThreshold run, so at most batchSize + newBatchThreshold at once), hands each to
 * pollTenantMessage under its own owner id, with its own PollDeps per tenant (its own token cache and
 * connections, as a separate instance has), deletes it when done and stops when the queue is empty.
 */

/** What the bench learns from one worker's cycle. */
export interface WorkerRecord {
  readonly owner: string;
  readonly outcomes: TenantPollOutcome[];
  /** Polls that threw (the bench fails on any). */
  readonly errors: string[];
  /** Each tenant's PollDeps this worker built (its Graph and table counters). */
  readonly deps: Map<string, PollDeps>;
}

export interface WorkerOptions {
  readonly owner: string;
  readonly queue: QueueService;
  readonly options: QueueOptions;
  /** The worker's own state table client (tenant rows and leases). */
  readonly table: TableClient;
  readonly buildDeps: (tenant: WatchedTenant) => PollDeps;
  readonly log: Logger;
}

/** How long a dequeued message stays hidden while it runs (the extension's own: 10 minutes). */
const PROCESSING_VISIBILITY_SECONDS = 600;

export async function runWorker(worker: WorkerOptions): Promise<WorkerRecord> {
  const record: WorkerRecord = { owner: worker.owner, outcomes: [], errors: [], deps: new Map() };
  const depsFor = (tenant: WatchedTenant): PollDeps => {
    let deps = record.deps.get(tenant.tenantId);
    if (!deps) record.deps.set(tenant.tenantId, (deps = worker.buildDeps(tenant)));
    return deps;
  };
  const inFlight = new Set<Promise<void>>();
  for (;;) {
    if (inFlight.size <= worker.options.newBatchThreshold) {
      const messages = await worker.queue.get(TENANT_QUEUE, worker.options.batchSize, PROCESSING_VISIBILITY_SECONDS, { missingIsEmpty: true });
      for (const message of messages) {
        const tracked: Promise<void> = handle(worker, record, depsFor, message).finally(() => inFlight.delete(tracked));
        inFlight.add(tracked);
      }
      // An empty queue with nothing of ours running: this worker's part of the cycle is done.
      if (messages.length === 0 && inFlight.size === 0) return record;
      if (messages.length > 0 && inFlight.size <= worker.options.newBatchThreshold) continue;
    }
    await Promise.race(inFlight);
  }
}

async function handle(worker: WorkerOptions, record: WorkerRecord, depsFor: (tenant: WatchedTenant) => PollDeps, message: QueueMessage): Promise<void> {
  const text = decodeMessage(message.messageText, worker.options);
  try {
    if (text === undefined) throw new Error(`message ${message.messageId} is not base64`);
    record.outcomes.push(await pollTenantMessage({ table: worker.table, depsFor }, text, { owner: worker.owner, log: worker.log }));
  } catch (error) {
    record.errors.push(`${worker.owner}: ${text ?? message.messageId}: ${errorMessage(error)}`);
  }
  // Deleted either way: a failed poll fails the bench, it is not retried here.
  await worker.queue.delete(TENANT_QUEUE, message);
}

/** Counts a table client's requests, and its 409/412 answers (another worker changed the lease row first). */
export function countingPolicy(counts: { requests: number; conflicts: number }): PipelinePolicy {
  return {
    name: "benchFanoutCounter",
    async sendRequest(request, next) {
      counts.requests++;
      const response = await next(request);
      if (response.status === 409 || response.status === 412) counts.conflicts++;
      return response;
    },
  };
}

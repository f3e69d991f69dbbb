import { deliverPending, type DeliverySummary } from "../channels/deliver";
import { RunDeadlineError } from "../domain/errors";
import { Outbox } from "../state/outbox";
import { SEND_LOG_PARTITION, SendLogStore } from "../state/sendLog";
import { receiversFor } from "./routing";
import type { Stage } from "./pollDeps";

/**
 * Deliver: send what the outbox holds (this run's alerts and any earlier ones still due) on every
 * usable channel and route receiver (a disabled one's alerts are held). The bookkeeping of what was sent gets the grace period past the deadline, so it is always
 * written; a delivery the deadline cut short fails the run, and the next run sends the rest.
 */
export const deliver: Stage<void, DeliverySummary> = async (deps, run) => {
  const outbox = new Outbox(deps.table, run.tenantId, deps.tableCounters, run.bookkeeping);
  // One send log for every tenant: ACS limits the subscription, and a Teams webhook is the same whoever posts.
  const sendLog = new SendLogStore(deps.table, SEND_LOG_PARTITION, deps.tableCounters, run.bookkeeping);
  const receivers = receiversFor(deps, run);
  const delivery = await deliverPending({ outbox, channels: deps.channels, now: run.now, maxAttempts: deps.config.channels.maxAttempts, log: run.log, sendLog, abortSignal: run.deadline, disabled: deps.config.channels.disabled ?? [], runId: run.runId, receivers, ...(deps.telemetry && { telemetry: deps.telemetry }) });
  if (delivery.cutShort) throw new RunDeadlineError(`the run's deadline (${run.deadlineInMs / 1000} s) passed while delivering; the alerts not sent yet wait for the next run`);
  return delivery;
};

import { app, output, type InvocationContext, type Timer } from "@azure/functions";
import { TENANT_QUEUE, TENANT_QUEUE_CONNECTION } from "../shared/domain/tenantPoll";

/**
 * With tenants recorded (restorewatch tenant add), the timer puts one message per due tenant on this
 * queue (identity-based connection TenantQueue__queueServiceUri) and pollTenant polls each; with none,
 * it polls the home tenant itself and the output binding stays unused.
 */
export const tenantQueue = output.storageQueue({ queueName: TENANT_QUEUE, connection: TENANT_QUEUE_CONNECTION });

/** The timer function: one poll per occurrence of %POLL_SCHEDULE%, never on start-up (a restart is not a schedule). */
export async function pollRestoreSessions(timer: Timer, context: InvocationContext): Promise<void> {
  if (timer.isPastDue) context.log("timer is past due; running normally");
  // Loaded on the first invocation, not when the host indexes the app (see functions/runtime.ts).
  const { runScheduledPoll } = await import("./runtime.js");
  await runScheduledPoll(context, { cycle: cycleOf(timer), enqueue: (messages) => context.extraOutputs.set(tenantQueue, messages) });
}

/**
 * The occurrence this run stands for (the schedule status's Next, as the host passes it), else now.
 * The host fires at or after its occurrence, so a Next ahead of this clock is not this run's (an
 * emulated host on a sped-up clock, `npm start`): now then, so that cycles never go backwards.
 */
function cycleOf(timer: Timer): Date {
  const next = Date.parse(timer.scheduleStatus?.next ?? "");
  return Number.isNaN(next) || next > Date.now() + CLOCK_SKEW_MS ? new Date() : new Date(next);
}

/** How early a host may fire against this clock. */
const CLOCK_SKEW_MS = 1000;

app.timer("pollRestoreSessions", {
  schedule: "%POLL_SCHEDULE%",
  runOnStartup: false,
  extraOutputs: [tenantQueue],
  handler: pollRestoreSessions,
});

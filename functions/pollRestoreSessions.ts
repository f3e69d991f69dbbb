import { app, type InvocationContext, type Timer } from "@azure/functions";

/** The timer function: one poll per occurrence of %POLL_SCHEDULE%, never on start-up (a restart is not a schedule). */
export async function pollRestoreSessions(timer: Timer, context: InvocationContext): Promise<void> {
  if (timer.isPastDue) context.log("timer is past due; running normally");
  // Loaded on the first invocation, not when the host indexes the app (see functions/runtime.ts).
  const { runScheduledPoll } = await import("./runtime.js");
  await runScheduledPoll(context);
}

app.timer("pollRestoreSessions", {
  schedule: "%POLL_SCHEDULE%",
  runOnStartup: false,
  handler: pollRestoreSessions,
});

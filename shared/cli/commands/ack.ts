import { StateStore } from "../../state/stateStore";
import type { CliCommand } from "./command";
import { EXIT, UsageError } from "./exitCodes";
import { openState } from "./stateAccess";

export const ackCommand: CliCommand = {
  name: "ack",
  usage: "ack <sessionId>",
  summary: "acknowledge a failure: no more reminders",
  help: `Acknowledges a session's failure: no reminders are sent for its current status (ALERT_REPEAT_AFTER).
A later status change starts a new cycle.

Settings: as for status (the state storage and the tenant).`,
  options: {},
  positionals: 1,
  async run({ positionals }, io) {
    const sessionId = positionals[0] as string;
    const { table, tenantId, counters } = await openState(io);
    const now = io.now?.() ?? new Date();
    if (!(await new StateStore(table, tenantId, counters).acknowledge(sessionId, now))) {
      throw new UsageError(`restorewatch has no record of session '${sessionId}'`);
    }
    io.out(`acknowledged ${sessionId} at ${now.toISOString()}: no more reminders for its current status`);
    return EXIT.ok;
  },
};

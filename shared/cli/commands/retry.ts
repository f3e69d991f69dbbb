import { Outbox } from "../../state/outbox";
import type { CliCommand } from "./command";
import { EXIT, UsageError } from "./exitCodes";
import { openState } from "./stateAccess";

export const retryCommand: CliCommand = {
  name: "retry",
  usage: "retry <alertId>",
  summary: "re-queue a dead-lettered alert on every channel",
  help: `Sends a dead-lettered (or retrying) alert again on the next run, on every channel that has not
delivered it, with its attempts counted from zero. The alert ids are in \`restorewatch status\`.

Settings: as for status (the state storage and the tenant).`,
  options: {},
  positionals: 1,
  async run({ positionals }, io) {
    const alertId = positionals[0] as string;
    const { table, tenantId, counters } = await openState(io);
    const outcome = await new Outbox(table, tenantId, counters).requeue(alertId);
    if (outcome === "notFound") throw new UsageError(`no alert '${alertId}' (see restorewatch status)`);
    if (outcome === "changed") throw new Error(`alert '${alertId}' changed while re-queuing it; try again`);
    io.out(`re-queued ${alertId}: it is sent on the next run`);
    return EXIT.ok;
  },
};

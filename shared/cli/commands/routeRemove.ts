import { RouteStore } from "../../state/routeStore";
import type { CliCommand } from "./command";
import { EXIT, UsageError } from "./exitCodes";
import { openStateTable } from "./stateAccess";

export const routeRemoveCommand: CliCommand = {
  name: "route remove",
  usage: "route remove <name>",
  summary: "remove a route",
  help: `Removes a route: later alerts it would have taken go to the next route that matches, or the default
route. Alerts already recorded for its receivers and not yet sent are held (restorewatch status shows
them) until a route of that name is added again.

Settings: as for route add.`,
  options: {},
  positionals: 1,
  async run({ positionals }, io) {
    const name = positionals[0] as string;
    const { table, counters } = await openStateTable(io);
    if (!(await new RouteStore(table, counters).remove(name))) throw new UsageError(`no route '${name}' (see restorewatch route list)`);
    io.out(`route ${name} removed`);
    return EXIT.ok;
  },
};

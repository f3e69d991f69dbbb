import { RouteStore } from "../../state/routeStore";
import type { CliCommand } from "./command";
import { EXIT } from "./exitCodes";
import { describeRoute } from "./routeText";
import { openStateTable } from "./stateAccess";

export const routeListCommand: CliCommand = {
  name: "route list",
  usage: "route list [--json]",
  summary: "the routes, in the order they are tried",
  help: `Lists the routes in the order they are tried (the first that matches an alert takes it; the default
route, ALERT_EMAIL_TO and TEAMS_WEBHOOK_URL, takes the rest), and any stored route row that is not
valid (never used).

  --json   print them as JSON

Settings: as for route add.`,
  options: { json: { type: "boolean" } },
  async run({ values }, io) {
    const { table, counters } = await openStateTable(io);
    const { routes, unusable } = await new RouteStore(table, counters).list();
    if (values["json"]) {
      io.out(JSON.stringify({ routes, unusable }, null, 2));
      return EXIT.ok;
    }
    io.out(routes.length === 0 ? "no routes: every alert goes to the default route (ALERT_EMAIL_TO, TEAMS_WEBHOOK_URL)" : `${routes.length} route(s), tried in this order, then the default route:`);
    for (const route of routes) {
      io.out(`${route.name}`);
      for (const line of describeRoute(route)) io.out(`  ${line}`);
    }
    for (const row of unusable) io.out(`not used (row not valid): ${row.name}: ${row.reason}`);
    return EXIT.ok;
  },
};

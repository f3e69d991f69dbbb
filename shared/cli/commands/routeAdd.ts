import { InvalidRouteError, ROUTE_KINDS, ROUTE_WORKLOADS, validateRoute } from "../../domain/route";
import { RouteStore } from "../../state/routeStore";
import type { CliCommand } from "./command";
import { EXIT, UsageError } from "./exitCodes";
import { describeRoute, listOption } from "./routeText";
import { openStateTable } from "./stateAccess";

export const routeAddCommand: CliCommand = {
  name: "route add",
  usage: "route add --name <name> [--order <n>] [--tenant <id>] [--workload <w>] [--status <s>] [--kind <k>] (--email <address> | --teams-secret <secret>)...",
  summary: "add a route: which alerts go to which receivers",
  help: `Adds a route. Routes are tried in order; the first whose criteria all match an alert takes it, and
the default route (ALERT_EMAIL_TO and TEAMS_WEBHOOK_URL) takes the rest. A criterion left out matches
anything. Each list option may be repeated or comma-separated.

  --name <name>           1-40 lower-case letters, digits or '-'
  --order <n>             position (lower first; default: after the last route)
  --tenant <id>           tenant id(s)
  --workload <w>          ${ROUTE_WORKLOADS.join(", ")}
  --status <s>            restore session status(es), e.g. failed, completedWithError
  --kind <k>              ${ROUTE_KINDS.join(", ")}
  --email <address>       email recipient(s), sent through the configured ACS resource and sender
  --teams-secret <secret> name of the Key Vault secret (in KEY_VAULT_URI) holding the Teams webhook URL

A route that is not valid is refused with every reason, and nothing is stored.

Settings: the state storage (AzureWebJobsStorage or STATE_STORAGE, STATE_TABLE), AZURE_CLIENT_ID for
identity-based storage.`,
  options: {
    name: { type: "string" },
    order: { type: "string" },
    tenant: { type: "string", multiple: true },
    workload: { type: "string", multiple: true },
    status: { type: "string", multiple: true },
    kind: { type: "string", multiple: true },
    email: { type: "string", multiple: true },
    "teams-secret": { type: "string" },
  },
  async run({ values }, io) {
    const name = values["name"];
    if (typeof name !== "string") throw new UsageError("route add needs --name");
    const orderText = values["order"];
    if (orderText !== undefined && (typeof orderText !== "string" || !/^\d+$/.test(orderText))) throw new UsageError("--order must be a whole number");
    const teamsSecret = values["teams-secret"];
    const { table, counters } = await openStateTable(io);
    const store = new RouteStore(table, counters);
    const order = orderText !== undefined ? Number(orderText) : await nextOrder(store);
    let route;
    try {
      route = validateRoute({ name, order, tenants: listOption(values["tenant"]), workloads: listOption(values["workload"]), statuses: listOption(values["status"]), kinds: listOption(values["kind"]), emailTo: listOption(values["email"]), ...(typeof teamsSecret === "string" && { teamsSecret }) });
    } catch (error) {
      if (error instanceof InvalidRouteError) throw new UsageError(error.message);
      throw error;
    }
    try {
      await store.add(route);
    } catch (error) {
      if (error instanceof InvalidRouteError) throw new UsageError(error.message);
      throw error;
    }
    io.out(`route ${route.name} added:`);
    for (const line of describeRoute(route)) io.out(`  ${line}`);
    return EXIT.ok;
  },
};

/** After the last route, in steps of 10 (room to put one in between later). */
async function nextOrder(store: RouteStore): Promise<number> {
  const { routes } = await store.list();
  return routes.reduce((last, r) => Math.max(last, r.order), 0) + 10;
}

import { readChannelsConfig } from "../../config/config";
import type { AlertKind } from "../../domain/alert";
import { ROUTE_KINDS, ROUTE_WORKLOADS, routeFor } from "../../domain/route";
import { RESTORE_SESSION_STATUSES, type RestoreSessionStatus, type Workload } from "../../domain/restoreSession";
import { errorMessage } from "../../domain/errors";
import { RouteStore } from "../../state/routeStore";
import type { CliCommand, CliIo } from "./command";
import { EXIT, UsageError } from "./exitCodes";
import { describeRoute } from "./routeText";
import { openStateTable } from "./stateAccess";

export const routeTestCommand: CliCommand = {
  name: "route test",
  usage: "route test --tenant <id> --workload <w> --status <s> [--kind <k>]",
  summary: "show which route an alert would take, and its receivers",
  help: `Shows which route an alert with these properties would take (the first stored route that matches, or
the default route) and where it would go.

  --tenant <id>     the alert's tenant
  --workload <w>    ${ROUTE_WORKLOADS.join(", ")}
  --status <s>      the restore session's status, e.g. failed
  --kind <k>        ${ROUTE_KINDS.join(", ")} (default status)

Settings: as for route add; the channel settings, if set, show the default route's receivers.`,
  options: { tenant: { type: "string" }, workload: { type: "string" }, status: { type: "string" }, kind: { type: "string" } },
  async run({ values }, io) {
    const tenantId = values["tenant"];
    if (typeof tenantId !== "string") throw new UsageError("route test needs --tenant");
    const workloadArg = String(values["workload"] ?? "");
    const workload = ROUTE_WORKLOADS.find((w) => w.toLowerCase() === workloadArg.toLowerCase()) as Workload | undefined;
    if (!workload) throw new UsageError(`--workload must be one of ${ROUTE_WORKLOADS.join(", ")}`);
    const status = values["status"];
    if (typeof status !== "string" || !(RESTORE_SESSION_STATUSES as readonly string[]).includes(status)) throw new UsageError(`--status must be one of ${RESTORE_SESSION_STATUSES.join(", ")}`);
    const kind = String(values["kind"] ?? "status");
    if (!(ROUTE_KINDS as readonly string[]).includes(kind)) throw new UsageError(`--kind must be one of ${ROUTE_KINDS.join(", ")}`);
    const { table, counters } = await openStateTable(io);
    const { routes } = await new RouteStore(table, counters).list();
    const route = routeFor({ tenantId, workload, status: status as RestoreSessionStatus, kind: kind as AlertKind }, routes);
    if (route) {
      io.out(`route ${route.name}`);
      for (const line of describeRoute(route)) io.out(`  ${line}`);
    } else {
      io.out(`default route${routes.length > 0 ? ` (none of the ${routes.length} route(s) matches)` : " (no routes stored)"}`);
      for (const line of defaultReceivers(io)) io.out(`  ${line}`);
    }
    return EXIT.ok;
  },
};

/** The default route's receivers as these settings configure them (the Teams URL is never shown). */
function defaultReceivers(io: CliIo): string[] {
  try {
    const channels = readChannelsConfig(io.env, { requireChannel: false });
    const lines = [
      ...(channels.email ? [`email: ${channels.email.to.join(", ")} (ALERT_EMAIL_TO)`] : []),
      ...(channels.teams ? ["teams: TEAMS_WEBHOOK_URL"] : []),
      ...(channels.outboxDir !== undefined ? [`file: ${channels.outboxDir} (ALERT_OUTBOX_DIR)`] : []),
      ...(channels.disabled ?? []).map((d) => `${d.name}: disabled: ${d.reason}`),
    ];
    return lines.length > 0 ? lines : ["(no channel is configured in these settings)"];
  } catch (error) {
    return [`(the channel settings here cannot be read: ${errorMessage(error)})`];
  }
}

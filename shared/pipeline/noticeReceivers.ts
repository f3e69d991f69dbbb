import type { AlertChannel } from "../channels/channel";
import { buildReceivers } from "../channels/routeReceivers";
import { errorMessage } from "../domain/errors";
import type { Logger } from "../domain/logger";
import { inRouteOrder, receiverKeys, type Route } from "../domain/route";
import { RouteStore } from "../state/routeStore";
import type { PollDeps } from "./pollDeps";

/**
 * A tenant's own default receivers: those of the first route whose only criterion is that tenant (a
 * route for a customer's admins: `route add --name contoso-admins --tenant <id> --email ...`).
 */
export function tenantDefaultRoute(tenantId: string, routes: readonly Route[]): Route | undefined {
  const id = tenantId.toLowerCase();
  return inRouteOrder(routes).find(({ match }) => (match.tenants?.includes(id) ?? false) && !match.workloads?.length && !match.statuses?.length && !match.kinds?.length);
}

/**
 * Where a health notice about one tenant goes: the operator's receivers (the default route's channels)
 * and, where a route for that tenant alone exists, the tenant's own. Best effort: when the routes or a
 * receiver cannot be read (the table may be what fails), the notice still goes to the operator's.
 */
export async function noticeChannelsFor(deps: PollDeps, tenantId: string | undefined, log: Pick<Logger, "warn">, signal?: AbortSignal): Promise<readonly AlertChannel[]> {
  if (tenantId === undefined) return deps.channels;
  try {
    const { routes } = await new RouteStore(deps.table, deps.tableCounters, signal).list();
    const route = tenantDefaultRoute(tenantId, routes);
    if (!route) return deps.channels;
    const { channels, disabled } = await buildReceivers(new Set(Object.values(receiverKeys(route))), {
      routes,
      channels: deps.channels,
      disabled: deps.config.channels.disabled ?? [],
      ...(deps.config.channels.routeReceivers && { settings: deps.config.channels.routeReceivers }),
      ...(deps.routeSecrets && { secrets: deps.routeSecrets }),
    });
    for (const off of disabled) log.warn(`health notice: the tenant's receiver ${off.name} cannot be used (${off.reason}); the notice goes to the operator's`);
    return [...deps.channels, ...channels];
  } catch (error) {
    log.warn(`health notice: the routes could not be read (${errorMessage(error)}); the notice goes to the operator's receivers only`);
    return deps.channels;
  }
}

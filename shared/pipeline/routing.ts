import { initialDeliveries } from "../channels/deliver";
import { buildReceivers, type Receivers } from "../channels/routeReceivers";
import type { Alert } from "../domain/alert";
import type { ChannelDelivery } from "../domain/delivery";
import { receiverKeys, routeFor, subjectOf, type Route } from "../domain/route";
import { RouteStore } from "../state/routeStore";
import type { PollDeps, TenantRun } from "./pollDeps";

/** The routes a run uses, read once per run (the record and deliver stages share the read). */
const readByRun = new WeakMap<TenantRun, Promise<Route[]>>();

export function routesOf(deps: PollDeps, run: TenantRun): Promise<Route[]> {
  let routes = readByRun.get(run);
  if (!routes) {
    routes = readRoutes(deps, run);
    readByRun.set(run, routes);
  }
  return routes;
}

async function readRoutes(deps: PollDeps, run: TenantRun): Promise<Route[]> {
  const { routes, unusable } = await new RouteStore(deps.table, deps.tableCounters, run.deadline).list();
  for (const route of unusable) run.log.warn(`route ${route.name} is not used (its row is not valid): ${route.reason}`);
  return routes;
}

/**
 * The deliveries an alert starts with: pending on its route's receivers, or (no route matches, or
 * none is stored) on the default route's channels, exactly as before routes existed.
 */
export function routedDeliveries(alert: Alert, routes: readonly Route[], defaults: Readonly<Record<string, ChannelDelivery>>): Readonly<Record<string, ChannelDelivery>> {
  const route = routeFor(subjectOf(alert), routes);
  return route ? initialDeliveries(Object.values(receiverKeys(route)).map((name) => ({ name }))) : defaults;
}

/** Builds, for one delivery pass, the route receivers that pending alerts name. */
export function receiversFor(deps: PollDeps, run: TenantRun): (keys: ReadonlySet<string>) => Promise<Receivers> {
  return async (keys) =>
    buildReceivers(keys, {
      routes: await routesOf(deps, run),
      channels: deps.channels,
      disabled: deps.config.channels.disabled ?? [],
      ...(deps.config.channels.routeReceivers && { settings: deps.config.channels.routeReceivers }),
      ...(deps.routeSecrets && { secrets: deps.routeSecrets }),
    });
}

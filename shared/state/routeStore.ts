import type { TableClient } from "@azure/data-tables";
import { ROUTES_PARTITION } from "../domain/tenant";
import { InvalidRouteError, MAX_ROUTES, inRouteOrder, validateRoute, type Route } from "../domain/route";
import { errorMessage } from "../domain/errors";
import { escapeOData } from "./entities";
import { isRestError, type TableTrafficCounters } from "./tableClient";

/** A stored route row that no longer validates (edited by hand): never used, shown by `route list`. */
export interface UnusableRoute {
  readonly name: string;
  readonly reason: string;
}

/**
 * The routes, one entity per route in the state table's ROUTES_PARTITION (row key: the route's name).
 * A route is validated before it is written and written in one request, so a refused route leaves
 * nothing behind; rows are validated again when read.
 */
export class RouteStore {
  constructor(
    private readonly table: TableClient,
    private readonly counters: TableTrafficCounters,
    private readonly signal?: AbortSignal,
  ) {}

  /** Every stored route, in the order they are tried, and the rows that fail validation. */
  async list(): Promise<{ routes: Route[]; unusable: UnusableRoute[] }> {
    const routes: Route[] = [];
    const unusable: UnusableRoute[] = [];
    const pages = this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: `PartitionKey eq '${escapeOData(ROUTES_PARTITION)}'` }, abortSignal: this.signal }).byPage({ maxPageSize: 1000 });
    for await (const page of pages) {
      this.counters.queryPages++;
      for (const entity of page) {
        try {
          routes.push(entityToRoute(entity));
        } catch (error) {
          unusable.push({ name: String(entity.rowKey), reason: errorMessage(error) });
        }
      }
    }
    return { routes: inRouteOrder(routes), unusable };
  }

  /** Stores a validated route; refuses a name already taken and a list already at its bound. */
  async add(route: Route): Promise<void> {
    const { routes, unusable } = await this.list();
    if (routes.length + unusable.length >= MAX_ROUTES) throw new InvalidRouteError([`there are already ${MAX_ROUTES} routes (the most kept); remove one first`]);
    this.counters.pointOperations++;
    try {
      await this.table.createEntity(routeToEntity(route), { abortSignal: this.signal });
    } catch (error) {
      if (isRestError(error, 409)) throw new InvalidRouteError([`a route named '${route.name}' exists; remove it first (restorewatch route remove ${route.name})`]);
      throw error;
    }
  }

  /** Removes a route; false when there was none by that name. */
  async remove(name: string): Promise<boolean> {
    this.counters.pointOperations++;
    try {
      await this.table.deleteEntity(ROUTES_PARTITION, name, { abortSignal: this.signal });
      return true;
    } catch (error) {
      if (isRestError(error, 404)) return false;
      throw error;
    }
  }
}

const LIST_COLUMNS = ["tenants", "workloads", "statuses", "kinds", "emailTo"] as const;

function routeToEntity(route: Route): Record<string, unknown> & { partitionKey: string; rowKey: string } {
  const lists: Record<string, readonly string[] | undefined> = { ...route.match, emailTo: route.receivers.emailTo };
  const columns = Object.fromEntries(LIST_COLUMNS.filter((c) => lists[c] !== undefined).map((c) => [c, (lists[c] ?? []).join(",")]));
  return { partitionKey: ROUTES_PARTITION, rowKey: route.name, order: route.order, ...columns, ...(route.receivers.teamsSecret !== undefined && { teamsSecret: route.receivers.teamsSecret }) };
}

function entityToRoute(entity: Record<string, unknown>): Route {
  const list = (column: string): string[] | undefined => (typeof entity[column] === "string" ? String(entity[column]).split(",") : undefined);
  const teamsSecret = entity["teamsSecret"];
  return validateRoute({
    name: String(entity.rowKey),
    order: typeof entity["order"] === "number" ? entity["order"] : Number.NaN,
    ...Object.fromEntries(LIST_COLUMNS.map((c) => [c, list(c)]).filter(([, v]) => v !== undefined)),
    ...(typeof teamsSecret === "string" && { teamsSecret }),
  });
}

import type { Route } from "../../domain/route";

/** A list option as given: repeated and/or comma-separated. */
export function listOption(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const items = (Array.isArray(value) ? value : [value]).map(String);
  return items.flatMap((item) => item.split(","));
}

/** A route's criteria and receivers, one line each (a Teams webhook by its secret's name: the URL is never shown). */
export function describeRoute(route: Route): string[] {
  const { match, receivers } = route;
  const any = (items: readonly string[] | undefined): string => (items ? items.join(", ") : "any");
  return [
    `order ${route.order}: tenant ${any(match.tenants)}; workload ${any(match.workloads)}; status ${any(match.statuses)}; kind ${any(match.kinds)}`,
    ...(receivers.emailTo ? [`email: ${receivers.emailTo.join(", ")}`] : []),
    ...(receivers.teamsSecret !== undefined ? [`teams: webhook URL in Key Vault secret ${receivers.teamsSecret}`] : []),
  ];
}

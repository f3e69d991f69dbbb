import type { Alert, AlertKind } from "./alert";
import { RESTORE_SESSION_STATUSES, KNOWN_WORKLOADS, type RestoreSessionStatus, type Workload } from "./restoreSession";

/**
 * Routes (issue 16): which receivers an alert goes to. A short ordered list, stored as data; the first
 * route that matches an alert wins, and the default route (the configured ALERT_EMAIL_TO and
 * TEAMS_WEBHOOK_URL) takes the rest, so with no routes every alert goes where it always did.
 */
export interface Route {
  /** Lower-case letters, digits and '-': the row key, and part of its receivers' keys (`email:route-<name>`). */
  readonly name: string;
  /** Position in the list: lower first; equal orders by name. */
  readonly order: number;
  /** Each absent (or empty) criterion matches anything. */
  readonly match: RouteMatch;
  readonly receivers: RouteReceivers;
}

export interface RouteMatch {
  readonly tenants?: readonly string[];
  readonly workloads?: readonly Workload[];
  readonly statuses?: readonly RestoreSessionStatus[];
  readonly kinds?: readonly AlertKind[];
}

export interface RouteReceivers {
  /** Email recipients (sent through the configured ACS resource and sender). */
  readonly emailTo?: readonly string[];
  /** Name of the Key Vault secret (in KEY_VAULT_URI) holding the Teams webhook URL: never the URL itself. */
  readonly teamsSecret?: string;
}

/** The alert kinds a route can match. */
export const ROUTE_KINDS: readonly AlertKind[] = ["status", "stuck", "reminder"];
export const ROUTE_WORKLOADS: readonly Workload[] = [...KNOWN_WORKLOADS, "unknown"];
/** "A short ordered list": more would be configuration no one can read. */
export const MAX_ROUTES = 50;
const MAX_RECIPIENTS = 50;
const NAME = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;
/** Key Vault's own rule for secret names. */
const KEY_VAULT_SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;
const TENANT_ID = /^[A-Za-z0-9._-]{1,128}$/;
/** Same rule as ALERT_EMAIL_TO's. */
const EMAIL_ADDRESS = /^[^\s@<>",;]+@[^\s@<>",;]+\.[^\s@<>",;]+$/;

/** A route that cannot be stored, with every reason (the operator fixes them all at once). */
export class InvalidRouteError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`route refused: ${problems.join("; ")}`);
    this.name = "InvalidRouteError";
  }
}

/** A route as given (by `route add`, or read back from a row), before validation. */
export interface RouteInput {
  readonly name: string;
  readonly order: number;
  readonly tenants?: readonly string[];
  readonly workloads?: readonly string[];
  readonly statuses?: readonly string[];
  readonly kinds?: readonly string[];
  readonly emailTo?: readonly string[];
  readonly teamsSecret?: string;
}

/** Validates a route; throws InvalidRouteError listing every problem. Workloads match case-insensitively (as admins type them). */
export function validateRoute(input: RouteInput): Route {
  const problems: string[] = [];
  if (!NAME.test(input.name)) problems.push(`name '${input.name.slice(0, 60)}' must be 1-40 lower-case letters, digits or '-' (not at either end)`);
  if (!Number.isSafeInteger(input.order) || input.order < 0 || input.order > 100_000) problems.push("order must be a whole number from 0 to 100000");
  const tenants = listed(input.tenants, "tenant", (t) => TENANT_ID.test(t), "is not a tenant id", problems);
  const workloads = listed(input.workloads, "workload", (w) => ROUTE_WORKLOADS.some((k) => k.toLowerCase() === w.toLowerCase()), `is not a workload (${ROUTE_WORKLOADS.join(", ")})`, problems)?.map((w) => ROUTE_WORKLOADS.find((k) => k.toLowerCase() === w.toLowerCase()) as Workload);
  const statuses = listed(input.statuses, "status", (s) => (RESTORE_SESSION_STATUSES as readonly string[]).includes(s), `is not a restore session status (${RESTORE_SESSION_STATUSES.join(", ")})`, problems) as RestoreSessionStatus[] | undefined;
  const kinds = listed(input.kinds, "kind", (k) => (ROUTE_KINDS as readonly string[]).includes(k), `is not an alert kind (${ROUTE_KINDS.join(", ")})`, problems) as AlertKind[] | undefined;
  const emailTo = listed(input.emailTo, "email recipient", (a) => EMAIL_ADDRESS.test(a), "is not an email address", problems);
  if ((emailTo?.length ?? 0) > MAX_RECIPIENTS) problems.push(`at most ${MAX_RECIPIENTS} email recipients per route`);
  const teamsSecret = input.teamsSecret;
  if (teamsSecret !== undefined && !KEY_VAULT_SECRET_NAME.test(teamsSecret)) problems.push("the Teams webhook must be given as a Key Vault secret name (1-127 letters, digits or '-'), not a URL");
  if (emailTo === undefined && teamsSecret === undefined) problems.push("a route needs a receiver: email recipients and/or a Teams webhook secret");
  if (problems.length > 0) throw new InvalidRouteError(problems);
  const match: RouteMatch = { ...(tenants && { tenants: tenants.map((t) => t.toLowerCase()) }), ...(workloads && { workloads }), ...(statuses && { statuses }), ...(kinds && { kinds }) };
  return { name: input.name, order: input.order, match, receivers: { ...(emailTo && { emailTo }), ...(teamsSecret !== undefined && { teamsSecret }) } };
}

/** A list criterion: undefined when absent or empty (matches anything); each bad item is a problem. */
function listed(items: readonly string[] | undefined, what: string, ok: (item: string) => boolean, why: string, problems: string[]): string[] | undefined {
  const kept = (items ?? []).map((item) => item.trim()).filter((item) => item !== "");
  for (const item of kept) if (!ok(item)) problems.push(`${what} '${item.slice(0, 80)}' ${why}`);
  return kept.length === 0 ? undefined : [...new Set(kept)];
}

/** What a route matches on: an alert's tenant, workload, status and kind. */
export type RouteSubject = Pick<Alert, "tenantId" | "kind" | "status"> & { readonly workload: Workload };

export function subjectOf(alert: Alert): RouteSubject {
  return { tenantId: alert.tenantId, kind: alert.kind, status: alert.status, workload: alert.session.workload };
}

/** The routes in the order they are tried. */
export function inRouteOrder(routes: readonly Route[]): Route[] {
  return [...routes].sort((a, b) => a.order - b.order || a.name.localeCompare(b.name));
}

/** The first route (in order) that matches; undefined: the default route. */
export function routeFor(subject: RouteSubject, routes: readonly Route[]): Route | undefined {
  return inRouteOrder(routes).find(({ match }) =>
    (match.tenants === undefined || match.tenants.includes(subject.tenantId.toLowerCase())) &&
    (match.workloads === undefined || match.workloads.includes(subject.workload)) &&
    (match.statuses === undefined || match.statuses.includes(subject.status)) &&
    (match.kinds === undefined || match.kinds.includes(subject.kind)),
  );
}

/**
 * The keys of a route's receivers in an alert's deliveries. The default route keeps the channels'
 * own keys (`email`, `teams`, `file`), so rows written before routes existed read the same.
 */
export function receiverKeys(route: Route): { readonly email?: string; readonly teams?: string } {
  return { ...(route.receivers.emailTo && { email: receiverKey("email", route.name) }), ...(route.receivers.teamsSecret !== undefined && { teams: receiverKey("teams", route.name) }) };
}

const ROUTE_RECEIVER = ":route-";

function receiverKey(channel: "email" | "teams", routeName: string): string {
  return `${channel}${ROUTE_RECEIVER}${routeName}`;
}

/** A delivery key read back: its channel, and its route when it is a route's receiver (`teams:route-x`), else none (the default route). */
export function parseReceiverKey(key: string): { readonly channel: string; readonly route?: string } {
  const at = key.indexOf(ROUTE_RECEIVER);
  return at < 0 ? { channel: key } : { channel: key.slice(0, at), route: key.slice(at + ROUTE_RECEIVER.length) };
}

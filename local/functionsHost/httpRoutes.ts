import { randomBytes, timingSafeEqual } from "node:crypto";
import type { RegisteredFunction } from "./functionsHost";

/**
 * The Functions host's HTTP routing and key checks, as the emulated host applies them to HTTP-triggered
 * functions (a request reaches a function only through these):
 *
 * - a function's route is its `route`, or its name; every route lives under the prefix `api/`;
 * - a route starting with `admin` or `runtime` conflicts with the host's built-in routes: the host
 *   puts the function in error at indexing and serves the rest (ScriptHost.ValidateHttpFunction);
 * - a request is routed by path and method together: a method the function does not accept finds no
 *   route and gets 404, as in Azure (azure-functions-host#10098), not 405;
 * - the key comes in the `x-functions-key` header or the `code` query parameter; `function` level takes
 *   the function's own keys, a host key or the master key; `admin` only the master key; a missing or
 *   wrong key is 401 with an empty body.
 */
export const ROUTE_PREFIX = "api";
export const RESERVED_ROUTE_MESSAGE = "The specified route conflicts with one or more built in routes.";
const RESERVED_ROUTE = /^(admin|runtime)/i;

export type AuthLevel = "anonymous" | "function" | "admin";

export interface HttpRoute {
  readonly functionName: string;
  /** The route template without the prefix, e.g. `ops/test-alert` or `items/{id}`. */
  readonly template: string;
  /** Upper-case methods; empty: every method. */
  readonly methods: readonly string[];
  readonly authLevel: AuthLevel;
  readonly segments: readonly RouteSegment[];
}

type RouteSegment = { readonly literal: string } | { readonly parameter: string; readonly optional: boolean; readonly catchAll: boolean };

/** The routes of the app's HTTP functions, and the functions the host puts in error instead (name → message). */
export function indexHttpRoutes(functions: readonly RegisteredFunction[]): { routes: HttpRoute[]; errors: Map<string, string> } {
  const routes: HttpRoute[] = [];
  const errors = new Map<string, string>();
  for (const fn of functions) {
    if (fn.trigger.type.toLowerCase() !== "httptrigger") continue;
    try {
      routes.push(httpRouteOf(fn));
    } catch (error) {
      errors.set(fn.name, error instanceof Error ? error.message : String(error));
    }
  }
  return { routes, errors };
}

/** One HTTP function's route; throws the host's message for a route it refuses. */
export function httpRouteOf(fn: Pick<RegisteredFunction, "name" | "trigger">): HttpRoute {
  const declared = fn.trigger["route"];
  const template = (typeof declared === "string" && declared.trim() !== "" ? declared : fn.name).replace(/^\/+|\/+$/g, "");
  if (RESERVED_ROUTE.test(template)) throw new Error(RESERVED_ROUTE_MESSAGE);
  const methods = Array.isArray(fn.trigger["methods"]) ? (fn.trigger["methods"] as unknown[]).map((m) => String(m).toUpperCase()) : [];
  const level = String(fn.trigger["authLevel"] ?? "function").toLowerCase();
  if (level !== "anonymous" && level !== "function" && level !== "admin") throw new Error(`'${String(fn.trigger["authLevel"])}' is not an authorization level (anonymous, function or admin)`);
  return { functionName: fn.name, template, methods, authLevel: level, segments: template.split("/").map(parseSegment) };
}

function parseSegment(text: string): RouteSegment {
  const parameter = /^\{(\*?)([A-Za-z_][\w]*)(?::[^}?]*)?(\?)?\}$/.exec(text);
  if (!parameter) return { literal: text.toLowerCase() };
  return { parameter: parameter[2] ?? "", optional: parameter[3] === "?", catchAll: parameter[1] === "*" };
}

/** The route a request's path (`/api/...`) and method reach, with its parameters; undefined: 404. */
export function matchRoute(routes: readonly HttpRoute[], method: string, pathname: string): { route: HttpRoute; params: Record<string, string> } | undefined {
  const prefix = `/${ROUTE_PREFIX}/`;
  if (!pathname.toLowerCase().startsWith(prefix)) return undefined;
  const parts = pathname.slice(prefix.length).replace(/\/+$/, "").split("/").map(decodeURIComponent);
  for (const route of routes) {
    if (route.methods.length > 0 && !route.methods.includes(method.toUpperCase())) continue;
    const params = matchSegments(route.segments, parts);
    if (params) return { route, params };
  }
  return undefined;
}

function matchSegments(segments: readonly RouteSegment[], parts: readonly string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as RouteSegment;
    const part = parts[i];
    if ("literal" in segment) {
      if (part === undefined || part.toLowerCase() !== segment.literal) return undefined;
    } else if (segment.catchAll) {
      params[segment.parameter] = parts.slice(i).join("/");
      return params;
    } else if (part === undefined || part === "") {
      if (!segment.optional) return undefined;
    } else {
      params[segment.parameter] = part;
    }
  }
  return parts.length <= segments.length ? params : undefined;
}

/** The keys the host holds: the master key, host keys, and each function's keys (name → value). */
export interface HostKeys {
  readonly master: string;
  readonly host: Readonly<Record<string, string>>;
  readonly functions: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** A master key, a `default` host key and a `default` key per function, new at each host start. */
export function generateHostKeys(functionNames: readonly string[], master?: string): HostKeys {
  const key = (): string => randomBytes(40).toString("base64url");
  return { master: master ?? key(), host: { default: key() }, functions: Object.fromEntries(functionNames.map((name) => [name, { default: key() }])) };
}

/** The key a request presents: the `x-functions-key` header, else the `code` query parameter. */
export function presentedKey(headers: { get(name: string): string | null }, query: URLSearchParams): string | undefined {
  return headers.get("x-functions-key") ?? query.get("code") ?? undefined;
}

/** Whether a key opens a function of this level (the master key opens every level; admin takes nothing else). */
export function authorizes(keys: HostKeys, level: AuthLevel, functionName: string, key: string | undefined): boolean {
  if (level === "anonymous") return true;
  if (key === undefined || key === "") return false;
  if (sameKey(key, keys.master)) return true;
  if (level === "admin") return false;
  const functionKeys = Object.entries(keys.functions).find(([name]) => name.toLowerCase() === functionName.toLowerCase())?.[1] ?? {};
  return [...Object.values(functionKeys), ...Object.values(keys.host)].some((candidate) => sameKey(key, candidate));
}

function sameKey(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

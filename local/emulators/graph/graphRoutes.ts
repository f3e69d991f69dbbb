import type { IncomingHttpHeaders } from "node:http";
import type { TokenClaims } from "../tokens";

/** A request to the Graph emulator, after its bearer token was verified. */
export interface GraphRouteRequest {
  readonly method: string;
  /** Path after the version segment, e.g. `/servicePrincipals`. */
  readonly path: string;
  readonly version: "v1.0" | "beta";
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** Parsed JSON body, or undefined. */
  readonly body: unknown;
  readonly claims: TokenClaims;
}

export interface GraphRouteResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** An extra set of endpoints mounted on the Graph emulator; returns undefined for paths it does not serve. */
export type GraphRoute = (request: GraphRouteRequest) => GraphRouteResponse | undefined | Promise<GraphRouteResponse | undefined>;

/** The standard Graph error envelope. */
export function graphError(status: number, code: string, message: string): GraphRouteResponse {
  return {
    status,
    body: { error: { code, message, innerError: { date: new Date().toISOString(), "request-id": crypto.randomUUID(), "client-request-id": crypto.randomUUID() } } },
  };
}

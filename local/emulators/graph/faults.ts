/** Faults the Graph emulator answers with instead of the real thing (injectFault). */

export interface Fault {
  status: number;
  /** A number, or a string sent verbatim as the Retry-After header (an HTTP date, a hostile value). */
  retryAfterSeconds?: number | string;
  /** Raw body sent verbatim as application/json (e.g. malformed JSON). */
  body?: string;
  /** Hang this long before answering. With a status below 400 and no body, the request is then served normally. */
  delayMs?: number;
  /** Send the headers and part of a body, then reset the connection. */
  destroySocket?: boolean;
}


export const FAULT_CODES: Readonly<Record<number, string>> = {
  400: "BadRequest",
  401: "InvalidAuthenticationToken",
  403: "Forbidden",
  404: "ResourceNotFound",
  409: "Conflict",
  429: "TooManyRequests",
  500: "InternalServerError",
  502: "BadGateway",
  503: "ServiceUnavailable",
  504: "GatewayTimeout",
};
export interface QueuedFault {
  readonly match: RegExp;
  readonly fault: Fault;
  remaining: number;
}

export function matches(pattern: RegExp, value: string): boolean {
  pattern.lastIndex = 0; // a /g or /y pattern is stateful
  return pattern.test(value);
}

/** A setting is missing or wrong: the operator's fault, fixed by changing configuration. */
export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    problem: string,
  ) {
    super(`${setting} ${problem}`);
    this.name = "ConfigError";
  }
}

/**
 * How an error shows a value the operator set. A setting can hold a key, a signature or a SAS when it
 * was pasted in the wrong place, and configuration errors reach the logs (Application Insights in
 * Azure): only a short token that cannot be one is quoted; anything else is described, not shown.
 */
export function describeValue(value: string): string {
  return /^[A-Za-z][\w .:+-]{0,23}$/.test(value) && !/[A-Za-z0-9+/]{20,}/.test(value) ? `'${value}'` : `the value (${value.length} characters, not shown)`;
}

/** Microsoft Graph answered with an error, or could not be reached after retries. */
export class GraphRequestError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly code: string | undefined,
    readonly requestUrl: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "GraphRequestError";
  }

  /** 401/403: a permission or token problem that retrying will not fix. */
  get isAuthFailure(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

/** The run reached its deadline (safely below the function timeout) before it finished; the next run picks up what is left. */
export class RunDeadlineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RunDeadlineError";
  }
}

/** Anything thrown becomes an Error, so callers can rely on `.message`. */
export function ensureErrorType(value: unknown): Error {
  if (value instanceof Error) return value;
  return new Error(typeof value === "string" ? value : `Non-error value thrown: ${JSON.stringify(value)}`);
}

/** Message of an unknown thrown value, on one line. */
export function errorMessage(value: unknown): string {
  return ensureErrorType(value).message.replace(/\s+/g, " ").trim();
}

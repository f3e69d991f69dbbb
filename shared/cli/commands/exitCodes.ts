import { ConfigError, GraphRequestError } from "../../domain/errors";
import { GrantPermissionError } from "../../graph/appRoleGrant";

export const EXIT = { ok: 0, failure: 1, config: 2, auth: 3, graphUnreachable: 4, usage: 64 } as const;

/** Exit code for an error: config, auth (401/403 or no token), Graph unreachable, or other. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError) return EXIT.usage;
  if (error instanceof ConfigError) return EXIT.config;
  if (error instanceof GrantPermissionError) return error.isAuthFailure ? EXIT.auth : EXIT.failure;
  if (error instanceof GraphRequestError) {
    if (error.isAuthFailure || error.code === "CredentialUnavailable") return EXIT.auth;
    if (error.status === undefined || error.status >= 500 || error.status === 429) return EXIT.graphUnreachable;
  }
  return EXIT.failure;
}

/** The command line itself is wrong. */
export class UsageError extends Error {
  override name = "UsageError";
}

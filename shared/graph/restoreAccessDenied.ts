import { DIRECTORY_READ_PERMISSIONS, RESTORE_READ_PERMISSION } from "../domain/permissions";
import { GraphRequestError } from "../domain/errors";

/** The application permission restorewatch needs on Microsoft Graph. */

/** Which identity signed in to Graph (see shared/config/identityConfig.ts). */
export type GraphPrincipalKind = "managedIdentity" | "appRegistration";

/** The principal a Graph token was issued to, from its `oid` and `appid` claims. */
export interface GraphPrincipal {
  readonly kind: GraphPrincipalKind;
  /** Object id of the service principal (`oid`): what grant-graph-permission --principal-id takes. */
  readonly objectId?: string;
  /** Application (client) id (`appid`). */
  readonly appId?: string;
}

/**
 * Graph answered 403 on a restore API. `refusal` is what happened, `fix` what to do about it; the
 * message is both, and the health notice shows them as its cause and fix.
 */
export class RestoreAccessDeniedError extends GraphRequestError {
  constructor(
    readonly refusal: string,
    readonly fix: string,
    readonly principal: GraphPrincipal | undefined,
    code: string | undefined,
    requestUrl: string,
    options?: { cause?: unknown },
  ) {
    super(`${refusal.replace(/[.\s]+$/, "")}. ${fix}`, 403, code, requestUrl, options);
    this.name = "RestoreAccessDeniedError";
  }
}

export function isRestoreApiPath(pathname: string): boolean {
  return /^\/(v1\.0|beta)\/solutions\/backupRestore(\/|$)/i.test(pathname);
}

/**
 * What to do when Graph refuses the restore APIs to `principal` (undefined: not known): grant the
 * permission to the principal that was refused, and, since whether Microsoft 365 Backup serves anyone
 * but the tenant's registered Backup Storage controller app is undocumented, the way out if it does not.
 */
export function restoreAccessFix(principal: GraphPrincipal | undefined): string {
  const objectId = principal?.objectId ?? "<objectId>";
  const appId = principal?.appId;
  const grant = `restorewatch grant-graph-permission --principal-id ${objectId}`;
  switch (principal?.kind) {
    case "appRegistration":
      return (
        `Microsoft Graph refused restorewatch's app registration (${ids(principal, "service principal object id", "app id")}). ` +
        `Grant it the Microsoft Graph application permission ${RESTORE_READ_PERMISSION}: ${grant}${appId ? ` (or --app-id ${appId})` : ""}, run by a Privileged Role Administrator, then restart the function app. ` +
        `If it already has that permission, Microsoft 365 Backup may accept only the tenant's registered Backup Storage controller app: ` +
        `register this app registration (GRAPH_CLIENT_ID${appId ? ` ${appId}` : ""}) as the tenant's Backup Storage controller, see infra/README.md.`
      );
    case "managedIdentity":
    case undefined:
      return (
        `Microsoft Graph refused restorewatch's ${principal ? `managed identity (${ids(principal, "object id", "client id")})` : "identity"}. ` +
        `Grant it the Microsoft Graph application permission ${RESTORE_READ_PERMISSION}: ${grant}, run by a Privileged Role Administrator, then restart the function app. ` +
        `If it already has that permission, Microsoft 365 Backup may accept only the tenant's registered Backup Storage controller app: ` +
        `run restorewatch as an app registration (GRAPH_CLIENT_ID, see infra/README.md) and register that app as the controller.`
      );
  }
}

function ids(principal: GraphPrincipal, objectIdLabel: string, appIdLabel: string): string {
  return [`${objectIdLabel} ${principal.objectId ?? "unknown"}`, ...(principal.appId ? [`${appIdLabel} ${principal.appId}`] : [])].join(", ");
}

/** What to do when getByIds is refused: the optional directory read, granted to the principal that was refused. */
export function directoryReadFix(principal: GraphPrincipal | undefined): string {
  const [narrow, documented] = DIRECTORY_READ_PERMISSIONS;
  return (
    `To show the names of failed mailboxes' and OneDrives' owners, grant ${principal?.objectId ? `the identity (object id ${principal.objectId})` : "the identity"} ${narrow} ` +
    `(or ${documented}, the least privilege Graph documents for getByIds): restorewatch grant-graph-permission --principal-id ${principal?.objectId ?? "<objectId>"} --role ${narrow}`
  );
}

import { RESTORE_READ_PERMISSION } from "../domain/permissions";

/**
 * `restorewatch grant-graph-permission`: gives the principal restorewatch signs in to Graph as (its
 * managed identity, or the app registration of GRAPH_CLIENT_ID) Microsoft Graph's
 * BackupRestore-Restore.Read.All application permission (an app role assignment), run once by an
 * administrator with their own credential. Bicep cannot do this without a Graph extension, and many
 * platform teams keep this privilege apart from resource deployments anyway.
 *
 * Idempotent: an existing assignment is left alone and nothing is written.
 */

/** Microsoft Graph's application id, the same in every tenant. */
export const MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";
export const DEFAULT_GRAPH_APP_ROLE = RESTORE_READ_PERMISSION;

/** What the operator needs, in one sentence (shown on a 403). */
export const GRANT_PRIVILEGES_NEEDED =
  "the signed-in account needs the Privileged Role Administrator Entra role (Cloud Application Administrator can grant other APIs' app roles but not Microsoft Graph's) and a token with the AppRoleAssignment.ReadWrite.All + Application.Read.All permissions";

/**
 * The two Graph calls the command makes. `path` is relative to the version root
 * (`/servicePrincipals/...`) or an absolute `@odata.nextLink` that Graph returned. Implementations
 * throw on a non-2xx answer with the HTTP status in `status` or `statusCode` (GraphRequestError and
 * the Graph SDK's GraphError both qualify) and the Graph error code in `code`.
 */
export interface GraphRequester {
  get(path: string): Promise<unknown>;
  post(path: string, body: unknown): Promise<unknown>;
}

/** Whom to grant to: a service principal's object id, or the application (client) id whose service principal it is. */
export type GrantTarget =
  | { readonly principalId: string; readonly appId?: undefined }
  /** GRAPH_CLIENT_ID, or a managed identity's client id (AZURE_CLIENT_ID): its service principal in this tenant is looked up. */
  | { readonly appId: string; readonly principalId?: undefined };

export type GrantGraphPermissionOptions = GrantTarget & {
  readonly graph: GraphRequester;
  readonly log: (line: string) => void;
  /** App role value, default BackupRestore-Restore.Read.All. */
  readonly role?: string;
};

export interface GrantGraphPermissionResult {
  /** True when this run created the assignment, false when it already existed. */
  readonly assigned: boolean;
  readonly assignmentId: string;
}

export type GrantFailure = "forbidden" | "invalidPrincipalId" | "invalidAppId" | "principalNotFound" | "appServicePrincipalNotFound" | "graphServicePrincipalNotFound" | "roleNotFound" | "unexpectedResponse";

/** The grant could not be made; `message` is one line saying what to do about it. */
export class GrantPermissionError extends Error {
  constructor(
    readonly reason: GrantFailure,
    message: string,
    /** HTTP status Graph answered with, when the failure came from Graph. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "GrantPermissionError";
  }

  /** The operator's own permissions are the problem (maps to the CLI's authentication exit code). */
  get isAuthFailure(): boolean {
    return this.reason === "forbidden";
  }
}

interface AppRole {
  readonly id: string;
  readonly value: string;
  readonly allowedMemberTypes: readonly string[];
  readonly isEnabled: boolean;
}

interface AppRoleAssignment {
  readonly id: string;
  readonly appRoleId: string;
  readonly resourceId: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Assignments are listed a page at a time; a managed identity has a handful, so this is generous. */
const MAX_PAGES = 50;

export async function grantGraphPermission(options: GrantGraphPermissionOptions): Promise<GrantGraphPermissionResult> {
  const { graph, log } = options;
  const roleName = options.role ?? DEFAULT_GRAPH_APP_ROLE;
  const target = validTarget(options);
  // The object id once known; until then what the operator passed, for error messages.
  let principalLabel = target.principalId ?? target.appId;
  const call: Call = (step, request, parse) =>
    request().then(parse, (error: unknown) => {
      throw translate(error, step, principalLabel, roleName);
    });

  const { graphSpId, role } = await findGraphAppRole(call, graph, roleName);
  log(`Microsoft Graph service principal ${graphSpId}; app role ${roleName} is ${role.id}`);
  const principal = await findPrincipal(call, graph, target);
  principalLabel = principal.id;
  log(`Granting to ${principal.displayName}${principal.type ? ` (${principal.type})` : ""}, object id ${principal.id}${target.appId !== undefined ? `, app id ${target.appId}` : ""}`);

  const assignment = { principalId: principal.id, resourceId: graphSpId, appRoleId: role.id };
  const existing = await findAssignment(call, graph, assignment);
  if (existing) {
    log(`${roleName} is already assigned (assignment ${existing.id}); nothing to do`);
    return { assigned: false, assignmentId: existing.id };
  }
  const created = await assign(call, graph, assignment, roleName);
  if (!created.assigned) {
    log(`${roleName} was assigned concurrently (assignment ${created.assignmentId}); nothing to do`);
    return created;
  }
  log(`Assigned ${roleName} (assignment ${created.assignmentId}). Tokens already issued keep their old permissions (a managed identity's for up to 24 hours): restart the function app to use the permission now.`);
  return created;
}

type ValidTarget = { readonly principalId: string; readonly appId?: undefined } | { readonly appId: string; readonly principalId?: undefined };

function validTarget(target: GrantTarget): ValidTarget {
  if (target.appId !== undefined) {
    const appId = target.appId.trim();
    if (!GUID.test(appId)) {
      throw new GrantPermissionError("invalidAppId", `--app-id must be an application (client) id, a GUID (GRAPH_CLIENT_ID, or the managed identity's AZURE_CLIENT_ID); got '${target.appId}'`);
    }
    return { appId };
  }
  const principalId = target.principalId.trim();
  if (!GUID.test(principalId)) {
    throw new GrantPermissionError("invalidPrincipalId", `--principal-id must be the managed identity's principal (object) id, a GUID; got '${target.principalId}'`);
  }
  return { principalId };
}

/** Microsoft Graph's service principal in this tenant, and its enabled application role of that value. */
async function findGraphAppRole(call: Call, graph: GraphRequester, roleName: string): Promise<{ graphSpId: string; role: AppRole }> {
  const graphSp = await call(
    GRAPH_SP_STEP,
    () => graph.get(`/servicePrincipals?$filter=${encodeURIComponent(`appId eq '${MICROSOFT_GRAPH_APP_ID}'`)}&$select=id,appId,displayName,appRoles`),
    (body) => {
      const first = readArray(body, "value", "the service principal search")[0];
      if (first === undefined) {
        throw new GrantPermissionError("graphServicePrincipalNotFound", `this tenant has no service principal for Microsoft Graph (appId ${MICROSOFT_GRAPH_APP_ID}); is the credential signed in to the right tenant?`);
      }
      return { id: readString(first, "id", "Microsoft Graph's service principal"), appRoles: readArray(first, "appRoles", "Microsoft Graph's service principal").map(readAppRole) };
    },
  );
  const role = graphSp.appRoles.find((r) => r.value === roleName && r.allowedMemberTypes.includes("Application"));
  if (!role || !role.isEnabled) {
    throw new GrantPermissionError(
      "roleNotFound",
      `Microsoft Graph has no ${role ? "enabled " : ""}application permission '${roleName}' in this tenant (check the spelling, e.g. ${DEFAULT_GRAPH_APP_ROLE})`,
    );
  }
  return { graphSpId: graphSp.id, role };
}

/**
 * The principal: by object id (a clear error when it is not a service principal, e.g. a client id
 * was passed), or the service principal of an app id in this tenant.
 */
function findPrincipal(call: Call, graph: GraphRequester, target: ValidTarget): Promise<Principal> {
  const { appId, principalId } = target;
  if (appId === undefined) {
    return call("reading the service principal to grant to", () => graph.get(`/servicePrincipals/${principalId}?$select=id,displayName,servicePrincipalType`), (body) => readPrincipal(body, principalId));
  }
  return call(
    "looking up the app's service principal",
    () => graph.get(`/servicePrincipals?$filter=${encodeURIComponent(`appId eq '${appId}'`)}&$select=id,appId,displayName,servicePrincipalType`),
    (body) => {
      const first = readArray(body, "value", "the service principal search")[0];
      if (first === undefined) {
        throw new GrantPermissionError(
          "appServicePrincipalNotFound",
          `app id ${appId} has no service principal in this tenant: create it (az ad sp create --id ${appId}), or consent to the multi-tenant app in this tenant, then run this again`,
        );
      }
      return readPrincipal(first, readString(first, "id", "the app's service principal"));
    },
  );
}

/** Creates the assignment; `assigned: false` when someone else created it between our read and our write. */
async function assign(call: Call, graph: GraphRequester, assignment: AssignmentKey, roleName: string): Promise<GrantGraphPermissionResult> {
  try {
    const assignmentId = await call(
      `assigning ${roleName}`,
      () => graph.post(`/servicePrincipals/${assignment.principalId}/appRoleAssignments`, assignment),
      (body) => readString(body, "id", "the new app role assignment"),
    );
    return { assigned: true, assignmentId };
  } catch (error) {
    // Graph refuses the duplicate of a concurrent assignment.
    if (error instanceof GrantPermissionError || !isDuplicate(error)) throw error;
    const raced = await findAssignment(call, graph, assignment);
    if (!raced) throw error;
    return { assigned: false, assignmentId: raced.id };
  }
}

interface AssignmentKey {
  readonly principalId: string;
  readonly resourceId: string;
  readonly appRoleId: string;
}

interface Principal {
  readonly id: string;
  readonly displayName: string;
  readonly type: string | undefined;
}

const GRAPH_SP_STEP = "reading Microsoft Graph's service principal";

type Call = <T>(step: string, request: () => Promise<unknown>, parse: (body: unknown) => T) => Promise<T>;

async function findAssignment(call: Call, graph: GraphRequester, { principalId, resourceId, appRoleId }: AssignmentKey): Promise<AppRoleAssignment | undefined> {
  let next: string | undefined = `/servicePrincipals/${principalId}/appRoleAssignments`;
  for (let page = 0; next !== undefined && page < MAX_PAGES; page += 1) {
    const path: string = next;
    const { items, nextLink } = await call(
      "listing the service principal's app role assignments",
      () => graph.get(path),
      (body) => ({ items: readArray(body, "value", "the app role assignment list").map(readAssignment), nextLink: optionalString(body, "@odata.nextLink") }),
    );
    const match = items.find((a) => a.appRoleId.toLowerCase() === appRoleId.toLowerCase() && a.resourceId.toLowerCase() === resourceId.toLowerCase());
    if (match) return match;
    next = nextLink;
  }
  if (next !== undefined) throw new GrantPermissionError("unexpectedResponse", `the app role assignment list of ${principalId} has more than ${MAX_PAGES} pages`);
  return undefined;
}

// --- errors ----------------------------------------------------------------------------------------

function statusOf(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { status, statusCode } = error as { status?: unknown; statusCode?: unknown };
  if (typeof status === "number" && status > 0) return status;
  if (typeof statusCode === "number" && statusCode > 0) return statusCode;
  return undefined;
}

function codeOf(error: unknown): string | undefined {
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === "string" ? code : undefined;
}

function isDuplicate(error: unknown): boolean {
  const status = statusOf(error);
  const message = error instanceof Error ? error.message : "";
  return (status === 400 || status === 409) && /already exists/i.test(message);
}

/** Turns a 403 or a 404 on the principal into a one-line GrantPermissionError; anything else passes through. */
function translate(error: unknown, step: string, principalId: string, roleName: string): unknown {
  if (error instanceof GrantPermissionError) return error;
  const status = statusOf(error);
  const code = codeOf(error);
  if (status === 403 || code === "Authorization_RequestDenied") {
    return new GrantPermissionError("forbidden", `cannot grant ${roleName}: Microsoft Graph answered 403${code ? ` ${code}` : ""} when ${step}; ${GRANT_PRIVILEGES_NEEDED}`, status, { cause: error });
  }
  if (status === 404 && step !== GRAPH_SP_STEP) {
    return new GrantPermissionError(
      "principalNotFound",
      `no service principal with object id ${principalId}: pass the managed identity's principal (object) id, not its client id (azd output MANAGED_IDENTITY_PRINCIPAL_ID, or: az identity show -g <group> -n <identity> --query principalId -o tsv)`,
      status,
      { cause: error },
    );
  }
  return error;
}

// --- response shapes ---------------------------------------------------------------------------------

function unexpected(what: string, problem: string): GrantPermissionError {
  return new GrantPermissionError("unexpectedResponse", `unexpected answer from Microsoft Graph for ${what}: ${problem}`);
}

function readArray(body: unknown, key: string, what: string): unknown[] {
  const value = typeof body === "object" && body !== null ? (body as Record<string, unknown>)[key] : undefined;
  if (!Array.isArray(value)) throw unexpected(what, `no '${key}' array`);
  return value;
}

function readString(body: unknown, key: string, what: string): string {
  const value = optionalString(body, key);
  if (value === undefined || value === "") throw unexpected(what, `no '${key}'`);
  return value;
}

function optionalString(body: unknown, key: string): string | undefined {
  const value = typeof body === "object" && body !== null ? (body as Record<string, unknown>)[key] : undefined;
  return typeof value === "string" ? value : undefined;
}

function readPrincipal(raw: unknown, id: string): Principal {
  return { id, displayName: optionalString(raw, "displayName") ?? id, type: optionalString(raw, "servicePrincipalType") };
}

function readAppRole(raw: unknown): AppRole {
  const members = typeof raw === "object" && raw !== null ? (raw as { allowedMemberTypes?: unknown }).allowedMemberTypes : undefined;
  const enabled = typeof raw === "object" && raw !== null ? (raw as { isEnabled?: unknown }).isEnabled : undefined;
  return {
    id: readString(raw, "id", "an app role"),
    value: optionalString(raw, "value") ?? "",
    allowedMemberTypes: Array.isArray(members) ? members.filter((m): m is string => typeof m === "string") : [],
    isEnabled: enabled !== false,
  };
}

function readAssignment(raw: unknown): AppRoleAssignment {
  return {
    id: readString(raw, "id", "an app role assignment"),
    appRoleId: readString(raw, "appRoleId", "an app role assignment"),
    resourceId: readString(raw, "resourceId", "an app role assignment"),
  };
}

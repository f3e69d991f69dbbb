import { randomUUID } from "node:crypto";
import { graphError, type GraphRoute, type GraphRouteRequest, type GraphRouteResponse } from "./graphRoutes";
import type { TokenClaims } from "../tokens";

/**
 * The directory endpoints `restorewatch grant-graph-permission` uses, mounted on the Graph emulator:
 *
 *   GET  /servicePrincipals?$filter=appId eq '<guid>'     (and $select)
 *   GET  /servicePrincipals/{id}
 *   GET  /servicePrincipals/{id}/appRoleAssignments      (paged with @odata.nextLink)
 *   POST /servicePrincipals/{id}/appRoleAssignments      (201, or 400 for a duplicate)
 *
 * Permissions are checked from the token's `scp` (delegated) or `roles` (application) as Graph
 * documents them; the signed-in user's Entra directory role is not emulated.
 */

export const MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";

export interface DirectoryAppRole {
  id: string;
  value: string;
  displayName: string;
  description: string;
  allowedMemberTypes: string[];
  isEnabled: boolean;
  origin: "Application";
}

export interface DirectoryServicePrincipal {
  id: string;
  appId: string;
  displayName: string;
  servicePrincipalType: "Application" | "ManagedIdentity";
  appRoles: DirectoryAppRole[];
}

export interface DirectoryAssignment {
  id: string;
  appRoleId: string;
  principalId: string;
  principalDisplayName: string;
  principalType: "ServicePrincipal";
  resourceId: string;
  resourceDisplayName: string;
  createdDateTime: string;
  deletedDateTime: null;
}

export interface DirectoryState {
  servicePrincipals: DirectoryServicePrincipal[];
  appRoleAssignments: DirectoryAssignment[];
  /** Page size of the appRoleAssignments list, default 100 (Graph's default). */
  pageSize?: number;
}

function appRole(id: string, value: string, displayName: string): DirectoryAppRole {
  return { id, value, displayName, description: `Allows the app to ${displayName.toLowerCase()} without a signed-in user.`, allowedMemberTypes: ["Application"], isEnabled: true, origin: "Application" };
}

/**
 * Microsoft Graph's app roles that matter here, with their real ids, plus a neighbour. Kept at five
 * (three besides BackupRestore-*): test/graph/appRoleGrant.test.ts pages through "the other" roles.
 */
export const GRAPH_APP_ROLES: readonly DirectoryAppRole[] = [
  appRole("87853aa5-0372-4710-b34b-cef27bb7156e", "BackupRestore-Restore.Read.All", "Read all restore sessions"),
  appRole("bebd0841-a3d8-4313-a51d-731112c8ee41", "BackupRestore-Restore.ReadWrite.All", "Read and write all restore sessions"),
  appRole("df021288-bdef-4463-88db-98f22de89214", "User.Read.All", "Read all users' full profiles"),
  appRole("9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30", "Application.Read.All", "Read all applications"),
  // Directory.Read.All and User.Read.All: what POST /directoryObjects/getByIds needs to name users and groups.
  appRole("7ab1d382-f21e-4acd-a863-ba3e13f7da61", "Directory.Read.All", "Read directory data"),
];

/** A tenant's directory with Microsoft Graph's service principal and the given managed identities. */
export function createDirectoryState(managedIdentities: readonly { id: string; appId: string; displayName: string }[] = []): DirectoryState {
  return {
    servicePrincipals: [
      { id: "4f7c2b9e-6d1a-4c38-9e57-0b3d8a6f1c24", appId: MICROSOFT_GRAPH_APP_ID, displayName: "Microsoft Graph", servicePrincipalType: "Application", appRoles: GRAPH_APP_ROLES.map((r) => ({ ...r, allowedMemberTypes: [...r.allowedMemberTypes] })) },
      ...managedIdentities.map((mi) => ({ ...mi, servicePrincipalType: "ManagedIdentity" as const, appRoles: [] })),
    ],
    appRoleAssignments: [],
  };
}

const READ_SERVICE_PRINCIPALS = ["Application.Read.All", "Application.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"];
const READ_ASSIGNMENTS = [...READ_SERVICE_PRINCIPALS, "AppRoleAssignment.ReadWrite.All"];
const WRITE_ASSIGNMENTS = ["AppRoleAssignment.ReadWrite.All"];
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function directoryRoutes(state: DirectoryState): GraphRoute {
  return (request) => {
    const segments = request.path.split("/").filter((s) => s !== "").map((s) => decodeURIComponent(s));
    if (segments[0]?.toLowerCase() !== "serviceprincipals") return undefined;
    const [, id, relation, ...rest] = segments;
    if (rest.length > 0) return notFound(request.path);
    if (id === undefined) return only(request, "GET") ?? guard(request, READ_SERVICE_PRINCIPALS) ?? listServicePrincipals(state, request);
    if (relation === undefined) return only(request, "GET") ?? guard(request, READ_SERVICE_PRINCIPALS) ?? getServicePrincipal(state, id, request);
    if (relation.toLowerCase() !== "approleassignments") return notFound(request.path);
    if (request.method === "GET") return guard(request, READ_ASSIGNMENTS) ?? listAssignments(state, id, request);
    if (request.method === "POST") return guard(request, WRITE_ASSIGNMENTS) ?? createAssignment(state, id, request.body);
    return methodNotAllowed(request.method, "GET, POST");
  };
}

// --- handlers ------------------------------------------------------------------------------------

function listServicePrincipals(state: DirectoryState, request: GraphRouteRequest): GraphRouteResponse {
  const filter = request.query.get("$filter");
  let matches = state.servicePrincipals;
  if (filter !== null) {
    const appId = /^\s*appId\s+eq\s+'([^']*)'\s*$/i.exec(filter)?.[1];
    if (appId === undefined) return graphError(400, "Request_UnsupportedQuery", `The emulator supports only $filter=appId eq '<guid>', not: ${filter}`);
    matches = matches.filter((sp) => sp.appId.toLowerCase() === appId.toLowerCase());
  }
  return ok({ "@odata.context": context(request, "servicePrincipals"), value: matches.map((sp) => select(sp, request)) });
}

function getServicePrincipal(state: DirectoryState, id: string, request: GraphRouteRequest): GraphRouteResponse {
  const sp = findPrincipal(state, id);
  if ("status" in sp) return sp;
  return ok({ "@odata.context": context(request, "servicePrincipals/$entity"), ...select(sp, request) });
}

function listAssignments(state: DirectoryState, id: string, request: GraphRouteRequest): GraphRouteResponse {
  const sp = findPrincipal(state, id);
  if ("status" in sp) return sp;
  const all = state.appRoleAssignments.filter((a) => a.principalId === sp.id);
  const pageSize = state.pageSize ?? 100;
  const from = Number(request.query.get("$skiptoken") ?? "0");
  if (!Number.isInteger(from) || from < 0) return graphError(400, "Request_BadRequest", "Invalid skiptoken.");
  const page = all.slice(from, from + pageSize);
  const host = request.headers.host ?? "127.0.0.1";
  const nextLink = from + pageSize < all.length ? `https://${host}/${request.version}/servicePrincipals/${sp.id}/appRoleAssignments?$skiptoken=${from + pageSize}` : undefined;
  return ok({ "@odata.context": context(request, `servicePrincipals('${sp.id}')/appRoleAssignments`), value: page, ...(nextLink && { "@odata.nextLink": nextLink }) });
}

function createAssignment(state: DirectoryState, id: string, body: unknown): GraphRouteResponse {
  const principal = findPrincipal(state, id);
  if ("status" in principal) return principal;
  const input = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  const { principalId, resourceId, appRoleId } = input;
  if (typeof principalId !== "string" || typeof resourceId !== "string" || typeof appRoleId !== "string") {
    return graphError(400, "Request_BadRequest", "principalId, resourceId and appRoleId are required.");
  }
  if (principalId !== principal.id) return graphError(400, "Request_BadRequest", "The principalId in the body does not match the service principal in the URL.");
  const resource = state.servicePrincipals.find((sp) => sp.id === resourceId);
  if (!resource) return graphError(404, "Request_ResourceNotFound", `Resource '${resourceId}' does not exist or one of its queried reference-property objects are not present.`);
  const role = resource.appRoles.find((r) => r.id === appRoleId && r.isEnabled && r.allowedMemberTypes.includes("Application"));
  if (!role) return graphError(400, "Request_BadRequest", "Permission being assigned was not found on application");
  if (state.appRoleAssignments.some((a) => a.principalId === principal.id && a.resourceId === resource.id && a.appRoleId === role.id)) {
    return graphError(400, "Request_BadRequest", "Permission being assigned already exists on the object");
  }
  const assignment: DirectoryAssignment = {
    id: randomUUID().replace(/-/g, "").slice(0, 22) + "Ag",
    appRoleId: role.id,
    principalId: principal.id,
    principalDisplayName: principal.displayName,
    principalType: "ServicePrincipal",
    resourceId: resource.id,
    resourceDisplayName: resource.displayName,
    createdDateTime: new Date().toISOString(),
    deletedDateTime: null,
  };
  state.appRoleAssignments.push(assignment);
  return { status: 201, body: assignment };
}

// --- helpers -------------------------------------------------------------------------------------

function permissionsOf(claims: TokenClaims): Set<string> {
  return new Set([...(claims.scp ?? "").split(" ").filter((s) => s !== ""), ...(claims.roles ?? [])]);
}

/** 403 unless the token carries one of the permissions. */
function guard(request: GraphRouteRequest, anyOf: readonly string[]): GraphRouteResponse | undefined {
  const held = permissionsOf(request.claims);
  return anyOf.some((p) => held.has(p)) ? undefined : graphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
}

function only(request: GraphRouteRequest, method: string): GraphRouteResponse | undefined {
  return request.method === method ? undefined : methodNotAllowed(request.method, method);
}

function findPrincipal(state: DirectoryState, id: string): DirectoryServicePrincipal | GraphRouteResponse {
  if (!GUID.test(id)) return graphError(400, "Request_BadRequest", `Invalid object identifier '${id}'.`);
  const sp = state.servicePrincipals.find((s) => s.id.toLowerCase() === id.toLowerCase());
  return sp ?? graphError(404, "Request_ResourceNotFound", `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
}

function select(sp: DirectoryServicePrincipal, request: GraphRouteRequest): Record<string, unknown> {
  const fields = request.query.get("$select");
  if (fields === null) return { ...sp };
  const wanted = new Set(["id", ...fields.split(",").map((f) => f.trim())]);
  return Object.fromEntries(Object.entries(sp).filter(([key]) => wanted.has(key)));
}

function context(request: GraphRouteRequest, what: string): string {
  return `https://${request.headers.host ?? "127.0.0.1"}/${request.version}/$metadata#${what}`;
}

function ok(body: unknown): GraphRouteResponse {
  return { status: 200, body };
}

function notFound(path: string): GraphRouteResponse {
  return graphError(400, "BadRequest", `Resource not found for the segment '${path}'.`);
}

function methodNotAllowed(method: string, allow: string): GraphRouteResponse {
  return { ...graphError(405, "Request_BadRequest", `The HTTP method '${method}' is not allowed here.`), headers: { Allow: allow } };
}

import type { TokenClaims } from "../tokens";
import { graphError, type GraphRoute, type GraphRouteRequest, type GraphRouteResponse } from "./graphRoutes";
import type { EmulatedDirectoryObject } from "./model";

// ---------------------------------------------------------------------------------------------
// POST /directoryObjects/getByIds (identity-and-tenants.md §4): users and groups by id, one page.
// ---------------------------------------------------------------------------------------------

export const MAX_GET_BY_IDS = 1000;

/** Permissions that read every directory object, and those that read users fully (other types come back limited). */
const READ_DIRECTORY = ["Directory.Read.All", "Directory.ReadWrite.All", "Directory.AccessAsUser.All"];
const READ_USERS = ["User.Read.All", "User.ReadWrite.All", "User.ReadBasic.All"];

/** The users and groups of the emulated tenant, by id (case-insensitive, as Entra object ids are). */
export class DirectoryObjects {
  private readonly byId = new Map<string, EmulatedDirectoryObject>();

  /** Adds an object, or replaces the one with the same id. */
  add(object: EmulatedDirectoryObject): void {
    this.byId.set(object.id.toLowerCase(), object);
  }

  get(id: string): EmulatedDirectoryObject | undefined {
    return this.byId.get(id.toLowerCase());
  }

  all(): EmulatedDirectoryObject[] {
    return [...this.byId.values()];
  }
}

type Access = "full" | "usersOnly";

function accessOf(claims: TokenClaims): Access | undefined {
  const held = new Set([...(claims.roles ?? []), ...(claims.scp ?? "").split(" ")]);
  if (READ_DIRECTORY.some((p) => held.has(p))) return "full";
  return READ_USERS.some((p) => held.has(p)) ? "usersOnly" : undefined;
}

/** Graph's default v1.0 user properties; given name and surname split from the display name. */
function renderUser(user: EmulatedDirectoryObject): Record<string, unknown> {
  const [givenName, ...rest] = user.displayName.split(" ");
  return {
    "@odata.type": "#microsoft.graph.user",
    id: user.id,
    displayName: user.displayName,
    userPrincipalName: user.userPrincipalName ?? null,
    mail: user.mail ?? null,
    givenName: givenName ?? null,
    surname: rest.length > 0 ? rest.join(" ") : null,
    jobTitle: null,
    businessPhones: [],
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: null,
  };
}

/**
 * A group; one with a mail address is a Microsoft 365 ("Unified") group, one without a security group.
 * Limited (a caller that may read users only): @odata.type and id, the rest null.
 */
function renderGroup(group: EmulatedDirectoryObject, limited: boolean): Record<string, unknown> {
  if (limited) return { "@odata.type": "#microsoft.graph.group", id: group.id, displayName: null, mail: null, groupTypes: null };
  return { "@odata.type": "#microsoft.graph.group", id: group.id, displayName: group.displayName, mail: group.mail ?? null, groupTypes: group.mail !== undefined ? ["Unified"] : [] };
}

/** The body's ids and lower-cased types, or a 400. */
function readBody(body: unknown): { ids: string[]; types?: Set<string> } | GraphRouteResponse {
  const input = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  const { ids, types } = input;
  if (!Array.isArray(ids) || !ids.every((id): id is string => typeof id === "string")) return graphError(400, "Request_BadRequest", "The request body must contain an 'ids' array of strings.");
  // INVENTED message: the docs give the limit (1,000 ids) but not the error text.
  if (ids.length > MAX_GET_BY_IDS) return graphError(400, "Request_BadRequest", `Too many ids: ${ids.length}. At most ${MAX_GET_BY_IDS} ids can be requested at once.`);
  if (types === undefined || types === null) return { ids };
  if (!Array.isArray(types) || !types.every((t): t is string => typeof t === "string")) return graphError(400, "Request_BadRequest", "'types' must be an array of strings.");
  return { ids, types: new Set(types.map((t) => t.toLowerCase())) };
}

function getByIds(directory: DirectoryObjects, request: GraphRouteRequest, origin: string): GraphRouteResponse {
  const access = accessOf(request.claims);
  if (!access) return graphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
  const input = readBody(request.body);
  if ("status" in input) return input;
  const seen = new Set<string>();
  const value: Record<string, unknown>[] = [];
  for (const id of input.ids) {
    const object = directory.get(id);
    // Unknown ids are left out, not an error; each object is served once.
    if (!object || seen.has(object.id) || (input.types && !input.types.has(object.type))) continue;
    seen.add(object.id);
    value.push(object.type === "user" ? renderUser(object) : renderGroup(object, access !== "full"));
  }
  return { status: 200, body: { "@odata.context": `${origin}/${request.version}/$metadata#directoryObjects`, value } };
}

/** The built-in route: POST /directoryObjects/getByIds (or the qualified microsoft.graph.getByIds), 405 for other methods. */
export function getByIdsRoute(directory: DirectoryObjects, origin: () => string): GraphRoute {
  return (request) => {
    const segments = request.path.split("/").filter((s) => s !== "").map((s) => s.toLowerCase());
    if (segments.length !== 2 || segments[0] !== "directoryobjects" || !["getbyids", "microsoft.graph.getbyids"].includes(segments[1] ?? "")) return undefined;
    if (request.method !== "POST") return { ...graphError(405, "Request_BadRequest", `The HTTP method '${request.method}' is not allowed here.`), headers: { Allow: "POST" } };
    return getByIds(directory, request, origin());
  };
}

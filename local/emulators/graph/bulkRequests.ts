import { graphError, type GraphRouteResponse } from "./graphRoutes";
import { DAY_MS, WORKLOAD_SHAPES, type EmulatedBulkRequest, type EmulatedSession, type EmulatedWorkload } from "./model";
import { itemsOffset, relativePage } from "./paging";
import { publicError } from "./render";

// ---------------------------------------------------------------------------------------------
// {mailbox|site|drive}RestoreArtifactsBulkAdditionRequests of a bulk restore session. The docs:
// "This method doesn't support the OData query parameters"; the list omits `mailboxes`.
// ---------------------------------------------------------------------------------------------

/** Graph's limit: at most 10,000 sites or users per bulk request. */
export const MAX_BULK_RESOURCES = 10_000;

export interface BulkRequestContext {
  readonly origin: string;
  readonly version: "v1.0" | "beta";
  readonly session: EmulatedSession;
  readonly query: URLSearchParams;
  readonly pageSize: number;
}

function resourceCount(request: EmulatedBulkRequest): number {
  return [request.directoryObjectIds, request.mailboxes, request.drives, request.siteIds, request.siteWebUrls].reduce((sum, list) => sum + (list?.length ?? 0), 0);
}

/** Throws for a request Graph would not have accepted (over 10,000 resources). */
export function validateBulkRequests(requests: readonly EmulatedBulkRequest[] | undefined): void {
  for (const request of requests ?? []) {
    const count = resourceCount(request);
    if (count > MAX_BULK_RESOURCES) throw new RangeError(`bulk request ${request.id} lists ${count} resources; Graph allows at most ${MAX_BULK_RESOURCES}`);
  }
}

/**
 * The error of a completedWithErrors request. INVENTED: the docs say only that `error` is "populated
 * when resource resolution fails"; the codes are the bulk-request codes of the Backup Storage error
 * page, the message is made up.
 */
export function bulkResolutionError(workload: EmulatedWorkload, unresolved: number, total: number): { code: string; message: string } {
  return workload === "sharePoint"
    ? { code: "BulkRestoreInvalidCreateRequestSiteUrl", message: `${unresolved} of ${total} sites could not be resolved and were not added to the restore session.` }
    : { code: "BulkRestoreInvalidCreateRequestUserEmail", message: `${unresolved} of ${total} users could not be resolved and were not added to the restore session.` };
}

function ownLists(workload: EmulatedWorkload, request: EmulatedBulkRequest, single: boolean): Record<string, unknown> {
  switch (workload) {
    case "exchange":
      return { directoryObjectIds: request.directoryObjectIds ?? [], ...(single && { mailboxes: request.mailboxes ?? [] }) };
    case "oneDrive":
      return { directoryObjectIds: request.directoryObjectIds ?? [], drives: request.drives ?? [] };
    case "sharePoint":
      return { siteIds: request.siteIds ?? [], siteWebUrls: request.siteWebUrls ?? [] };
  }
}

/** The week before the session's day, like the docs example's protectionTimePeriod. */
function defaultPeriod(session: EmulatedSession): { startDateTime: string; endDateTime: string } {
  const end = Math.floor(Date.parse(session.createdDateTime) / DAY_MS) * DAY_MS;
  return { startDateTime: new Date(end - 7 * DAY_MS).toISOString(), endDateTime: new Date(end).toISOString() };
}

/** One request; `single` for GET /{id}, which also carries `mailboxes`. */
export function renderBulkRequest(session: EmulatedSession, request: EmulatedBulkRequest, single: boolean): Record<string, unknown> {
  const shape = WORKLOAD_SHAPES[session.workload];
  const error = request.error === undefined && request.status === "completedWithErrors" ? bulkResolutionError(session.workload, request.unresolvedCount ?? 1, resourceCount(request)) : request.error;
  const createdDateTime = request.createdDateTime ?? session.createdDateTime;
  const createdBy = request.createdBy ?? session.createdBy ?? null;
  return {
    "@odata.type": `#${shape.bulkRequestType}`,
    id: request.id,
    displayName: request.displayName ?? `${shape.shortName}-BulkRestoreArtifacts`,
    status: request.status,
    error: publicError(error),
    destinationType: request.destinationType ?? shape.defaultDestination,
    restorePointPreference: request.restorePointPreference ?? "latest",
    tags: request.tags ?? "none",
    protectionTimePeriod: request.protectionTimePeriod ?? defaultPeriod(session),
    createdDateTime,
    lastModifiedDateTime: request.lastModifiedDateTime ?? createdDateTime,
    createdBy,
    lastModifiedBy: request.lastModifiedBy ?? createdBy,
    ...ownLists(session.workload, request, single),
  };
}

/** 400 for any OData query option ($-parameter), but the list's own $skiptoken. */
function refuseQueryOptions(query: URLSearchParams, allowSkipToken: boolean): GraphRouteResponse | undefined {
  for (const key of query.keys()) {
    if (!key.startsWith("$") || (allowSkipToken && key.toLowerCase() === "$skiptoken")) continue;
    return graphError(400, "BadRequest", `The query specified in the URI is not valid. Query option '${key}' is not allowed for this resource.`);
  }
  return undefined;
}

function collectionUrls(context: BulkRequestContext): { context: string; path: string; collection: string } {
  const shape = WORKLOAD_SHAPES[context.session.workload];
  const id = context.session.id;
  return {
    context: `${context.origin}/${context.version}/$metadata#solutions/backupRestore/${shape.sessionsCollection}('${id}')/${shape.bulkRequestsCollection}`,
    path: `/solutions/backupRestore/${shape.sessionsCollection}/${encodeURIComponent(id)}/${shape.bulkRequestsCollection}`,
    collection: shape.bulkRequestsCollection,
  };
}

export function listBulkRequests(context: BulkRequestContext): GraphRouteResponse {
  const refused = refuseQueryOptions(context.query, true);
  if (refused) return refused;
  const urls = collectionUrls(context);
  const skipToken = [...context.query.entries()].find(([key]) => key.toLowerCase() === "$skiptoken")?.[1];
  const offset = itemsOffset(skipToken, context.session.id, urls.collection);
  if (offset === undefined) return graphError(400, "BadRequest", "The $skiptoken is invalid.");
  const items = context.session.bulkRequests ?? [];
  const render = (request: EmulatedBulkRequest): unknown => renderBulkRequest(context.session, request, false);
  return { status: 200, body: relativePage({ ...urls, session: context.session.id, items, offset, pageSize: context.pageSize, render }) };
}

export function getBulkRequest(context: BulkRequestContext, requestId: string): GraphRouteResponse {
  const refused = refuseQueryOptions(context.query, false);
  if (refused) return refused;
  const request = context.session.bulkRequests?.find((r) => r.id.toLowerCase() === requestId.toLowerCase());
  if (!request) return graphError(404, "BulkRestoreArtifactsNotFound", `Bulk restore artifacts request '${requestId}' was not found in this restore session.`);
  return { status: 200, body: { "@odata.context": `${collectionUrls(context).context}/$entity`, ...renderBulkRequest(context.session, request, true) } };
}

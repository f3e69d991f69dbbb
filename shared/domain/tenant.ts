/**
 * Many tenants from one deployment (issue 16): the tenants restorewatch watches, as data. With no
 * tenant recorded, restorewatch watches its home tenant exactly as before (no queue, no rows).
 */

/** A customer tenant recorded by `restorewatch tenant add`. */
export interface WatchedTenant {
  /** The Entra tenant id (a GUID, lower case): also the partition of the tenant's state. */
  readonly tenantId: string;
  /** The operator's label for it ("Contoso", "Fabrikam (EU)"). */
  readonly name: string;
  /** A paused tenant is kept (state, baseline) but not polled until resumed. */
  readonly paused: boolean;
  readonly addedAt: string;
}

/** Where the watched tenants come from (Table Storage in the app; a fixed list in tests). */
export interface TenantSource {
  /** Every recorded tenant, paused ones included, in a stable order (by tenantId). */
  list(): Promise<readonly WatchedTenant[]>;
}

/** The partition (in the state table) that holds the tenant rows: not a tenant id, so no tenant's state can collide with it. */
export const TENANTS_PARTITION = "~tenants";
/** The partition of the deployment's own rows (with many tenants, what was told of its channels): not a tenant id. */
export const DEPLOYMENT_PARTITION = "~deployment";
/** The partition that holds the routes. */
export const ROUTES_PARTITION = "~routes";

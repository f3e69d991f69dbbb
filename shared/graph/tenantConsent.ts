import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import { GraphRequestError, errorMessage } from "../domain/errors";

/**
 * A customer tenant's consent to restorewatch's multi-tenant app registration (identity-and-tenants.md
 * §3): the admin-consent URL, and the token-endpoint errors that mean consent is missing or withdrawn.
 */

/**
 * The v1 admin-consent URL on the configured cloud's authority host. It consents to every permission
 * the app registration requires (Graph app roles included), so it needs a Privileged Role
 * Administrator or Global Administrator of the customer tenant. No redirect_uri: it must be one the
 * app registration lists, and Entra falls back to the registered one.
 */
export function adminConsentUrl(authorityHost: string, tenantId: string, clientId: string): string {
  return `${authorityHost.replace(/\/+$/, "")}/${encodeURIComponent(tenantId)}/adminconsent?client_id=${encodeURIComponent(clientId)}`;
}

/**
 * AADSTS codes that mean the app has no usable service principal in the tenant: never consented or
 * consent withdrawn / service principal deleted (7000229), app not found in the directory (700016),
 * no consent grant (65001), service principal disabled (7000112).
 */
const CONSENT_CODES: ReadonlySet<number> = new Set([7000229, 700016, 65001, 7000112]);
const TENANT_NOT_FOUND = 90002;

export interface TokenFailure {
  /** The first AADSTS code, when Entra gave one. */
  readonly aadsts?: number;
  /** The OAuth `error` (invalid_client, unauthorized_client, ...). */
  readonly oauthError?: string;
}

/** What Entra's token endpoint said, from an @azure/identity error (MSAL's ServerError is its cause: errorNo, errorCode), else from the message. */
export function readTokenFailure(error: unknown): TokenFailure {
  let aadsts: number | undefined;
  let oauthError: string | undefined;
  for (let current: unknown = error, depth = 0; current !== undefined && current !== null && depth < 6; depth++) {
    const fields = current as { errorNo?: unknown; errorCode?: unknown; cause?: unknown };
    const number = typeof fields.errorNo === "number" ? fields.errorNo : typeof fields.errorNo === "string" ? Number(fields.errorNo) : NaN;
    if (aadsts === undefined && Number.isInteger(number) && number > 0) aadsts = number;
    if (oauthError === undefined && typeof fields.errorCode === "string" && /^[a-z_]+$/.test(fields.errorCode)) oauthError = fields.errorCode;
    current = fields.cause;
  }
  const message = errorMessage(error);
  aadsts ??= Number(/AADSTS(\d+)/.exec(message)?.[1] ?? NaN) || undefined;
  oauthError ??= /\b(invalid_client|unauthorized_client|invalid_request|invalid_tenant)\b/.exec(message)?.[1];
  return { ...(aadsts !== undefined && { aadsts }), ...(oauthError !== undefined && { oauthError }) };
}

/** The failure means the tenant has not consented (or no longer does), rather than a fault of ours or Entra's. */
export function isConsentFailure(failure: TokenFailure): boolean {
  if (failure.aadsts !== undefined) return CONSENT_CODES.has(failure.aadsts);
  return failure.oauthError === "unauthorized_client";
}

/**
 * No token for a customer tenant because it has not consented to the app registration, or withdrew
 * consent (or the tenant id is not a tenant of this cloud). Thrown in place of the credential's
 * error, so a run's failure and the health notice say what to do.
 */
export class TenantConsentError extends GraphRequestError {
  readonly fix: string;
  constructor(
    readonly tenantId: string,
    readonly consentUrl: string,
    readonly failure: TokenFailure,
    readonly tenantLabel: string | undefined,
    options?: { cause?: unknown },
  ) {
    const who = tenantLabel ? `${tenantLabel} (${tenantId})` : tenantId;
    const code = failure.aadsts !== undefined ? `AADSTS${failure.aadsts}` : (failure.oauthError ?? "token refused");
    const notFound = failure.aadsts === TENANT_NOT_FOUND;
    super(
      notFound
        ? `tenant ${who} was not found by Microsoft Entra ID (${code}): the tenant id is wrong or belongs to another cloud`
        : `admin consent not given yet, or withdrawn, in tenant ${who}: restorewatch's app registration has no service principal there (${code}); open ${consentUrl}`,
      401,
      "ConsentRequired",
      consentUrl,
      options,
    );
    this.name = "TenantConsentError";
    this.fix = notFound
      ? `Check the tenant id (restorewatch tenant list); remove a wrong one with restorewatch tenant remove ${tenantId}.`
      : `A Privileged Role Administrator or Global Administrator of tenant ${who} opens ${consentUrl} and accepts (it grants BackupRestore-Restore.Read.All to restorewatch's app registration there). If the tenant is no longer a customer: restorewatch tenant remove ${tenantId} (or tenant pause ${tenantId}).`;
  }
}

/**
 * The credential of one customer tenant, whose consent failures become a TenantConsentError (naming
 * the tenant and the consent URL); any other error passes through unchanged.
 */
export function withConsentDiagnosis(credential: TokenCredential, tenant: { tenantId: string; consentUrl: string; label?: string }): TokenCredential {
  return {
    async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
      try {
        return await credential.getToken(scopes, options);
      } catch (error) {
        const failure = readTokenFailure(error);
        if (isConsentFailure(failure) || failure.aadsts === TENANT_NOT_FOUND) throw new TenantConsentError(tenant.tenantId, tenant.consentUrl, failure, tenant.label, { cause: error });
        throw error;
      }
    },
  };
}

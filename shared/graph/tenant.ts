import type { TokenCredential } from "@azure/core-auth";
import { GraphRequestError, errorMessage } from "../domain/errors";
import { GRAPH_SCOPE, readTenantClaim } from "./graphClient";

/**
 * The tenant whose restore sessions these are, which is also their state partition: GRAPH_TENANT_ID
 * when set, else the tenant the credential signs in to (the `tid` claim of its Graph token, from the
 * credential's cache when it has one). The one place the function, the CLI and the tests learn it.
 */
export async function resolveTenantId(configured: string | undefined, credential: TokenCredential, scope: string = GRAPH_SCOPE): Promise<string> {
  if (configured !== undefined) return configured;
  let token;
  try {
    token = await credential.getToken(scope);
  } catch (error) {
    throw new GraphRequestError(`could not get a token for Microsoft Graph to learn the tenant id (or set GRAPH_TENANT_ID): ${errorMessage(error)}`, undefined, "CredentialUnavailable", scope, { cause: error });
  }
  const tenantId = token ? readTenantClaim(token.token) : undefined;
  if (!tenantId) throw new GraphRequestError("the Graph token has no 'tid' claim; set GRAPH_TENANT_ID", undefined, "NoTenant", scope);
  return tenantId;
}

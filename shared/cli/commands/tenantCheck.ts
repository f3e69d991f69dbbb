import { readGraphConfig, readIdentityConfig } from "../../config/config";
import { readEmulatorOrigins } from "../../config/emulatorOrigins";
import { RESTORE_READ_PERMISSION } from "../../domain/permissions";
import type { WatchedTenant } from "../../domain/tenant";
import { errorMessage } from "../../domain/errors";
import { createGraphApi, type GraphApi } from "../../graph/graphClient";
import { RestoreAccessDeniedError } from "../../graph/restoreAccessDenied";
import { TenantConsentError, adminConsentUrl, withConsentDiagnosis } from "../../graph/tenantConsent";
import { createAppCredential, createGraphCredential } from "../../identity/credentials";
import type { CliIo } from "./command";
import { EXIT, exitCodeFor } from "./exitCodes";

/** How restorewatch reaches one customer tenant's Graph: the multi-tenant app registration signed in there. */
export interface TenantGraph {
  readonly consentUrl: string;
  readonly graph: GraphApi;
}

/**
 * The customer tenant's Graph, from the Graph identity settings (GRAPH_CLIENT_ID, GRAPH_TENANT_ID,
 * AZURE_CLIENT_ID, AZURE_AUTHORITY_HOST) and GRAPH_ENDPOINT. In managed-identity mode this throws the
 * ConfigError naming GRAPH_CLIENT_ID: a managed identity signs in to its own tenant only. Nothing is
 * asked of Entra or Graph yet.
 */
export function tenantGraph(io: CliIo, tenant: Pick<WatchedTenant, "tenantId"> & { name?: string }): TenantGraph {
  const identity = readIdentityConfig(io.env);
  const emulatorOrigins = readEmulatorOrigins(io.processEnv ?? {});
  const credential = createGraphCredential(identity, tenant.tenantId, { managedIdentity: io.credential ?? createAppCredential(identity.clientId), emulatorOrigins });
  if (identity.mode !== "appRegistration") throw new Error("unreachable: createGraphCredential refuses a tenant in managed-identity mode");
  const settings = readGraphConfig(io.env);
  const consentUrl = adminConsentUrl(identity.authority.host, tenant.tenantId, identity.graphClientId);
  const graph = createGraphApi({
    endpoint: settings.endpoint,
    emulatorOrigins,
    credential: withConsentDiagnosis(credential, { tenantId: tenant.tenantId, consentUrl, ...(tenant.name !== undefined && { label: tenant.name }) }),
    principalKind: "appRegistration",
    // One attempt: this is a check an operator waits for, not a run.
    maxRetries: 0,
    timeoutInMs: settings.timeoutInMs,
    counters: { requests: 0, bytesRead: 0, throttled: 0 },
  });
  return { consentUrl, graph };
}

/**
 * Checks that restorewatch can read the tenant's restore sessions: one GET of restoreSessions with
 * $top=1, as the app registration in that tenant. Prints what is missing (consent, or the permission)
 * and returns the exit code: 0 verified, else the code of the failure (3 for consent or permission).
 */
export async function verifyTenant(io: CliIo, tenant: Pick<WatchedTenant, "tenantId" | "name">, target: TenantGraph): Promise<number> {
  const who = `${tenant.name} (${tenant.tenantId})`;
  try {
    await target.graph.get("/solutions/backupRestore/restoreSessions?$top=1");
    io.out(`verified: restorewatch can read the restore sessions of ${who}`);
    return EXIT.ok;
  } catch (error) {
    io.err(`not verified: ${whyNot(error, target.consentUrl)}`);
    return exitCodeFor(error);
  }
}

function whyNot(error: unknown, consentUrl: string): string {
  if (error instanceof TenantConsentError) return `${error.message}. ${error.fix}`;
  if (error instanceof RestoreAccessDeniedError) {
    // Signed in, but without the permission: in a customer tenant it comes with admin consent.
    return (
      `the permission ${RESTORE_READ_PERMISSION} is missing: ${error.refusal.replace(/[.\s]+$/, "")}. In a customer tenant it comes with admin consent: ` +
      `the app registration must list ${RESTORE_READ_PERMISSION} (Microsoft Graph, application) under its API permissions, then a Privileged Role Administrator of the tenant opens ${consentUrl} again. ` +
      `If it already has the permission: ${error.fix}`
    );
  }
  if (isNoManagedIdentityHere(error)) {
    return (
      `this machine has no managed identity to sign in with: the app registration's only credential is the deployment's managed identity, ` +
      `so the check can only run where that identity is. The tenant's first poll in Azure is the check: restorewatch tenant list shows its last run and outcome`
    );
  }
  return errorMessage(error);
}

/** @azure/identity's CredentialUnavailableError (by name: it may come wrapped), as a workstation gives for a managed identity. */
function isNoManagedIdentityHere(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) if (e.name === "CredentialUnavailableError") return true;
  return false;
}

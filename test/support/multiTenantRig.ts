import { randomUUID } from "node:crypto";
import type { TokenCredential } from "@azure/core-auth";
import { EntraEmulator } from "../../local/emulators/entraEmulator";
import { GraphEmulator } from "../../local/emulators/graph/graphEmulator";
import { loadTestTls } from "../../local/emulators/tls";
import { TOKEN_EXCHANGE_APP_ID, TOKEN_EXCHANGE_AUDIENCE, TokenIssuer, entraIssuer } from "../../local/emulators/tokens";
import type { AzuriteTable } from "../../local/emulators/azurite";

export const READ_ROLE = "BackupRestore-Restore.Read.All";

/**
 * An MSP's set-up for the many-tenants tests: in the home tenant a multi-tenant app registration
 * whose federated credential trusts the managed identity (Entra emulator), a Graph emulator serving
 * each tenant's own sessions by the token's tid, and Azurite. One issuer signs the identity's
 * assertions and Entra's tokens, and Graph trusts it. The managed identity's assertion comes from
 * `managedIdentity` (the MI endpoint's token, as graphIdentityModes.test.ts exercises it end to end);
 * everything after it is the real ClientAssertionCredential talking to the Entra emulator.
 */
export interface MultiTenantRig {
  readonly issuer: TokenIssuer;
  readonly entra: EntraEmulator;
  readonly graph: GraphEmulator;
  readonly homeTenantId: string;
  readonly appId: string;
  readonly miClientId: string;
  readonly miObjectId: string;
  /** The managed identity's token-exchange assertion source (createPollDeps' `credential`, the CLI's io.credential). */
  readonly managedIdentity: TokenCredential;
  /** A customer tenant in Entra; consented (service principal with `roles`) unless roles is null. */
  addCustomer(roles?: string[] | null): string;
  /** The app settings of the MSP's deployment (app-registration mode), on a table of its own. */
  settings(extra?: Record<string, string>): Record<string, string>;
  /** The process environment's emulator opt-in (RESTOREWATCH_EMULATOR_ORIGINS). */
  readonly processEnv: Record<string, string>;
  readonly emulatorOrigins: readonly string[];
  stop(): Promise<void>;
}

export async function startMultiTenantRig(azurite: AzuriteTable, options: { tokenLifetimeInSeconds?: number } = {}): Promise<MultiTenantRig> {
  const issuer = new TokenIssuer();
  const tls = loadTestTls();
  const homeTenantId = randomUUID();
  const appId = randomUUID();
  const miClientId = randomUUID();
  const miObjectId = randomUUID();
  const entra = await EntraEmulator.start({ tls, assertionIssuer: issuer, tokenIssuer: issuer, ...(options.tokenLifetimeInSeconds !== undefined && { tokenLifetimeInSeconds: options.tokenLifetimeInSeconds }) });
  const graph = await GraphEmulator.start({ tls, issuer });
  entra.registerApp({ appId, homeTenantId, multiTenant: true });
  entra.provision(appId, homeTenantId, { roles: [READ_ROLE] });
  entra.addFederatedCredential(appId, { name: "restorewatch-uami", issuer: entraIssuer(homeTenantId), subject: miObjectId, audiences: [TOKEN_EXCHANGE_AUDIENCE] });
  const managedIdentity = issuer.credential({ audience: TOKEN_EXCHANGE_APP_ID, tenantId: homeTenantId, objectId: miObjectId, appId: miClientId, issuerUrl: entraIssuer(homeTenantId), subject: miObjectId });
  const emulatorOrigins = [graph.url, entra.url];
  const table = `rw${randomUUID().replace(/-/g, "").slice(0, 20)}`;
  return {
    issuer,
    entra,
    graph,
    homeTenantId,
    appId,
    miClientId,
    miObjectId,
    managedIdentity,
    emulatorOrigins,
    processEnv: { RESTOREWATCH_EMULATOR_ORIGINS: emulatorOrigins.join(",") },
    addCustomer(roles = [READ_ROLE]) {
      const tenantId = randomUUID();
      entra.addTenant(tenantId);
      if (roles !== null) entra.provision(appId, tenantId, { roles });
      return tenantId;
    },
    settings: (extra = {}) => ({
      AzureWebJobsStorage: azurite.connectionString,
      STATE_TABLE: table,
      GRAPH_ENDPOINT: graph.url,
      GRAPH_CLIENT_ID: appId,
      GRAPH_TENANT_ID: homeTenantId,
      AZURE_CLIENT_ID: miClientId,
      AZURE_AUTHORITY_HOST: entra.url,
      GRAPH_MAX_RETRIES: "0",
      ...extra,
    }),
    async stop() {
      await Promise.all([entra.stop(), graph.stop()]);
    },
  };
}

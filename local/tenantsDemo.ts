import { TableClient } from "@azure/data-tables";
import { runCli } from "../shared/cli/main";
import { validateRoute } from "../shared/domain/route";
import { TENANTS_PARTITION } from "../shared/domain/tenant";
import { RouteStore } from "../shared/state/routeStore";
import { newTableCounters } from "../shared/state/tableClient";
import { TenantStore } from "../shared/state/tenantStore";
import type { AzuriteTable } from "./emulators/azurite";
import { EntraEmulator } from "./emulators/entraEmulator";
import type { EmulatedSession, EmulatedWorkload, GraphEmulator } from "./emulators/graph/graphEmulator";
import { KeyVaultEmulator } from "./emulators/keyVaultEmulator";
import type { ManagedIdentityEndpoint } from "./emulators/managedIdentityEndpoint";
import { TeamsReceiver } from "./emulators/teamsReceiver";
import { TEST_TENANT_ID, TOKEN_EXCHANGE_AUDIENCE, entraIssuer, type TokenIssuer } from "./emulators/tokens";
import { simulatedCustomers, type SimulatedCustomer, type TickResult } from "./simulatedTenant";

/**
 * `npm start -- --tenants <n>`: an MSP's deployment on one machine. The app signs in to Graph as a
 * multi-tenant app registration whose federated credential trusts the managed identity (the local
 * Entra token endpoint emulator), n customer tenants are recorded (as `restorewatch tenant add` records
 * them), each with its own simulated restore sessions, and one route sends Exchange alerts to the
 * Exchange team (its email and its own Teams workflow, whose URL is a secret in the Key Vault
 * emulator); the default route (ALERT_EMAIL_TO, TEAMS_WEBHOOK_URL) takes the rest. The timer fans
 * out one queue message per tenant on Azurite's queue service; pollTenant polls each.
 */

/** Its own state table: a single-tenant `npm start` on the same data dir finds no tenant recorded and stays single-tenant. */
export const TENANTS_DEMO_STATE_TABLE = "restorewatchtenants";
export const EXCHANGE_TEAM_ROUTE = "exchange-team";
export const EXCHANGE_TEAM_EMAIL = "exchange-team@contoso.com";
/** The Key Vault secret holding the Exchange team's Teams workflow URL (a route names the secret, never the URL). */
export const EXCHANGE_TEAM_SECRET = "exchange-team-teams-webhook";
export const EXCHANGE_TEAM_WORKLOAD: EmulatedWorkload = "exchange";

const GRAPH_ROLES = ["BackupRestore-Restore.Read.All", "User.Read.All"];

export interface TenantsDemoInput {
  readonly count: number;
  readonly seed: number;
  readonly tls: { readonly cert: string; readonly key: string };
  /** Signs the managed identity's assertions and every emulator's tokens. */
  readonly issuer: TokenIssuer;
  readonly graph: GraphEmulator;
  /** The app's user-assigned identity (its home tenant is TEST_TENANT_ID): the subject the app registration trusts. */
  readonly identity: ManagedIdentityEndpoint;
  readonly azurite: AzuriteTable;
}

export interface TenantsDemo {
  readonly customers: readonly SimulatedCustomer[];
  readonly appId: string;
  readonly entra: EntraEmulator;
  readonly vault: KeyVaultEmulator;
  /** The Exchange team's own Teams workflow (the route's webhook). */
  readonly exchangeTeams: TeamsReceiver;
  /** App settings added to (and overriding) the single-tenant run's. */
  readonly settings: Readonly<Record<string, string>>;
  /** Origins to add to RESTOREWATCH_EMULATOR_ORIGINS. */
  readonly emulatorOrigins: readonly string[];
  /** Every customer's sessions, with its tenant. */
  sessions(): { readonly tenantId: string; readonly session: EmulatedSession }[];
  /** Moves each customer's sessions on one step. */
  tick(): { readonly customer: SimulatedCustomer; readonly result: TickResult }[];
  stop(): Promise<void>;
}

export async function startTenantsDemo(input: TenantsDemoInput): Promise<TenantsDemo> {
  const entra = await EntraEmulator.start({ tls: input.tls, assertionIssuer: input.issuer, tokenIssuer: input.issuer });
  const vault = await KeyVaultEmulator.start({ tls: input.tls, issuer: input.issuer });
  const exchangeTeams = await TeamsReceiver.start({ tls: input.tls });
  const stop = async (): Promise<void> => {
    await Promise.all([entra.stop(), vault.stop(), exchangeTeams.stop()]);
  };
  try {
    // The multi-tenant app registration in the MSP's (home) tenant, trusting the managed identity.
    const { appId } = entra.registerApp({ homeTenantId: TEST_TENANT_ID, multiTenant: true });
    entra.addFederatedCredential(appId, { name: "restorewatch-uami", issuer: entraIssuer(TEST_TENANT_ID), subject: input.identity.objectId, audiences: [TOKEN_EXCHANGE_AUDIENCE] });
    entra.provision(appId, TEST_TENANT_ID, { roles: GRAPH_ROLES });
    const customers = simulatedCustomers(input.graph, input.count, { seed: input.seed });
    for (const customer of customers) {
      entra.addTenant(customer.tenantId);
      entra.provision(appId, customer.tenantId, { roles: GRAPH_ROLES }); // the customer's admin consent
      customer.tenant.seed();
    }
    vault.setSecret(EXCHANGE_TEAM_SECRET, exchangeTeams.url);
    const table = TableClient.fromConnectionString(input.azurite.connectionString, TENANTS_DEMO_STATE_TABLE, { allowInsecureConnection: true });
    await table.createTable();
    await recordTenants(table, customers);
    await recordExchangeRoute(table);
    return {
      customers,
      appId,
      entra,
      vault,
      exchangeTeams,
      settings: { STATE_TABLE: TENANTS_DEMO_STATE_TABLE, GRAPH_CLIENT_ID: appId, GRAPH_TENANT_ID: TEST_TENANT_ID, AZURE_AUTHORITY_HOST: entra.url, KEY_VAULT_URI: vault.uri },
      emulatorOrigins: [entra.url, vault.uri],
      sessions: () => customers.flatMap((c) => input.graph.tenant(c.tenantId).sessions().map((session) => ({ tenantId: c.tenantId, session }))),
      tick: () => customers.map((customer) => ({ customer, result: customer.tenant.tick() })),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Records the customers as `restorewatch tenant add` does (TenantStore.add), and forgets tenants of an
 * earlier start with more of them, so the same data dir can be started with another --tenants.
 */
async function recordTenants(table: TableClient, customers: readonly SimulatedCustomer[]): Promise<void> {
  const store = new TenantStore(table);
  const wanted = new Set(customers.map((c) => c.tenantId));
  const recorded = await store.list();
  for (const tenant of recorded) if (!wanted.has(tenant.tenantId)) await store.remove(tenant.tenantId);
  for (const customer of customers) {
    if (recorded.some((t) => t.tenantId === customer.tenantId)) await table.updateEntity({ partitionKey: TENANTS_PARTITION, rowKey: customer.tenantId, paused: false }, "Merge");
    else await store.add({ tenantId: customer.tenantId, name: customer.name });
  }
}

/** `restorewatch route add --name exchange-team --workload exchange --email ... --teams-secret ...`, replacing an earlier start's. */
async function recordExchangeRoute(table: TableClient): Promise<void> {
  const routes = new RouteStore(table, newTableCounters());
  await routes.remove(EXCHANGE_TEAM_ROUTE);
  await routes.add(validateRoute({ name: EXCHANGE_TEAM_ROUTE, order: 10, workloads: [EXCHANGE_TEAM_WORKLOAD], emailTo: [EXCHANGE_TEAM_EMAIL], teamsSecret: EXCHANGE_TEAM_SECRET }));
}

/** What `restorewatch tenant list` and `restorewatch route list` print for this deployment (they read the state table only). */
export async function describeTenantsDemo(settings: Readonly<Record<string, string>>, print: (line: string) => void): Promise<void> {
  const lines: string[] = [];
  const io = { out: (line: string) => lines.push(line), err: (line: string) => lines.push(line), env: settings };
  for (const command of [["tenant", "list"], ["route", "list"]]) {
    lines.length = 0;
    const code = await runCli(command, io);
    if (code !== 0) throw new Error(`restorewatch ${command.join(" ")} failed (exit ${code}): ${lines.join(" | ")}`);
    print(`$ restorewatch ${command.join(" ")}`);
    for (const line of lines) print(`  ${line}`);
  }
  print(`  (default route) everything else: email ${settings["ALERT_EMAIL_TO"] ?? "-"}; teams: TEAMS_WEBHOOK_URL`);
}

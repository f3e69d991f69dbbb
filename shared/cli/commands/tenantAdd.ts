import { TenantError, normalizeTenantId, normalizeTenantName } from "../../state/tenantStore";
import type { CliCommand } from "./command";
import { UsageError } from "./exitCodes";
import { openTenants } from "./tenantAccess";
import { tenantGraph, verifyTenant } from "./tenantCheck";

export const tenantAddCommand: CliCommand = {
  name: "tenant add",
  usage: "tenant add <tenantId> --name <label>",
  summary: "watch a customer tenant: record it, print its admin-consent URL, check access",
  help: `Records a customer tenant (its Microsoft Entra tenant id, a GUID) with your label for it, prints the
admin-consent URL of restorewatch's multi-tenant app registration for that tenant, then checks that
restorewatch can read the tenant's restore sessions (one request, as the app registration signed in
to that tenant). No secret is stored: the tenant's tokens come from the app registration, whose
credential is the managed identity.

A tenant that cannot be checked yet (consent usually comes after) is still recorded, and the command
says what is missing (admin consent, or the permission BackupRestore-Restore.Read.All) and exits 3;
its runs fail, and a health notice names it, until that is fixed. Check again with
restorewatch tenant verify <tenantId>. A bad id or a tenant already recorded is refused and nothing
is written.

  --name <label>  how alerts and notices name the tenant, e.g. "Contoso"

Settings: the state storage (AzureWebJobsStorage or STATE_STORAGE, STATE_TABLE); the Graph identity
(GRAPH_CLIENT_ID, the multi-tenant app registration, with GRAPH_TENANT_ID and AZURE_CLIENT_ID;
AZURE_AUTHORITY_HOST for a national cloud) and GRAPH_ENDPOINT. A managed identity alone cannot sign
in to another tenant: without GRAPH_CLIENT_ID the command is refused.`,
  options: { name: { type: "string" } },
  positionals: 1,
  async run({ values, positionals }, io) {
    let tenant: { tenantId: string; name: string };
    try {
      tenant = { tenantId: normalizeTenantId(positionals[0] ?? ""), name: normalizeTenantName((values["name"] as string | undefined) ?? "") };
    } catch (error) {
      if (error instanceof TenantError) throw new UsageError(`${error.message} (usage: restorewatch ${tenantAddCommand.usage})`);
      throw error;
    }
    // Settings first (a managed identity is refused here), so nothing is recorded that cannot be watched.
    const target = tenantGraph(io, tenant);
    const { tenants } = await openTenants(io);
    await tenants.add(tenant, io.now?.() ?? new Date());
    io.out(`recorded tenant ${tenant.name} (${tenant.tenantId}); it is polled from the next run`);
    io.out(`admin consent (a Privileged Role Administrator or Global Administrator of that tenant opens it and accepts):`);
    io.out(`  ${target.consentUrl}`);
    const code = await verifyTenant(io, tenant, target);
    if (code !== 0) io.err(`the tenant stays recorded: once that is fixed, check with restorewatch tenant verify ${tenant.tenantId}`);
    return code;
  },
};

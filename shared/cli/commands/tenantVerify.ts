import { TenantError } from "../../state/tenantStore";
import type { CliCommand } from "./command";
import { openTenants } from "./tenantAccess";
import { tenantGraph, verifyTenant } from "./tenantCheck";

export const tenantVerifyCommand: CliCommand = {
  name: "tenant verify",
  usage: "tenant verify <tenantId>",
  summary: "check that restorewatch can read a recorded tenant's restore sessions",
  help: `Checks a recorded tenant as tenant add does: one request for its restore sessions, as the
multi-tenant app registration signed in to that tenant. Says what is missing (admin consent, with its
URL, or the permission BackupRestore-Restore.Read.All) and exits 3 if it cannot read them.

Settings: as for tenant add.`,
  options: {},
  positionals: 1,
  async run({ positionals }, io) {
    const { tenants } = await openTenants(io);
    const tenant = await tenants.get(positionals[0] ?? "");
    if (!tenant) throw new TenantError(`no tenant ${positionals[0] ?? ""} is recorded (restorewatch tenant list shows the tenants)`, "unknown");
    return verifyTenant(io, tenant, tenantGraph(io, tenant));
  },
};

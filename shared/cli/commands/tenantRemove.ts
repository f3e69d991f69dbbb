import type { CliCommand } from "./command";
import { EXIT } from "./exitCodes";
import { openTenants } from "./tenantAccess";

export const tenantRemoveCommand: CliCommand = {
  name: "tenant remove",
  usage: "tenant remove <tenantId>",
  summary: "stop watching a customer tenant",
  help: `Removes a tenant from the watched tenants: it is no longer polled and its health is no longer
watched. Its state (baseline, alert records, undelivered alerts) is kept in the state table: a tenant
removed by mistake and added again carries on where it was, without a new baseline or alerts sent
twice. To stop it for a while, tenant pause is the lighter tool.

Settings: the state storage (AzureWebJobsStorage or STATE_STORAGE, STATE_TABLE; AZURE_CLIENT_ID for
identity-based storage).`,
  options: {},
  positionals: 1,
  async run({ positionals }, io) {
    const { tenants } = await openTenants(io);
    const removed = await tenants.remove(positionals[0] ?? "");
    io.out(`removed tenant ${removed.name} (${removed.tenantId}): no longer polled; its state is kept`);
    return EXIT.ok;
  },
};

import type { CliCommand } from "./command";
import { EXIT } from "./exitCodes";
import { openTenants } from "./tenantAccess";

export const tenantPauseCommand: CliCommand = {
  name: "tenant pause",
  usage: "tenant pause <tenantId>",
  summary: "stop polling a tenant for a while, keeping its state",
  help: `Pauses a recorded tenant: it is not polled (so nothing is alerted for it) until tenant resume. Its
state and baseline are kept, so on resume failures that happened meanwhile are alerted as usual.

Settings: the state storage (AzureWebJobsStorage or STATE_STORAGE, STATE_TABLE; AZURE_CLIENT_ID for
identity-based storage).`,
  options: {},
  positionals: 1,
  async run({ positionals }, io) {
    const { tenants } = await openTenants(io);
    const tenant = await tenants.setPaused(positionals[0] ?? "", true);
    io.out(`tenant ${tenant.name} (${tenant.tenantId}) paused: not polled until restorewatch tenant resume ${tenant.tenantId}`);
    return EXIT.ok;
  },
};

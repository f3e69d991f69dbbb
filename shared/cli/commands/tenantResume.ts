import type { CliCommand } from "./command";
import { EXIT } from "./exitCodes";
import { openTenants } from "./tenantAccess";

export const tenantResumeCommand: CliCommand = {
  name: "tenant resume",
  usage: "tenant resume <tenantId>",
  summary: "poll a paused tenant again",
  help: `Resumes a paused tenant: it is polled again from the next run, from its kept baseline (failures
that happened while it was paused are alerted).

Settings: the state storage (AzureWebJobsStorage or STATE_STORAGE, STATE_TABLE; AZURE_CLIENT_ID for
identity-based storage).`,
  options: {},
  positionals: 1,
  async run({ positionals }, io) {
    const { tenants } = await openTenants(io);
    const tenant = await tenants.setPaused(positionals[0] ?? "", false);
    io.out(`tenant ${tenant.name} (${tenant.tenantId}) resumed: polled from the next run`);
    return EXIT.ok;
  },
};

import { readGraphConfig } from "../../config/config";
import { readEmulatorOrigins } from "../../config/emulatorOrigins";
import { createGraphApi } from "../../graph/graphClient";
import { createOperatorCredential } from "../../identity/credentials";
import type { CliCommand } from "./command";
import { EXIT, UsageError } from "./exitCodes";
import { DEFAULT_GRAPH_APP_ROLE, grantGraphPermission } from "../../graph/appRoleGrant";
import { DIRECTORY_READ_PERMISSIONS } from "../../domain/permissions";

/** What this command grants: the restore permission restorewatch needs, and the optional directory read. */
const GRANTABLE_ROLES: readonly string[] = [DEFAULT_GRAPH_APP_ROLE, ...DIRECTORY_READ_PERMISSIONS];

function grantableRole(value: unknown): string {
  if (value === undefined) return DEFAULT_GRAPH_APP_ROLE;
  const role = typeof value === "string" ? GRANTABLE_ROLES.find((r) => r.toLowerCase() === value.trim().toLowerCase()) : undefined;
  if (!role) throw new UsageError(`--role must be one of ${GRANTABLE_ROLES.join(", ")}`);
  return role;
}

export const grantGraphPermissionCommand: CliCommand = {
  name: "grant-graph-permission",
  usage: "grant-graph-permission --principal-id <objectId> | --app-id <clientId> [--role <permission>]",
  summary: "grant the identity BackupRestore-Restore.Read.All (run as an admin)",
  help: `Grants Microsoft Graph's application permission BackupRestore-Restore.Read.All to the principal
restorewatch signs in to Graph as. Does nothing when the grant exists. Run it once, as a Privileged
Role Administrator. Give exactly one of:

  --principal-id <objectId>   the service principal's object id: the managed identity's principal id
                              (azd output MANAGED_IDENTITY_PRINCIPAL_ID), not its client id
  --app-id <clientId>         an application (client) id whose service principal is looked up:
                              GRAPH_CLIENT_ID when restorewatch signs in as an app registration

and optionally:

  --role <permission>         ${GRANTABLE_ROLES.join(", ")}
                              (default ${DEFAULT_GRAPH_APP_ROLE}). ${DIRECTORY_READ_PERMISSIONS[0]} is optional: with it,
                              alerts name failed mailboxes and OneDrives by their owner
                              (directoryObjects/getByIds); ${DIRECTORY_READ_PERMISSIONS[1]} is the least privilege Graph
                              documents for that call, should your tenant refuse it with ${DIRECTORY_READ_PERMISSIONS[0]}.

Signs in as you: AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET when set, else the Azure CLI
(az login), the Azure Developer CLI or Azure PowerShell. Needs no other setting; GRAPH_ENDPOINT only
in a national cloud. Your token goes to Microsoft Graph of a national cloud and nowhere else: a
GRAPH_ENDPOINT naming any other host is refused (an emulator needs RESTOREWATCH_EMULATOR_ORIGINS in the
process environment; local.settings.json cannot set it).`,
  options: { "principal-id": { type: "string" }, "app-id": { type: "string" }, role: { type: "string" } },
  async run({ values }, io) {
    const principalId = values["principal-id"];
    const appId = values["app-id"];
    const target = typeof principalId === "string" && appId === undefined ? { principalId } : typeof appId === "string" && principalId === undefined ? { appId } : undefined;
    if (!target) throw new UsageError(`give exactly one of --principal-id and --app-id (usage: restorewatch ${grantGraphPermissionCommand.usage})`);
    const role = grantableRole(values["role"]);
    const graphConfig = readGraphConfig(io.env);
    // The operator's own credential (az login, a pipeline's service principal), not the app's identity.
    const credential = io.credential ?? createOperatorCredential();
    // Tokens go to Microsoft Graph only, whatever GRAPH_ENDPOINT a local.settings.json names.
    const emulatorOrigins = readEmulatorOrigins(io.processEnv ?? {});
    const graph = createGraphApi({ endpoint: graphConfig.endpoint, emulatorOrigins, credential, maxRetries: graphConfig.maxRetries, timeoutInMs: graphConfig.timeoutInMs, counters: { requests: 0, bytesRead: 0, throttled: 0 } });
    const result = await grantGraphPermission({ ...target, graph, log: io.out, role });
    io.out(result.assigned ? `assigned (assignment ${result.assignmentId})` : `already assigned (assignment ${result.assignmentId}); nothing to do`);
    return EXIT.ok;
  },
};

import { DefaultAzureCredential } from "@azure/identity";
import type { Alert } from "../alerts/alert";
import { createChannels } from "../channels/createChannels";
import { groupKeyOf } from "../channels/deliver";
import { loadConfig } from "../config/config";
import { createGraphApi } from "../graph/graphClient";
import { createAppCredential } from "../identity";
import { EXIT, UsageError } from "./exitCodes";
import { GRANT_USAGE, grantGraphPermission, parseGrantTarget } from "./grantGraphPermission";
import type { CliIo } from "./main";

/** `test-alert` and `grant-graph-permission`. */
export async function runExtraCommand(verb: "test-alert" | "grant-graph-permission", args: readonly string[], io: CliIo): Promise<number> {
  return verb === "test-alert" ? testAlert(io) : grant(args, io);
}

async function grant(args: readonly string[], io: CliIo): Promise<number> {
  const target = parseGrantTarget(args);
  if (!target) throw new UsageError(GRANT_USAGE);
  const config = loadConfig(io.env, { requireChannel: false });
  // The operator's own credential (az login, environment), not the app's identity.
  const credential = io.credential ?? new DefaultAzureCredential();
  const graph = createGraphApi({ endpoint: config.graph.endpoint, credential, maxRetries: config.graph.maxRetries, timeoutInMs: config.graph.timeoutInMs, counters: { requests: 0, bytesRead: 0, throttled: 0 } });
  const result = await grantGraphPermission({ ...target, graph, log: io.out });
  io.out(result.assigned ? `assigned (assignment ${result.assignmentId})` : `already assigned (assignment ${result.assignmentId}); nothing to do`);
  return EXIT.ok;
}

async function testAlert(io: CliIo): Promise<number> {
  const config = loadConfig(io.env);
  const credential = io.credential ?? createAppCredential(config.identity.clientId);
  const log = { info: io.out, warn: io.err, error: io.err };
  const now = (io.now?.() ?? new Date()).toISOString();
  const sample: Alert = {
    id: `test-${now.replace(/[-:.]/g, "")}`,
    tenantId: config.graph.tenantId ?? "test",
    kind: "status",
    status: "failed",
    recordedAt: now,
    runId: `test-${now}`,
    session: { id: "00000000-0000-0000-0000-000000000000", workload: "sharePoint", status: "failed", createdBy: "restorewatch test-alert", createdDateTime: now, completedDateTime: now, artifactCount: { total: 2, completed: 0, inProgress: 0, failed: 2 } },
    detail: {
      available: true,
      omittedCount: 0,
      failedArtifacts: [
        { id: "sample-1", name: "HR Policies (sample)", errorCode: "ArtifactCannotBeRestored", errorMessage: "This is a test alert from restorewatch.", destinationType: "inPlace" },
        { id: "sample-2", name: "Finance (sample)", errorCode: "InvalidRestoreTime", errorMessage: "This is a test alert from restorewatch.", destinationType: "new" },
      ],
    },
  };
  let failures = 0;
  for (const channel of createChannels(config, credential, log)) {
    const outcome = await channel.send([sample], { groupKey: groupKeyOf(channel.name, [sample]), log: io.out });
    if (outcome.kind !== "delivered") failures++;
    io.out(`${channel.name}: ${outcome.kind === "delivered" ? `delivered${outcome.messageId ? ` (${outcome.messageId})` : ""}` : `${outcome.kind}: ${outcome.error}`}`);
  }
  return failures === 0 ? EXIT.ok : EXIT.failure;
}

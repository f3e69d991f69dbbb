import { TableClient } from "@azure/data-tables";
import { loadConfig } from "../shared/config/config";
import { readEmulatorOrigins } from "../shared/config/emulatorOrigins";
import { errorMessage } from "../shared/domain/errors";
import { createGraphApi } from "../shared/graph/graphClient";
import { fetchFailureDetail } from "../shared/graph/failureDetail";
import { listRestoreSessions } from "../shared/graph/restoreSource";
import type { GraphTrafficCounters } from "../shared/graph/retryMiddleware";
import { createAppCredential } from "../shared/identity/credentials";
import { isRestError } from "../shared/state/tableClient";

/**
 * The naive design, written for the benchmark only: for every listed session, read its row and write
 * it back (one read and one write per session), and fetch the artifacts of every terminal session.
 * Same Graph client and table as restorewatch; run in its own process like perf/measuredPoll.ts.
 *
 * It is given every advantage that does not change what it asks for: the sessions of a page are
 * handled concurrently (so added latency costs it a few round trips a page, not one per request), and
 * each session is a partition of its own, the key layout a per-session design would pick, which also
 * spares it Azurite's scan of a large partition on every write.
 */
const TERMINAL = new Set(["completed", "completedWithError", "failed"]);
const ROW = "state";

async function main(): Promise<void> {
  const config = loadConfig(process.env, { requireChannel: false });
  if (config.state.connection.kind !== "connectionString") throw new Error("the naive bench needs a connection string");
  const graphCounters: GraphTrafficCounters = { requests: 0, bytesRead: 0, throttled: 0 };
  const graph = createGraphApi({ endpoint: config.graph.endpoint, emulatorOrigins: readEmulatorOrigins(process.env), credential: createAppCredential(config.identity.clientId), maxRetries: 4, timeoutInMs: 30_000, counters: graphCounters });
  const table = TableClient.fromConnectionString(config.state.connection.connectionString, config.state.tableName, { allowInsecureConnection: true });
  await table.createTable().catch((error: unknown) => {
    if (!isRestError(error, 409)) throw error;
  });
  const counters = { queryPages: 0, transactions: 0, pointOperations: 0 };
  const started = process.hrtime.bigint();
  let sessions = 0;
  let alerts = 0;
  for await (const page of listRestoreSessions(graph)) {
    await Promise.all(
      page.sessions.map(async (session) => {
        sessions++;
        let previous: string | undefined;
        counters.pointOperations++;
        try {
          previous = String((await table.getEntity<{ status: string }>(session.id, ROW)).status);
        } catch (error) {
          if (!isRestError(error, 404)) throw error;
        }
        if (TERMINAL.has(session.status)) await fetchFailureDetail(graph, session);
        if (previous !== session.status && (session.status === "failed" || session.status === "completedWithError")) alerts++;
        counters.pointOperations++;
        await table.upsertEntity({ partitionKey: session.id, rowKey: ROW, status: session.status }, "Replace");
      }),
    );
  }
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  console.log(JSON.stringify({ summary: { sessionsSeen: sessions, alertsRecorded: alerts }, graph: graphCounters, table: counters, wallMs, maxRssBytes: process.resourceUsage().maxRSS * 1024 }));
}

main().catch((error: unknown) => {
  console.error(`naive poll failed: ${errorMessage(error)}`);
  process.exit(1);
});

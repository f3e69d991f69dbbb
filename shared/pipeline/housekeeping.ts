import { Outbox } from "../state/outbox";
import { RunMetaStore, type RunMeta } from "../state/runMeta";
import type { Stage } from "./pollDeps";

const PRUNE_INTERVAL_IN_MS = 24 * 3_600_000;

/**
 * Housekeeping: once a day, delete the finished alert records older than STATE_RETENTION_DAYS, and
 * note when in the meta row. Returns the meta row as it now stands.
 */
export const housekeeping: Stage<RunMeta, RunMeta> = async (deps, run, meta) => {
  if (meta.lastPrunedAt && run.now.getTime() - Date.parse(meta.lastPrunedAt) < PRUNE_INTERVAL_IN_MS) return meta;
  const pruned = await new Outbox(deps.table, run.tenantId, deps.tableCounters, run.deadline).pruneFinished(new Date(run.now.getTime() - deps.config.state.retentionInMs));
  if (pruned > 0) run.log.info(`pruned ${pruned} finished alert record(s) older than the retention period`);
  const latest = { ...meta, lastPrunedAt: run.now.toISOString() };
  await new RunMetaStore(deps.table, run.tenantId, deps.tableCounters, run.deadline).write(latest);
  return latest;
};

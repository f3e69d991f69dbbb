import type { SessionChange } from "../domain/sessionChange";
import type { StoredSessionRecord } from "../domain/sessionRecord";
import { listRestoreSessions, type SessionPage } from "../graph/restoreSource";
import { RunMetaStore, type RunMeta } from "../state/runMeta";
import { StateStore } from "../state/stateStore";
import { ensureTable } from "../state/tableClient";
import { detectSessionChange, type DetectRules } from "./detect";
import { ignoreMissingTable, type PollDeps, type Stage, type TenantRun } from "./pollDeps";

/** What the listing showed, compared with what was stored. */
export interface Observation {
  /** The run meta row as read (the bookkeeping of earlier runs). */
  readonly meta: RunMeta;
  /** The first run of this tenant: a baseline is recorded, only what completed after ALERT_BASELINE_SINCE alerts. */
  readonly baseline: boolean;
  /** Sessions whose stored record changes, with the alerts each raises. */
  readonly changes: readonly SessionChange[];
  /** Stored sessions Graph no longer lists. */
  readonly gone: readonly StoredSessionRecord[];
  readonly sessionsSeen: number;
  readonly skipped: number;
}

/**
 * Observe: read the stored state, list every page of restore sessions and compare each session with
 * its record (detect is pure). Nothing is written here; a listing that fails leaves no trace.
 */
export const observe: Stage<void, Observation> = async (deps, run) => {
  const { tenantId, deadline } = run;
  if (!run.dryRun) await ensureTable(deps.table, deadline);
  const { meta } = await new RunMetaStore(deps.table, tenantId, deps.tableCounters, deadline).read().catch(ignoreMissingTable<{ meta: RunMeta }>(run, { meta: { consecutiveFailures: 0 } }));
  const stored = await new StateStore(deps.table, tenantId, deps.tableCounters, deadline).readSessions().catch(ignoreMissingTable(run, new Map<string, StoredSessionRecord>()));
  const baseline = meta.baselineAt === undefined;
  const rules = detectRules(deps, run, baseline);

  const changes: SessionChange[] = [];
  const seen = new Set<string>();
  let sessionsSeen = 0;
  let skipped = 0;
  let unidentifiedSkips = 0;
  const handlePage = (page: SessionPage): void => {
    const unreadable = new Map(page.unreadable.map((item) => [item.id, item.fields]));
    for (const session of page.sessions) {
      sessionsSeen++;
      seen.add(session.id);
      const change = detectSessionChange(session, stored.get(session.id), rules);
      // Said when the session changes, not on every run it is listed.
      const fields = change && unreadable.get(session.id);
      if (fields) run.log.warn(`restore session ${session.id}: ${fields.join(", ")} could not be read; shown as unknown`);
      // Until the whole listing is in, a change that raises no alert needs only its record, not the
      // parsed session (a baseline of 100,000 sessions keeps 100,000 of them).
      if (change) changes.push(change.alerts.length > 0 ? change : { ...change, session: { id: session.id, workload: session.workload, status: session.status } });
    }
    for (const item of page.skipped) {
      skipped++;
      if (item.id === undefined) unidentifiedSkips++;
      else seen.add(item.id);
      run.log.warn(`skipped restore session ${item.id ?? "(no id)"}: ${item.reason}; its stored state is left as it was`);
    }
  };
  for await (const page of listRestoreSessions(deps.graph, { abortSignal: deadline })) handlePage(page);

  // Sessions Graph no longer lists are forgotten, unless an unreadable item might have been one of them.
  const gone = unidentifiedSkips > 0 ? [] : [...stored.values()].filter((s) => !seen.has(s.record.id));
  return { meta, baseline, changes, gone, sessionsSeen, skipped };
};

function detectRules(deps: PollDeps, run: TenantRun, baseline: boolean): DetectRules {
  const { alerting } = deps.config;
  return {
    alertOn: alerting.onStatuses,
    now: run.now,
    baseline,
    ...(alerting.baselineSince && { baselineSince: alerting.baselineSince }),
    ...(alerting.stuckAfterInMs !== undefined && { stuckAfterInMs: alerting.stuckAfterInMs }),
    ...(alerting.repeatAfterInMs !== undefined && { repeatAfterInMs: alerting.repeatAfterInMs }),
  };
}

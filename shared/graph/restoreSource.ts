import type { RestoreSession } from "../domain/restoreSession";
import type { GraphApi } from "./graphClient";
import { listPages, type ListOptions } from "./pages";
import { parseRestoreSession } from "./restoreSession";

export const RESTORE_SESSIONS_PATH = "/solutions/backupRestore/restoreSessions";

/**
 * Most pages read of one listing. Far above any real tenant (100,000 sessions are 1,000 pages of 100),
 * and a bound on a listing whose nextLinks never end: the run stops with PageLimitExceeded instead.
 */
export const MAX_SESSION_PAGES = 10_000;

/** One page of the restore session listing: valid sessions, and items skipped with the reason. */
export interface SessionPage {
  readonly sessions: readonly RestoreSession[];
  readonly skipped: readonly { readonly id: string | undefined; readonly reason: string }[];
  /** Sessions read with fields that could not be read (shown as unknown), by id. */
  readonly unreadable: readonly { readonly id: string; readonly fields: readonly string[] }[];
}

/** Lists restore sessions page by page, validating each item; a bad item is skipped, never fatal. */
export async function* listRestoreSessions(api: GraphApi, options: ListOptions = {}): AsyncGenerator<SessionPage> {
  for await (const items of listPages(api, RESTORE_SESSIONS_PATH, options.maxPages ?? MAX_SESSION_PAGES, options)) {
    const sessions: RestoreSession[] = [];
    const skipped: { id: string | undefined; reason: string }[] = [];
    const unreadable: { id: string; fields: readonly string[] }[] = [];
    for (const item of items) {
      const parsed = parseRestoreSession(item);
      if (!parsed.ok) skipped.push({ id: parsed.id, reason: parsed.reason });
      else {
        sessions.push(parsed.session);
        if (parsed.unreadable.length > 0) unreadable.push({ id: parsed.session.id, fields: parsed.unreadable });
      }
    }
    yield { sessions, skipped, unreadable };
  }
}


import { randomUUID } from "node:crypto";
import { validateBulkRequests } from "./bulkRequests";
import { DEFAULT_CONTROLLER, TERMINAL, type EmulatedSession, type EmulatedWorkload } from "./model";
import { SessionLog } from "./sessionLog";

/**
 * One tenant's restore sessions in the Graph emulator: what a token with that tenant's `tid` lists
 * and reads. The emulator's own session methods act on its default tenant.
 */
export class TenantSessions {
  /** The store the endpoints read (insertion order, stable paging). */
  readonly log = new SessionLog();

  createSession(input: Partial<EmulatedSession> & { workload: EmulatedWorkload }): EmulatedSession {
    const now = new Date().toISOString();
    const status = input.status ?? "draft";
    const lastModifiedDateTime = input.lastModifiedDateTime ?? input.createdDateTime ?? now;
    const session: EmulatedSession = {
      id: input.id ?? randomUUID(),
      workload: input.workload,
      status,
      restoreJobType: input.restoreJobType ?? "standard",
      createdBy: input.createdBy ?? { application: { ...DEFAULT_CONTROLLER } },
      createdDateTime: input.createdDateTime ?? now,
      lastModifiedDateTime,
      completedDateTime: input.completedDateTime ?? (TERMINAL.has(status) ? lastModifiedDateTime : undefined),
      error: input.error ?? null,
      artifacts: input.artifacts ?? [],
      ...(input.bulkRequests !== undefined && { bulkRequests: input.bulkRequests }),
      ...(input.raw !== undefined && { raw: input.raw }),
    };
    validateBulkRequests(session.bulkRequests);
    this.log.add(session);
    return session;
  }

  updateSession(id: string, patch: Partial<EmulatedSession>): EmulatedSession {
    const session = this.log.get(id);
    if (!session) throw new Error(`no session ${id}`);
    if (patch.id !== undefined && patch.id !== id) throw new Error("a session's id cannot change");
    validateBulkRequests(patch.bulkRequests);
    const wasTerminal = TERMINAL.has(session.status);
    Object.assign(session, patch);
    // Strictly increasing, so a poller comparing lastModifiedDateTime sees every update.
    session.lastModifiedDateTime = patch.lastModifiedDateTime ?? new Date(Math.max(Date.now(), Date.parse(session.lastModifiedDateTime) + 1)).toISOString();
    if (patch.completedDateTime === undefined) {
      if (!wasTerminal && TERMINAL.has(session.status)) session.completedDateTime = session.lastModifiedDateTime;
      if (!TERMINAL.has(session.status)) session.completedDateTime = undefined;
    }
    return session;
  }

  removeSession(id: string): void {
    if (!this.log.remove(id)) throw new Error(`no session ${id}`);
  }

  /** The live session object (mutating it directly does not bump lastModifiedDateTime). */
  session(id: string): EmulatedSession | undefined {
    return this.log.get(id);
  }

  sessions(): EmulatedSession[] {
    return this.log.all();
  }
}

import type { EmulatedSession } from "./model";

// ---------------------------------------------------------------------------------------------
// Session store: insertion order, stable paging, O(log n + page) per page.
// ---------------------------------------------------------------------------------------------

interface Entry {
  readonly seq: number;
  readonly session: EmulatedSession;
  removed: boolean;
}

/**
 * Sessions in insertion order. Each entry gets an increasing sequence number and a listing is the
 * range [from, end) of sequence numbers, where `end` is fixed when the first page is served. So a
 * skiptoken is just (next seq, end): no per-listing copy, items present at the start are served once,
 * items added later are not served, and removed items are skipped.
 */
export class SessionLog {
  private readonly byId = new Map<string, Entry>();
  private entries: Entry[] = [];
  private nextSeq = 0;
  private tombstones = 0;

  get highWater(): number {
    return this.nextSeq;
  }

  add(session: EmulatedSession): void {
    if (this.byId.has(session.id)) throw new Error(`session ${session.id} already exists`);
    const entry: Entry = { seq: this.nextSeq++, session, removed: false };
    this.entries.push(entry);
    this.byId.set(session.id, entry);
  }

  get(id: string): EmulatedSession | undefined {
    return this.byId.get(id)?.session;
  }

  remove(id: string): boolean {
    const entry = this.byId.get(id);
    if (!entry) return false;
    entry.removed = true;
    this.byId.delete(id);
    this.tombstones += 1;
    // Compact only when tombstones dominate, so removal stays amortised O(1).
    if (this.tombstones > 1024 && this.tombstones * 2 > this.entries.length) {
      this.entries = this.entries.filter((e) => !e.removed);
      this.tombstones = 0;
    }
    return true;
  }

  all(): EmulatedSession[] {
    return this.entries.filter((e) => !e.removed).map((e) => e.session);
  }

  /** Up to `limit` live sessions with from <= seq < end, and the seq to continue from, if any remain. */
  page(from: number, end: number, limit: number): { sessions: EmulatedSession[]; next?: number } {
    const sessions: EmulatedSession[] = [];
    let index = this.lowerBound(from);
    for (; index < this.entries.length && sessions.length < limit; index++) {
      const entry = this.entries[index];
      if (!entry || entry.seq >= end) break;
      if (!entry.removed) sessions.push(entry.session);
    }
    // Skip trailing tombstones so the last page is not followed by an empty one.
    while (this.entries[index]?.removed) index++;
    const next = this.entries[index];
    return next && next.seq < end ? { sessions, next: next.seq } : { sessions };
  }

  private lowerBound(seq: number): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.entries[mid]?.seq ?? Infinity) < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

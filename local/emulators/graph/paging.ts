// ---------------------------------------------------------------------------------------------
// Skiptokens: opaque base64 of a small JSON state, validated on the way back.
// ---------------------------------------------------------------------------------------------

/** A restoreSessions listing, or a page offset into one collection (artifacts, bulk requests) of one session. */
export type PageState = { kind: "sessions"; from: number; end: number } | { kind: "items"; session: string; collection: string; offset: number };

export function encodeSkipToken(state: PageState): string {
  return Buffer.from(JSON.stringify(state), "utf8").toString("base64");
}

export function decodeSkipToken(token: string): PageState | undefined {
  try {
    const value = JSON.parse(Buffer.from(token, "base64").toString("utf8")) as Partial<Record<string, unknown>>;
    if (value["kind"] === "sessions" && Number.isInteger(value["from"]) && Number.isInteger(value["end"])) return value as PageState;
    if (value["kind"] === "items" && typeof value["session"] === "string" && typeof value["collection"] === "string" && Number.isInteger(value["offset"])) return value as PageState;
  } catch {
    // fall through: not our token
  }
  return undefined;
}

/** The offset a collection's skiptoken continues from: 0 without one, undefined for a token not issued for this collection. */
export function itemsOffset(skipToken: string | undefined, session: string, collection: string): number | undefined {
  if (skipToken === undefined) return 0;
  const state = decodeSkipToken(skipToken);
  return state?.kind === "items" && state.session === session && state.collection === collection && state.offset >= 0 ? state.offset : undefined;
}

export interface RelativePage<T> {
  /** The full @odata.context. */
  readonly context: string;
  /** The collection's path without the version, e.g. `/solutions/backupRestore/exchangeRestoreSessions/{id}/mailboxRestoreArtifacts`. */
  readonly path: string;
  /** Query options the nextLink carries besides the skiptoken (already encoded), e.g. `$expand=restorePoint`. */
  readonly carry?: string;
  readonly session: string;
  readonly collection: string;
  readonly items: readonly T[];
  readonly offset: number;
  readonly pageSize: number;
  readonly render: (item: T) => unknown;
}

/** One page of a session's collection, with a nextLink relative and without the version, as the docs show for the artifact lists. */
export function relativePage<T>(page: RelativePage<T>): Record<string, unknown> {
  const next = page.offset + page.pageSize;
  const token = encodeURIComponent(encodeSkipToken({ kind: "items", session: page.session, collection: page.collection, offset: next }));
  const query = page.carry === undefined ? `$skiptoken=${token}` : `${page.carry}&$skiptoken=${token}`;
  return {
    "@odata.context": page.context,
    ...(next < page.items.length && { "@odata.nextLink": `${page.path}?${query}` }),
    value: page.items.slice(page.offset, next).map(page.render),
  };
}

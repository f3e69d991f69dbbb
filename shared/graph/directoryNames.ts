import type { FailedArtifact } from "../domain/alert";
import { GraphRequestError, errorMessage } from "../domain/errors";
import { MAX_ARTIFACT_TEXT_CHARS, boundText } from "../domain/textBounds";
import type { GraphApi, GraphCallOptions } from "./graphClient";
import { isObject } from "./jsonFields";
import { LenientReader } from "./lenientFields";

/** A directory object's name and address, as far as the caller may read them. */
export interface DirectoryName {
  readonly name?: string;
  readonly address?: string;
}

/**
 * The outcome of a look-up: the names found (unknown, deleted and unreadable objects are absent), or
 * why there are none: `forbidden` when the identity lacks a directory read permission (optional:
 * alerts then show object ids), `failed` for anything else.
 */
export type DirectoryLookup =
  | { readonly ok: true; readonly names: ReadonlyMap<string, DirectoryName>; readonly requests: number }
  | { readonly ok: false; readonly reason: "forbidden" | "failed"; readonly message: string; readonly requests: number };

/** getByIds takes at most 1,000 ids a request. */
export const GET_BY_IDS_BATCH = 1_000;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Names the directory objects (mailbox and OneDrive owners) of a run in bulk:
 * `POST /directoryObjects/getByIds`, one request per 1,000 distinct ids. Protection units give only
 * the object id to application callers.
 */
export async function lookUpDirectoryNames(api: GraphApi, ids: Iterable<string>, options: GraphCallOptions = {}): Promise<DirectoryLookup> {
  const distinct = [...new Set([...ids].filter((id) => GUID.test(id)).map((id) => id.toLowerCase()))];
  const names = new Map<string, DirectoryName>();
  let requests = 0;
  for (let from = 0; from < distinct.length; from += GET_BY_IDS_BATCH) {
    requests++;
    let body: unknown;
    try {
      body = await api.post("/directoryObjects/getByIds", { ids: distinct.slice(from, from + GET_BY_IDS_BATCH), types: ["user", "group"] }, options);
    } catch (error) {
      if (error instanceof GraphRequestError && error.code === "RunDeadline") throw error;
      const forbidden = error instanceof GraphRequestError && error.status === 403;
      return { ok: false, reason: forbidden ? "forbidden" : "failed", message: errorMessage(error), requests };
    }
    for (const [id, name] of readNames(body)) names.set(id, name);
  }
  return { ok: true, names, requests };
}

function readNames(body: unknown): [string, DirectoryName][] {
  const value = isObject(body) && Array.isArray(body["value"]) ? body["value"] : [];
  const found: [string, DirectoryName][] = [];
  for (const item of value) {
    if (!isObject(item)) continue;
    const read = new LenientReader();
    const id = read.text(item, "id");
    // An object the caller may not read comes back with its id only: no name, as if not found.
    const name = read.text(item, "displayName");
    const address = read.text(item, "userPrincipalName") || read.text(item, "mail");
    if (!id || (!name && !address)) continue;
    found.push([id.toLowerCase(), { ...(name && { name: boundText(name, MAX_ARTIFACT_TEXT_CHARS.name) }), ...(address && { address: boundText(address, MAX_ARTIFACT_TEXT_CHARS.address) }) }]);
  }
  return found;
}

/** The artifact with its owner's name and address filled in from the directory where Graph gave none. */
export function withDirectoryName(artifact: FailedArtifact, names: ReadonlyMap<string, DirectoryName>): FailedArtifact {
  if (artifact.objectId === undefined || (artifact.name !== undefined && artifact.address !== undefined)) return artifact;
  const found = names.get(artifact.objectId.toLowerCase());
  if (!found) return artifact;
  return { ...artifact, ...(artifact.name === undefined && found.name && { name: found.name }), ...(artifact.address === undefined && found.address && { address: found.address }) };
}

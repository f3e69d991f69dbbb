import { GraphRequestError } from "../domain/errors";
import type { GraphApi } from "./graphClient";
import { isObject } from "./jsonFields";

/** `{"value": [...], "@odata.nextLink"?: "..."}`, or undefined when the body is not a collection page. */
function readCollectionPage(body: unknown): { readonly value: readonly unknown[]; readonly nextLink?: string } | undefined {
  if (!isObject(body) || !Array.isArray(body["value"])) return undefined;
  const nextLink = body["@odata.nextLink"];
  if (nextLink === undefined || nextLink === null) return { value: body["value"] };
  return typeof nextLink === "string" && nextLink !== "" ? { value: body["value"], nextLink } : undefined;
}

export interface ListOptions {
  /** The run's deadline. */
  readonly abortSignal?: AbortSignal;
  /** Page cap of this listing (each listing has its own default). */
  readonly maxPages?: number;
}

/** Every page of a Graph collection, following @odata.nextLink as given. A malformed page fails the listing. */
export async function* listPages(api: GraphApi, path: string, maxPages: number, options: ListOptions = {}): AsyncGenerator<readonly unknown[]> {
  let next: string | undefined = path;
  const seen = new Set<string>();
  while (next !== undefined) {
    if (seen.has(next)) throw new GraphRequestError(`Graph returned the same nextLink twice for ${path}; stopping to avoid a loop`, undefined, "PagingLoop", next);
    if (seen.size >= maxPages) throw new GraphRequestError(`Graph returned more than ${maxPages} pages for ${path}; stopped there (PageLimitExceeded)`, undefined, "PageLimitExceeded", next);
    seen.add(next);
    const body = await api.get(next, options);
    const page = readCollectionPage(body);
    if (!page) {
      throw new GraphRequestError(`Graph returned a malformed page for ${path} (expected {"value": [...]})`, undefined, "MalformedPage", next);
    }
    yield page.value;
    next = page.nextLink;
  }
}


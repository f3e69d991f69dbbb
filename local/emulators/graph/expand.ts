import { graphError, type GraphRouteResponse } from "./graphRoutes";

// ---------------------------------------------------------------------------------------------
// $expand on the artifact lists: restorePoint, and the protection unit behind it.
// ---------------------------------------------------------------------------------------------

/** What a request asked to expand. */
export type ExpandForm = "none" | "restorePoint" | "nested";
/** Which forms the emulated service accepts (GraphEmulatorOptions.artifactExpand): "nested" accepts both. */
export type ArtifactExpandSupport = "nested" | "restorePoint" | "none";

interface ExpandItem {
  readonly name: string;
  readonly expand: readonly ExpandItem[];
  /** Other nested query options, e.g. $select inside restorePoint(...). */
  readonly options: readonly string[];
}

const PARSE_FAILED = "Parsing OData Select and Expand failed:";

/** Splits at `separator` outside parentheses; undefined when the parentheses do not balance. */
function splitTopLevel(text: string, separator: string): string[] | undefined {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "(") depth++;
    else if (c === ")" && --depth < 0) return undefined;
    else if (c === separator && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  return depth === 0 ? [...parts, text.slice(start)] : undefined;
}

/** Parses `a, b($expand=c; $select=x)` case- and space-tolerantly; undefined on a syntax error. */
function parseExpand(text: string): ExpandItem[] | undefined {
  const items: ExpandItem[] = [];
  for (const part of splitTopLevel(text, ",") ?? [undefined]) {
    const match = part === undefined ? null : /^\s*([A-Za-z_*][\w.]*)\s*(?:\((.*)\))?\s*$/s.exec(part);
    if (!match?.[1]) return undefined;
    const expand: ExpandItem[] = [];
    const options: string[] = [];
    for (const option of match[2] === undefined ? [] : (splitTopLevel(match[2], ";") ?? [undefined])) {
      const pair = option === undefined ? null : /^\s*(\$?\w+)\s*=(.*)$/s.exec(option);
      if (!pair?.[1] || pair[2] === undefined) return undefined;
      if (pair[1].toLowerCase() !== "$expand") options.push(pair[1]);
      else {
        const inner = parseExpand(pair[2]);
        if (!inner) return undefined;
        expand.push(...inner);
      }
    }
    items.push({ name: match[1], expand, options });
  }
  return items;
}

const badRequest = (message: string): GraphRouteResponse => graphError(400, "BadRequest", `${PARSE_FAILED} ${message}`);
const notAProperty = (name: string, type: string): GraphRouteResponse => badRequest(`Could not find a property named '${name}' on type '${type}'.`);
const notNavigable = (name: string, type: string): GraphRouteResponse =>
  badRequest(`Property '${name}' on type '${type}' is not a navigation property or complex property. Only navigation properties can be expanded.`);

/** The one `$expand` of a query (the option name case-insensitively), or a 400 when it is given twice. */
export function expandParameter(query: URLSearchParams): string | undefined | GraphRouteResponse {
  const values = [...query.entries()].filter(([key]) => key.toLowerCase() === "$expand").map(([, value]) => value);
  if (values.length > 1) return graphError(400, "BadRequest", "Query option '$expand' was specified more than once, but it must be specified at most once.");
  return values[0];
}

/** Checks that an item only expands `allowed` (by name, case-insensitively) and has no other nested options. */
function checkItem(item: ExpandItem, allowed: string | undefined, type: string): GraphRouteResponse | undefined {
  if (allowed === undefined || item.name.toLowerCase() !== allowed.toLowerCase()) return notAProperty(item.name, type);
  const option = item.options[0];
  if (option !== undefined) return graphError(400, "BadRequest", `The emulator supports only $expand inside ${item.name}(...), not ${option}.`);
  return undefined;
}

/**
 * The expand form of an artifact-list request, or Graph's 400. `entityType` is the collection's type
 * (e.g. microsoft.graph.mailboxRestoreArtifact); `hasRestorePoint` false for the granular drive and
 * site artifacts, which have no navigation property at all.
 */
export function artifactExpand(raw: string | undefined, entityType: string, hasRestorePoint: boolean, support: ArtifactExpandSupport): ExpandForm | GraphRouteResponse {
  if (raw === undefined || raw.trim() === "") return "none";
  const items = parseExpand(raw);
  if (!items) return badRequest(`Syntax error in '$expand=${raw}'.`);
  for (const item of items) {
    const refused = checkItem(item, hasRestorePoint ? "restorePoint" : undefined, entityType);
    if (refused) return refused;
    for (const inner of item.expand) {
      const innerRefused = checkItem(inner, "protectionUnit", "microsoft.graph.restorePoint") ?? (inner.expand.length > 0 ? notAProperty(inner.expand[0]?.name ?? "", "microsoft.graph.protectionUnitBase") : undefined);
      if (innerRefused) return innerRefused;
    }
  }
  const form: ExpandForm = items.some((item) => item.expand.length > 0) ? "nested" : "restorePoint";
  // A service that does not support a form answers as if the property were not navigable.
  if (support === "none") return notNavigable("restorePoint", entityType);
  if (support === "restorePoint" && form === "nested") return notNavigable("protectionUnit", "microsoft.graph.restorePoint");
  return form;
}

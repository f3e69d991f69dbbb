import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { DIMENSION_VALUES, TELEMETRY_EVENTS } from "../../shared/domain/telemetry";

/**
 * Checks a KQL query of the workbook or an alert rule against what the app emits: the customEvents
 * names it filters on are restorewatch's records (TELEMETRY_EVENTS), every customDimensions field it
 * reads is a dimension of one of the records it names, and a requests query names a function the app
 * registers. Deliberately strict about what it cannot check (the whole customDimensions bag, a table
 * it does not know): such a query is reported, not waved through.
 */

const ROOT = path.resolve(__dirname, "../..");

/** Tables a query may read: the app's records, and the host's rows for each function invocation. */
const TABLES = ["customEvents", "requests"] as const;

export interface TelemetryReferences {
  /** The first identifier of the query: the table it reads. */
  readonly table: string;
  /** Event or function names compared with `name`/`operation_Name` (==, =~, in (...)). */
  readonly names: string[];
  /** customDimensions.X and customDimensions["X"] / ['X']. */
  readonly dimensions: string[];
  /** Uses of customDimensions not followed by a field (the whole bag, an alias): fields read through them escape the check. */
  readonly wholeBagUses: number;
}

const unique = (values: string[]): string[] => [...new Set(values)];

/** What a query refers to, read from its text (comments and string contents aside from names are not parsed). */
export function telemetryReferences(query: string): TelemetryReferences {
  const text = query.replace(/\/\/[^\n]*/g, "");
  const table = /^\s*([A-Za-z_]\w*)/.exec(text)?.[1] ?? "";
  const names = [...text.matchAll(/\b(?:name|operation_Name)\s*(?:==|=~)\s*(["'])(.*?)\1/g)].map((m) => m[2] as string);
  for (const list of text.matchAll(/\b(?:name|operation_Name)\s+in~?\s*\(([^)]*)\)/g)) {
    names.push(...[...(list[1] as string).matchAll(/(["'])(.*?)\1/g)].map((m) => m[2] as string));
  }
  const dimensions = [...text.matchAll(/\bcustomDimensions\s*(?:\.\s*([A-Za-z_]\w*)|\[\s*(["'])(.*?)\2\s*\])/g)].map((m) => (m[1] ?? m[3]) as string);
  const allUses = [...text.matchAll(/\bcustomDimensions\b/g)].length;
  return { table, names: unique(names), dimensions: unique(dimensions), wholeBagUses: allUses - [...text.matchAll(/\bcustomDimensions\s*[.[]/g)].length };
}

/** The names of the functions the app registers (app.timer("name", ...), app.http("name", ...), ...). */
export function registeredFunctionNames(dir = path.join(ROOT, "functions")): string[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith(".ts"))
    .flatMap((file) => [...readFileSync(path.join(dir, file), "utf8").matchAll(/\bapp\.\w+\(\s*["'`]([^"'`]+)["'`]/g)].map((m) => m[1] as string));
}

/** Everything wrong with a query, as sentences; empty when every name and field it reads is one the app emits. */
export function telemetryQueryProblems(query: string, functionNames: readonly string[] = registeredFunctionNames()): string[] {
  const refs = telemetryReferences(query);
  const problems: string[] = [];
  if (!(TABLES as readonly string[]).includes(refs.table)) problems.push(`reads table '${refs.table}', not one of ${TABLES.join(", ")}`);
  if (refs.wholeBagUses > 0) problems.push("uses customDimensions as a whole: name each field (customDimensions.X) so it can be checked");
  if (refs.table === "requests") {
    for (const name of refs.names.filter((n) => !functionNames.includes(n))) problems.push(`names function '${name}', which the app does not register`);
    if (refs.names.length === 0) problems.push("reads requests without naming the function");
    if (refs.dimensions.length > 0) problems.push(`reads the host's customDimensions (${refs.dimensions.join(", ")}), which are not restorewatch's records`);
    return problems;
  }
  const events = Object.values(TELEMETRY_EVENTS);
  const named = refs.names.map((name) => ({ name, event: events.find((e) => e.name === name) }));
  for (const { name } of named.filter((n) => n.event === undefined)) problems.push(`names event '${name}', which the app does not emit`);
  if (refs.table === "customEvents" && named.length === 0) problems.push("reads customEvents without naming the record (name == ...)");
  const emitted = new Set(named.flatMap((n) => (n.event?.dimensions ?? []) as readonly string[]));
  const recordNames = named.map((n) => n.name).join(", ");
  for (const field of refs.dimensions.filter((d) => !emitted.has(d))) problems.push(`reads customDimensions.${field}, which ${recordNames || "no named record"} does not emit`);
  for (const { field, value } of comparedLiterals(query)) {
    const values = DIMENSION_VALUES[field];
    if (values && !values.includes(value)) problems.push(`compares customDimensions.${field} with "${value}", which the app never emits (${values.join(", ")})`);
  }
  return problems;
}

/** `tostring(customDimensions.X) == "v"` (or !=, =~, !~; also customDimensions.X == "v"): the field and the literal. */
function comparedLiterals(query: string): { field: string; value: string }[] {
  const pattern = /\bcustomDimensions\s*(?:\.\s*([A-Za-z_]\w*)|\[\s*["'](\w+)["']\s*\])\s*\)?\s*(?:==|!=|=~|!~)\s*(["'])(.*?)\3/g;
  return [...query.matchAll(pattern)].map((m) => ({ field: (m[1] ?? m[2]) as string, value: m[4] as string }));
}

/**
 * Typed reads of JSON that came from Graph. A field that is missing or null reads as undefined; a field
 * of the wrong type throws a FieldError that names it, so a parser can skip the item and say why.
 */
export type JsonObject = Readonly<Record<string, unknown>>;

export class FieldError extends Error {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
    this.name = "FieldError";
  }
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
}

/** A nested path for error messages: `createdBy.user.displayName`. */
function at(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

export function optionalString(object: JsonObject, key: string, path = ""): string | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new FieldError(at(path, key), `expected a string, got ${kindOf(value)}`);
  return value;
}

export function optionalObject(object: JsonObject, key: string, path = ""): JsonObject | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new FieldError(at(path, key), `expected an object, got ${kindOf(value)}`);
  return value;
}

export function optionalCount(object: JsonObject, key: string, path = ""): number | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) throw new FieldError(at(path, key), `expected a count (a whole number, 0 or more), got ${typeof value === "number" ? value : kindOf(value)}`);
  return value;
}

/** An ISO 8601 time (what Date.parse reads). */
export function optionalTime(object: JsonObject, key: string, path = ""): string | undefined {
  const value = optionalString(object, key, path);
  if (value !== undefined && Number.isNaN(Date.parse(value))) throw new FieldError(at(path, key), "is not an ISO time");
  return value;
}

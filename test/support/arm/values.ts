/** Values an ARM template expression can produce, and the helpers every other module shares. */

export type ArmValue = string | number | boolean | null | ArmValue[] | ArmObject;
export interface ArmObject {
  [key: string]: ArmValue;
}

/**
 * Anything the evaluator refuses or finds wrong. The message names the (sub)expression that failed
 * and, once, the whole expression it sits in.
 */
export class ArmTemplateError extends Error {
  /** The failing subexpression has been named in the message. */
  located = false;
  /** The enclosing expression has been named in the message. */
  inExpression = false;

  constructor(message: string) {
    super(message);
    this.name = "ArmTemplateError";
  }
}

/** Names `text` as where `error` happened, unless a deeper subexpression was already named. */
export function locateError(error: unknown, text: string): never {
  if (error instanceof ArmTemplateError && !error.located) {
    error.message += ` — at ${text}`;
    error.located = true;
  }
  throw error;
}

export function isArmObject(value: ArmValue | undefined): value is ArmObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The ARM type name of a value, for messages and type checks. */
export function armTypeOf(value: ArmValue): "string" | "int" | "bool" | "null" | "array" | "object" | "number" {
  if (value === null) return "null";
  if (typeof value === "string") return "string";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "number";
  return Array.isArray(value) ? "array" : "object";
}

/**
 * A property of an object as ARM looks it up: property names are case-insensitive. An exact match
 * wins; two properties that differ only in case are ambiguous and refused.
 */
export function memberOf(object: ArmObject, name: string): ArmValue | undefined {
  if (Object.prototype.hasOwnProperty.call(object, name)) return object[name];
  const lower = name.toLowerCase();
  const matches = Object.keys(object).filter((key) => key.toLowerCase() === lower);
  if (matches.length > 1) throw new ArmTemplateError(`property '${name}' is ambiguous: ${matches.join(", ")}`);
  const [match] = matches;
  return match === undefined ? undefined : object[match];
}

/** Structural equality; strings compare case-sensitively, as ARM's equals() does. */
export function deepEqual(a: ArmValue, b: ArmValue): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, i) => deepEqual(item, b[i] as ArmValue));
  if (isArmObject(a)) {
    if (!isArmObject(b)) return false;
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => Object.prototype.hasOwnProperty.call(b, key) && deepEqual(a[key] as ArmValue, b[key] as ArmValue));
  }
  return false;
}

/** A short rendering of a value for error messages. */
export function describeValue(value: ArmValue): string {
  const json = JSON.stringify(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

/**
 * An object whose properties are computed on first read (then kept). Module outputs and the like
 * are evaluated only when something reads them, so an output nobody uses cannot fail the run.
 */
export function lazyObject(entries: Iterable<readonly [string, () => ArmValue]>): ArmObject {
  const object: ArmObject = {};
  for (const [key, compute] of entries) {
    let computed: { value: ArmValue } | undefined;
    Object.defineProperty(object, key, {
      enumerable: true,
      get: () => (computed ??= { value: compute() }).value,
    });
  }
  return object;
}

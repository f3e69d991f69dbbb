import { createHash } from "node:crypto";
import { ArmTemplateError, armTypeOf, deepEqual, describeValue, isArmObject, memberOf, type ArmObject, type ArmValue } from "./values";

/**
 * ARM's built-in functions that need nothing but their arguments. Functions that read the
 * deployment (parameters, variables, reference, resourceId, resourceGroup, ...) and the lazy if()
 * live in deployment.ts. Names are looked up case-insensitively, as ARM does.
 */

type ArmFunction = (args: ArmValue[]) => ArmValue;

function arity(name: string, args: ArmValue[], min: number, max = min): void {
  if (args.length < min || args.length > max) {
    const expected = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw new ArmTemplateError(`${name}() takes ${expected} argument(s), got ${args.length}`);
  }
}

function expectString(name: string, value: ArmValue | undefined): string {
  if (typeof value !== "string") throw new ArmTemplateError(`${name}() expects a string, got ${describe(value)}`);
  return value;
}

function expectInt(name: string, value: ArmValue | undefined): number {
  if (typeof value !== "number" || !Number.isInteger(value)) throw new ArmTemplateError(`${name}() expects an int, got ${describe(value)}`);
  return value;
}

function expectBool(name: string, value: ArmValue | undefined): boolean {
  if (typeof value !== "boolean") throw new ArmTemplateError(`${name}() expects a bool, got ${describe(value)}`);
  return value;
}

function describe(value: ArmValue | undefined): string {
  return value === undefined ? "nothing" : `${armTypeOf(value)} ${describeValue(value)}`;
}

/** .NET composite formatting, as ARM's format() uses: {0}, {{ and }}. Alignment and format strings are refused. */
function format(args: ArmValue[]): string {
  arity("format", args, 1, Infinity);
  const [template, ...values] = args;
  const text = expectString("format", template);
  let out = "";
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i] as string;
    if (char === "{" && text[i + 1] === "{") {
      out += "{";
      i += 1;
    } else if (char === "}" && text[i + 1] === "}") {
      out += "}";
      i += 1;
    } else if (char === "{") {
      const close = text.indexOf("}", i);
      const item = close < 0 ? "" : text.slice(i + 1, close);
      if (!/^\d+$/.test(item)) throw new ArmTemplateError(`format(): unsupported format item '{${item}' (only {n} is supported)`);
      const value = values[Number(item)];
      if (value === undefined) throw new ArmTemplateError(`format(): no argument {${item}}`);
      out += formatItem(value);
      i = close;
    } else if (char === "}") {
      throw new ArmTemplateError("format(): unmatched '}' in the format string");
    } else out += char;
  }
  return out;
}

function formatItem(value: ArmValue): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isInteger(value)) return String(value);
  // Not verified against ARM: how it renders a bool ("True"?), null or an object inside format().
  throw new ArmTemplateError(`format(): unsupported argument ${describe(value)} (only strings and ints)`);
}

function string(args: ArmValue[]): string {
  arity("string", args, 1);
  const [value] = args as [ArmValue];
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isInteger(value)) return String(value);
  // ARM documents compact JSON for objects and arrays; a bool's or null's rendering is not verified here.
  if (Array.isArray(value) || isArmObject(value)) return JSON.stringify(value);
  throw new ArmTemplateError(`string(): unsupported argument ${describe(value)}`);
}

function empty(args: ArmValue[]): boolean {
  arity("empty", args, 1);
  const [value] = args as [ArmValue];
  if (value === null) return true;
  if (typeof value === "string" || Array.isArray(value)) return value.length === 0;
  if (isArmObject(value)) return Object.keys(value).length === 0;
  throw new ArmTemplateError(`empty() expects a string, array, object or null, got ${describe(value)}`);
}

/** union() of objects merges nested objects too (ARM documents this); other values: the last one wins. */
function union(args: ArmValue[]): ArmValue {
  arity("union", args, 1, Infinity);
  if (args.every((arg) => Array.isArray(arg))) {
    const out: ArmValue[] = [];
    for (const item of (args as ArmValue[][]).flat()) if (!out.some((seen) => deepEqual(seen, item))) out.push(item);
    return out;
  }
  if (args.every(isArmObject)) return (args as ArmObject[]).reduce(mergeObjects, {});
  throw new ArmTemplateError(`union() expects all arrays or all objects, got ${args.map(armTypeOf).join(", ")}`);
}

function mergeObjects(into: ArmObject, next: ArmObject): ArmObject {
  const out: ArmObject = { ...into };
  for (const [key, value] of Object.entries(next)) {
    const clash = Object.keys(out).find((existing) => existing !== key && existing.toLowerCase() === key.toLowerCase());
    if (clash !== undefined) throw new ArmTemplateError(`union(): keys '${clash}' and '${key}' differ only in case`);
    const existing = out[key];
    out[key] = isArmObject(existing) && isArmObject(value) ? mergeObjects(existing, value) : value;
  }
  return out;
}

function createObject(args: ArmValue[]): ArmObject {
  if (args.length % 2 !== 0) throw new ArmTemplateError(`createObject() takes key/value pairs, got ${args.length} argument(s)`);
  const out: ArmObject = {};
  for (let i = 0; i < args.length; i += 2) {
    const key = expectString("createObject", args[i]);
    if (Object.prototype.hasOwnProperty.call(out, key)) throw new ArmTemplateError(`createObject(): key '${key}' given twice`);
    out[key] = args[i + 1] as ArmValue;
  }
  return out;
}

function take(args: ArmValue[]): ArmValue {
  arity("take", args, 2);
  const count = Math.max(0, expectInt("take", args[1]));
  const [value] = args;
  if (typeof value === "string" || Array.isArray(value)) return value.slice(0, count);
  throw new ArmTemplateError(`take() expects a string or an array, got ${describe(value)}`);
}

function skip(args: ArmValue[]): ArmValue {
  arity("skip", args, 2);
  const count = Math.max(0, expectInt("skip", args[1]));
  const [value] = args;
  if (typeof value === "string" || Array.isArray(value)) return value.slice(count);
  throw new ArmTemplateError(`skip() expects a string or an array, got ${describe(value)}`);
}

function split(args: ArmValue[]): string[] {
  arity("split", args, 2);
  const text = expectString("split", args[0]);
  const delimiters = Array.isArray(args[1]) ? args[1].map((d) => expectString("split", d)) : [expectString("split", args[1])];
  if (delimiters.some((d) => d.length === 0)) throw new ArmTemplateError("split(): empty delimiter");
  // String.Split(string[]) semantics: split at any delimiter, keep empty entries.
  return text.split(new RegExp(delimiters.map((d) => d.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")));
}

function endItem(name: "first" | "last", args: ArmValue[]): ArmValue {
  arity(name, args, 1);
  const [value] = args;
  if (typeof value !== "string" && !Array.isArray(value)) throw new ArmTemplateError(`${name}() expects a string or an array, got ${describe(value)}`);
  // What ARM returns for an empty string or array is not verified here.
  if (value.length === 0) throw new ArmTemplateError(`${name}() of an empty ${armTypeOf(value)}`);
  return (name === "first" ? value[0] : value[value.length - 1]) as ArmValue;
}

function contains(args: ArmValue[]): boolean {
  arity("contains", args, 2);
  const [container, item] = args as [ArmValue, ArmValue];
  if (typeof container === "string") return container.includes(expectString("contains", item));
  if (Array.isArray(container)) return container.some((element) => deepEqual(element, item));
  // ARM documents object keys as compared case-insensitively.
  if (isArmObject(container)) return Object.keys(container).some((key) => key.toLowerCase() === expectString("contains", item).toLowerCase());
  throw new ArmTemplateError(`contains() expects a string, array or object, got ${describe(container)}`);
}

function length(args: ArmValue[]): number {
  arity("length", args, 1);
  const [value] = args;
  if (typeof value === "string" || Array.isArray(value)) return value.length;
  if (isArmObject(value)) return Object.keys(value).length;
  throw new ArmTemplateError(`length() expects a string, array or object, got ${describe(value)}`);
}

function toInt(args: ArmValue[]): number {
  arity("int", args, 1);
  const [value] = args;
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (typeof value === "string" && /^[+-]?\d+$/.test(value.trim())) return Number(value.trim());
  throw new ArmTemplateError(`int() cannot convert ${describe(value)}`);
}

function toBool(args: ArmValue[]): boolean {
  arity("bool", args, 1);
  const [value] = args;
  if (typeof value === "boolean") return value;
  if (typeof value === "string" && /^(true|false)$/i.test(value)) return value.toLowerCase() === "true";
  if (value === 0 || value === 1) return value === 1;
  throw new ArmTemplateError(`bool() cannot convert ${describe(value)}`);
}

/** tryGet(value, key-or-index, ...): what Bicep's `.?` and `[?]` compile to; null where a step is missing. */
function tryGet(args: ArmValue[]): ArmValue {
  arity("tryGet", args, 2, Infinity);
  let current = args[0] as ArmValue;
  for (const step of args.slice(1)) {
    if (current === null) return null;
    if (isArmObject(current)) current = memberOf(current, expectString("tryGet", step)) ?? null;
    else if (Array.isArray(current)) current = current[expectInt("tryGet", step)] ?? null;
    else throw new ArmTemplateError(`tryGet() cannot index ${describe(current)}`);
  }
  return current;
}

function coalesce(args: ArmValue[]): ArmValue {
  arity("coalesce", args, 1, Infinity);
  return args.find((arg) => arg !== null) ?? null;
}

function replace(args: ArmValue[]): string {
  arity("replace", args, 3);
  const [text, oldValue, newValue] = args.map((arg) => expectString("replace", arg)) as [string, string, string];
  if (oldValue.length === 0) throw new ArmTemplateError("replace(): empty string to replace");
  return text.split(oldValue).join(newValue);
}

function concat(args: ArmValue[]): ArmValue {
  arity("concat", args, 1, Infinity);
  if (args.every((arg) => Array.isArray(arg))) return (args as ArmValue[][]).flat();
  return args.map((arg) => expectString("concat", arg)).join("");
}

function logical(name: "and" | "or", args: ArmValue[]): boolean {
  arity(name, args, 2, Infinity);
  const values = args.map((arg) => expectBool(name, arg));
  return name === "and" ? values.every(Boolean) : values.some(Boolean);
}

function json(args: ArmValue[]): ArmValue {
  arity("json", args, 1);
  try {
    return JSON.parse(expectString("json", args[0])) as ArmValue;
  } catch (error) {
    if (error instanceof ArmTemplateError) throw error;
    throw new ArmTemplateError(`json(): invalid JSON ${describe(args[0])}`);
  }
}

function digest(args: ArmValue[], name: string): Buffer {
  arity(name, args, 1, Infinity);
  const parts = args.map((arg) => expectString(name, arg));
  return createHash("sha256").update(parts.join("\u0000")).digest();
}

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

/**
 * Stand-in for uniqueString(): stable for the same arguments and shaped like the real one (13
 * characters of ARM's base-32 alphabet), but not ARM's hash, so names differ from a real deployment.
 */
export function uniqueStringStandIn(args: ArmValue[]): string {
  const bytes = digest(args, "uniqueString");
  return Array.from({ length: 13 }, (_, i) => BASE32[(bytes[i] as number) % 32]).join("");
}

/** Stand-in for guid(): a stable, well-formed GUID from the arguments (not ARM's own derivation). */
export function guidStandIn(args: ArmValue[]): string {
  const hex = digest(args, "guid").subarray(0, 16).toString("hex").split("");
  hex[12] = "5";
  hex[16] = "89ab"[parseInt(hex[16] as string, 16) % 4] as string;
  const h = hex.join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function constant(name: string, args: ArmValue[], value: ArmValue): ArmValue {
  arity(name, args, 0);
  return value;
}

function stringFunction(name: string, args: ArmValue[], apply: (text: string) => string): string {
  arity(name, args, 1);
  return apply(expectString(name, args[0]));
}

/** ARM's comparisons (less, lessOrEquals, greater, greaterOrEquals) take two ints or two strings (ordinal). */
function compare(name: string, args: ArmValue[], test: (order: number) => boolean): boolean {
  arity(name, args, 2);
  const [a, b] = args as [ArmValue, ArmValue];
  if (typeof a === "number" && typeof b === "number") return test(expectInt(name, a) - expectInt(name, b));
  if (typeof a === "string" && typeof b === "string") return test(a < b ? -1 : a > b ? 1 : 0);
  throw new ArmTemplateError(`${name}() compares two ints or two strings, got ${describe(a)} and ${describe(b)}`);
}

/** min() and max() of ints, given as arguments or as one array. */
function extreme(name: string, args: ArmValue[], pick: (values: number[]) => number): number {
  arity(name, args, 1, Infinity);
  const values = args.length === 1 && Array.isArray(args[0]) ? args[0] : args;
  if (values.length === 0) throw new ArmTemplateError(`${name}() of nothing`);
  return pick(values.map((value) => expectInt(name, value)));
}

const FUNCTIONS: Readonly<Record<string, ArmFunction>> = {
  and: (args) => logical("and", args),
  bool: toBool,
  coalesce,
  concat,
  contains,
  createarray: (args) => args,
  createobject: createObject,
  empty,
  equals: (args) => {
    arity("equals", args, 2);
    return deepEqual(args[0] as ArmValue, args[1] as ArmValue);
  },
  false: (args) => constant("false", args, false),
  first: (args) => endItem("first", args),
  format,
  greater: (args) => compare("greater", args, (order) => order > 0),
  greaterorequals: (args) => compare("greaterOrEquals", args, (order) => order >= 0),
  guid: guidStandIn,
  int: toInt,
  json,
  last: (args) => endItem("last", args),
  length,
  less: (args) => compare("less", args, (order) => order < 0),
  lessorequals: (args) => compare("lessOrEquals", args, (order) => order <= 0),
  max: (args) => extreme("max", args, (values) => Math.max(...values)),
  min: (args) => extreme("min", args, (values) => Math.min(...values)),
  mul: (args) => {
    arity("mul", args, 2);
    return expectInt("mul", args[0]) * expectInt("mul", args[1]);
  },
  not: (args) => {
    arity("not", args, 1);
    return !expectBool("not", args[0]);
  },
  null: (args) => constant("null", args, null),
  or: (args) => logical("or", args),
  replace,
  skip,
  split,
  string,
  take,
  tolower: (args) => stringFunction("toLower", args, (s) => s.toLowerCase()),
  toupper: (args) => stringFunction("toUpper", args, (s) => s.toUpperCase()),
  trim: (args) => stringFunction("trim", args, (s) => s.trim()),
  true: (args) => constant("true", args, true),
  tryget: tryGet,
  union,
  uniquestring: uniqueStringStandIn,
};

/** The built-in function of that name (any case), or undefined if it is not a pure one supported here. */
export function builtinFunction(name: string): ArmFunction | undefined {
  const key = name.toLowerCase();
  return Object.hasOwn(FUNCTIONS, key) ? FUNCTIONS[key] : undefined;
}

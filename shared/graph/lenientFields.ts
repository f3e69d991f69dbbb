import { isObject, type JsonObject } from "./jsonFields";

/**
 * Tolerant reads of JSON from Graph, for fields that only describe (names, times, counters, errors):
 * a field that is missing, null or of the wrong type reads as undefined, shown as unknown, and the
 * reader notes which fields it could not read so the caller can say so once. Only what identifies an
 * item (a session's id and status) is read strictly, by the parser itself.
 */
export class LenientReader {
  private readonly notes: string[] = [];

  /** Fields that were present but unreadable (`createdDateTime (number)`), in the order met. */
  get unreadable(): readonly string[] {
    return this.notes;
  }

  text(object: JsonObject | undefined, key: string, path = ""): string | undefined {
    const value = object?.[key];
    if (typeof value === "string") return value;
    return this.unexpected(value, path, key);
  }

  /** A whole number, 0 or more (Graph's Int32 counters). */
  count(object: JsonObject | undefined, key: string, path = ""): number | undefined {
    const value = object?.[key];
    if (typeof value === "number" && Number.isInteger(value) && value >= 0) return value;
    return this.unexpected(value, path, key);
  }

  /** An ISO 8601 time (what Date.parse reads). */
  time(object: JsonObject | undefined, key: string, path = ""): string | undefined {
    const value = object?.[key];
    if (typeof value !== "string") return this.unexpected(value, path, key);
    if (!Number.isNaN(Date.parse(value))) return value;
    this.notes.push(`${path === "" ? key : `${path}.${key}`} (not an ISO time)`);
    return undefined;
  }

  object(object: JsonObject | undefined, key: string, path = ""): JsonObject | undefined {
    const value = object?.[key];
    if (isObject(value)) return value;
    return this.unexpected(value, path, key);
  }

  list(object: JsonObject | undefined, key: string, path = ""): readonly unknown[] | undefined {
    const value = object?.[key];
    if (Array.isArray(value)) return value;
    return this.unexpected(value, path, key);
  }

  private unexpected(value: unknown, path: string, key: string): undefined {
    if (value !== undefined && value !== null) this.notes.push(`${path === "" ? key : `${path}.${key}`} (${typeof value === "number" ? "not a count" : Array.isArray(value) ? "array" : typeof value})`);
    return undefined;
  }
}

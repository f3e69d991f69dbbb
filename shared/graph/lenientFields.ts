import { isObject, type JsonObject } from "./jsonFields";

/**
 * An OData DateTimeOffset: ISO 8601 date and time, with Z or an offset. Date.parse alone is not
 * enough: it also reads "1", "x 1" and a date followed by text in parentheses of any length.
 */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,12})?)?(Z|[+-]\d{2}:\d{2})$/i;

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
    if (typeof value !== "number") return this.unexpected(value, path, key);
    if (Number.isInteger(value) && value >= 0) return value;
    this.notes.push(`${path === "" ? key : `${path}.${key}`} (not a count)`);
    return undefined;
  }

  /** An ISO 8601 date and time that Date.parse reads. */
  time(object: JsonObject | undefined, key: string, path = ""): string | undefined {
    const value = object?.[key];
    if (typeof value !== "string") return this.unexpected(value, path, key);
    if (ISO_DATE_TIME.test(value) && !Number.isNaN(Date.parse(value))) return value;
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
    if (value !== undefined && value !== null) this.notes.push(`${path === "" ? key : `${path}.${key}`} (${Array.isArray(value) ? "array" : typeof value})`);
    return undefined;
  }
}

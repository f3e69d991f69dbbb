import type { DimensionValue } from "../domain/telemetry";
import { scrubText } from "./redact";

/**
 * Application Insights' ingestion schema (the "Breeze" envelope of /v2.1/track), for the two record
 * types restorewatch sends: EventData (customEvents) and RemoteDependencyData (dependencies).
 */
export interface Envelope {
  readonly name: string;
  readonly time: string;
  readonly iKey: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly data: { readonly baseType: "EventData" | "RemoteDependencyData"; readonly baseData: Readonly<Record<string, unknown>> };
}

/** Who and what a record belongs to: the app (cloud role) and the invocation (operation). */
export interface OperationTags {
  readonly roleName: string;
  readonly operationId?: string;
  readonly operationName?: string;
}

export interface DependencyRecord {
  /** e.g. `GET /v1.0/solutions/backupRestore/restoreSessions` (a path, never a query). */
  readonly name: string;
  /** The URL without its query (urlWithoutQuery), or a redacted form of it. */
  readonly data: string;
  readonly target: string;
  /** `HTTP`, `Azure table`, … */
  readonly type: string;
  readonly startedAt: Date;
  readonly durationMs: number;
  /** The HTTP status, or the error's name when there was no answer. */
  readonly resultCode: string;
  readonly success: boolean;
}

/** `d.hh:mm:ss.fff`, the duration format of the schema (`00:00:00.123`; days only past 24 h). */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms));
  const days = Math.floor(total / 86_400_000);
  const pad = (n: number, width = 2): string => String(n).padStart(width, "0");
  const clock = `${pad(Math.floor(total / 3_600_000) % 24)}:${pad(Math.floor(total / 60_000) % 60)}:${pad(Math.floor(total / 1000) % 60)}.${pad(total % 1000, 3)}`;
  return days > 0 ? `${days}.${clock}` : clock;
}

/** Dimensions as customDimensions holds them: strings only (numbers as decimal text), undefined left out, scrubbed. */
export function toProperties(dimensions: Readonly<Record<string, DimensionValue>>): Record<string, string> {
  const properties: Record<string, string> = {};
  for (const [key, value] of Object.entries(dimensions)) {
    if (value === undefined) continue;
    properties[key] = typeof value === "string" ? scrubText(value) : typeof value === "number" ? (Number.isFinite(value) ? String(value) : "") : String(value);
  }
  return properties;
}

function envelopeTags(tags: OperationTags): Record<string, string> {
  return {
    "ai.cloud.role": tags.roleName,
    ...(tags.operationId && { "ai.operation.id": tags.operationId }),
    ...(tags.operationName && { "ai.operation.name": tags.operationName }),
    "ai.internal.sdkVersion": "restorewatch:1",
  };
}

function envelopeName(iKey: string, type: "Event" | "RemoteDependency"): string {
  return `Microsoft.ApplicationInsights.${iKey.replace(/-/g, "")}.${type}`;
}

export function eventEnvelope(iKey: string, tags: OperationTags, at: Date, name: string, dimensions: Readonly<Record<string, DimensionValue>>): Envelope {
  return {
    name: envelopeName(iKey, "Event"),
    time: at.toISOString(),
    iKey,
    tags: envelopeTags(tags),
    data: { baseType: "EventData", baseData: { ver: 2, name, properties: toProperties(dimensions) } },
  };
}

export function dependencyEnvelope(iKey: string, tags: OperationTags, record: DependencyRecord, id: string): Envelope {
  return {
    name: envelopeName(iKey, "RemoteDependency"),
    time: record.startedAt.toISOString(),
    iKey,
    tags: envelopeTags(tags),
    data: {
      baseType: "RemoteDependencyData",
      baseData: {
        ver: 2,
        id,
        name: scrubText(record.name, 1024),
        data: scrubText(record.data, 8192),
        target: record.target,
        type: record.type,
        duration: formatDuration(record.durationMs),
        resultCode: record.resultCode,
        success: record.success,
      },
    },
  };
}

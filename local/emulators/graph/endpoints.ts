import { WORKLOAD_SHAPES, type EmulatedWorkload, type WorkloadShape } from "./model";

/** A restore endpoint under /solutions/backupRestore, matched case-insensitively as Graph matches segments. */
export type RestoreEndpoint =
  | { kind: "list" }
  | { kind: "get"; id: string }
  | { kind: "artifacts"; id: string; workload: EmulatedWorkload; granular: boolean }
  | { kind: "bulkRequests"; id: string; workload: EmulatedWorkload; requestId?: string };

const WORKLOADS = Object.entries(WORKLOAD_SHAPES) as [EmulatedWorkload, WorkloadShape][];

function childOf(workload: EmulatedWorkload, shape: WorkloadShape, id: string, child: string, requestId: string | undefined): RestoreEndpoint | undefined {
  const name = child.toLowerCase();
  if (name === shape.bulkRequestsCollection.toLowerCase()) return { kind: "bulkRequests", id, workload, ...(requestId !== undefined && { requestId }) };
  if (requestId !== undefined) return undefined;
  if (name === shape.artifactsCollection.toLowerCase()) return { kind: "artifacts", id, workload, granular: false };
  if (name === shape.granularCollection.toLowerCase()) return { kind: "artifacts", id, workload, granular: true };
  return undefined;
}

/** The segments after /solutions/backupRestore. */
export function matchRestoreEndpoint(rest: readonly string[]): RestoreEndpoint | undefined {
  const [collection, id, child, requestId, ...more] = rest;
  if (more.length > 0 || !collection) return undefined;
  if (collection.toLowerCase() === "restoresessions" && child === undefined) return id === undefined ? { kind: "list" } : { kind: "get", id };
  if (id === undefined || child === undefined) return undefined;
  const match = WORKLOADS.find(([, shape]) => collection.toLowerCase() === shape.sessionsCollection.toLowerCase());
  return match ? childOf(match[0], match[1], id, child, requestId) : undefined;
}

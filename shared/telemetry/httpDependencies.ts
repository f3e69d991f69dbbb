import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import type { DependencySink } from "./recorder";
import { urlWithoutQuery } from "./redact";

/** One HTTP call as a dependency record: method and path as its name, the URL without its query as its data. */
export function recordHttpCall(sink: DependencySink | undefined, call: { method: string; url: URL; type?: string; startedAt: Date; durationMs: number; result: number | string }): void {
  if (!sink) return;
  const status = typeof call.result === "number" ? call.result : undefined;
  sink.dependency({
    name: `${call.method.toUpperCase()} ${call.url.pathname}`,
    data: urlWithoutQuery(call.url),
    target: call.url.host,
    type: call.type ?? "HTTP",
    startedAt: call.startedAt,
    durationMs: call.durationMs,
    resultCode: String(call.result),
    success: status !== undefined && status < 400,
  });
}

/**
 * A core-rest-pipeline policy (the Azure SDK clients' additionalPolicies, position perRetry) that
 * records each HTTP attempt as a dependency: Table Storage ("Azure table"), ACS ("HTTP").
 */
export function dependencyPolicy(sink: DependencySink, type: string): PipelinePolicy {
  return {
    name: "restorewatchDependencies",
    async sendRequest(request, next) {
      const startedAt = new Date();
      const started = performance.now();
      const url = new URL(request.url);
      try {
        const response = await next(request);
        recordHttpCall(sink, { method: request.method, url, type, startedAt, durationMs: performance.now() - started, result: response.status });
        return response;
      } catch (error) {
        const status = (error as { statusCode?: unknown }).statusCode;
        const result = typeof status === "number" ? status : error instanceof Error ? error.name : "Error";
        recordHttpCall(sink, { method: request.method, url, type, startedAt, durationMs: performance.now() - started, result });
        throw error;
      }
    },
  };
}

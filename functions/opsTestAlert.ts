import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";

/**
 * POST /api/ops/test-alert with the master key: the deployed app sends a sample alert through every
 * configured channel with its own identity and settings, and answers with each channel's result
 * (200 all delivered, 502 some failed, 500 unusable configuration; see functions/testAlertResponse.ts).
 *
 * authLevel admin: only the master key opens it (README "Test alert from the deployed app" says why).
 * The route must not start with "admin" or "runtime": the host reserves those and refuses the function.
 */
export async function opsTestAlert(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  // Loaded on the first invocation, not when the host indexes the app (see functions/runtime.ts).
  const { runTestAlert } = await import("./runtime.js");
  return runTestAlert(context);
}

app.http("opsTestAlert", {
  route: "ops/test-alert",
  methods: ["POST"],
  authLevel: "admin",
  handler: opsTestAlert,
});

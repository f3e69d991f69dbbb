import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { parseDuration } from "../../local/emulators/appInsightsEmulator";
import { isMicrosoftIngestionHost, parseAuthenticationString, parseConnectionString } from "../../shared/telemetry/connectionString";
import { createTelemetry } from "../../shared/telemetry/createTelemetry";
import { dependencyEnvelope, eventEnvelope, formatDuration, toProperties, type Envelope } from "../../shared/telemetry/envelopes";
import { IngestionExporter, type EnvelopeExporter, type ExportResult } from "../../shared/telemetry/ingestion";
import { TelemetryRecorder } from "../../shared/telemetry/recorder";
import { scrubText } from "../../shared/telemetry/redact";

const IKEY = "11111111-2222-3333-4444-555555555555";

/** Keeps what it is given; answers as told. */
class CaptureExporter implements EnvelopeExporter {
  readonly batches: Envelope[][] = [];
  constructor(private readonly answer: (batch: readonly Envelope[]) => ExportResult = (b) => ({ accepted: b.length, rejected: 0 })) {}
  async export(envelopes: readonly Envelope[]): Promise<ExportResult> {
    this.batches.push([...envelopes]);
    return this.answer(envelopes);
  }
}

describe("the connection string", () => {
  it("reads the instrumentation key and ingestion endpoint, keys in any case, the trailing slash dropped", () => {
    const text = `instrumentationkey=${IKEY};IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/;LiveEndpoint=https://westeurope.livediagnostics.monitor.azure.com/;ApplicationId=abc`;
    expect(parseConnectionString(text)).toEqual({ instrumentationKey: IKEY, ingestionEndpoint: "https://westeurope-5.in.applicationinsights.azure.com" });
  });

  it("defaults the endpoint as the SDKs do", () => {
    expect(parseConnectionString(`InstrumentationKey=${IKEY}`).ingestionEndpoint).toBe("https://dc.services.visualstudio.com");
  });

  it.each([
    ["", /InstrumentationKey/],
    ["InstrumentationKey=not-a-guid", /InstrumentationKey/],
    [`InstrumentationKey=${IKEY};IngestionEndpoint=http://in.applicationinsights.azure.com/`, /https/],
    [`InstrumentationKey=${IKEY};IngestionEndpoint=https://x.example/?sig=secret`, /plain https/],
    [`InstrumentationKey=${IKEY};IngestionEndpoint=nonsense`, /not a URL/],
  ])("refuses %j with a message that does not quote it", (text, message) => {
    expect(() => parseConnectionString(text)).toThrow(message);
    try {
      parseConnectionString(text);
    } catch (error) {
      if (text.includes("secret")) expect(String(error)).not.toContain("secret");
    }
  });

  it("reads the authentication string: Entra ID with a user-assigned identity, or not at all", () => {
    expect(parseAuthenticationString("ClientId=abc;Authorization=AAD")).toEqual({ aad: true, clientId: "abc" });
    expect(parseAuthenticationString("authorization=aad")).toEqual({ aad: true });
    expect(parseAuthenticationString(undefined)).toEqual({ aad: false });
    expect(parseAuthenticationString("ClientId=abc")).toEqual({ aad: false });
  });

  it("knows Application Insights' hosts from others", () => {
    expect(isMicrosoftIngestionHost("westeurope-5.in.applicationinsights.azure.com")).toBe(true);
    expect(isMicrosoftIngestionHost("usgovvirginia-1.in.applicationinsights.azure.us")).toBe(true);
    expect(isMicrosoftIngestionHost("applicationinsights.azure.com.evil.example")).toBe(false);
  });

  it("turns telemetry off (with a warning, not an error) for an unusable string or a token-bearing endpoint it does not trust", () => {
    const warnings: string[] = [];
    const log = { warn: (m: string) => warnings.push(m) };
    const credentialFor = (): never => {
      throw new Error("no credential should be built");
    };
    expect(createTelemetry({ env: {}, credentialFor, log }).enabled).toBe(false);
    expect(createTelemetry({ env: { APPLICATIONINSIGHTS_CONNECTION_STRING: "garbage" }, credentialFor, log }).enabled).toBe(false);
    const elsewhere = { APPLICATIONINSIGHTS_CONNECTION_STRING: `InstrumentationKey=${IKEY};IngestionEndpoint=https://collector.example/`, APPLICATIONINSIGHTS_AUTHENTICATION_STRING: "Authorization=AAD" };
    expect(createTelemetry({ env: elsewhere, credentialFor, log }).enabled).toBe(false);
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toMatch(/collector\.example is not an Application Insights host/);
  });
});

describe("envelopes", () => {
  it("formats durations as d.hh:mm:ss.fff", () => {
    expect(formatDuration(123)).toBe("00:00:00.123");
    expect(formatDuration(61_001.4)).toBe("00:01:01.001");
    expect(formatDuration(90_000_000)).toBe("1.01:00:00.000");
    expect(formatDuration(-5)).toBe("00:00:00.000");
    for (const ms of [0, 7, 999, 3_599_999, 86_400_000 + 5]) expect(parseDuration(formatDuration(ms))).toBe(ms);
  });

  it("makes every dimension a string, numbers as decimal text, and leaves out undefined ones", () => {
    expect(toProperties({ a: 12, b: true, c: "x", d: undefined, e: 0.5 })).toEqual({ a: "12", b: "true", c: "x", e: "0.5" });
  });

  it("builds an EventData envelope as the ingestion API takes it", () => {
    const envelope = eventEnvelope(IKEY, { roleName: "func-rw", operationId: "op1", operationName: "pollRestoreSessions" }, new Date("2026-12-02T10:00:00Z"), "RestorewatchRun", { runId: "r1", alertsRecorded: 2 });
    expect(envelope).toEqual({
      name: "Microsoft.ApplicationInsights.11111111222233334444555555555555.Event",
      time: "2026-12-02T10:00:00.000Z",
      iKey: IKEY,
      tags: { "ai.cloud.role": "func-rw", "ai.operation.id": "op1", "ai.operation.name": "pollRestoreSessions", "ai.internal.sdkVersion": "restorewatch:1" },
      data: { baseType: "EventData", baseData: { ver: 2, name: "RestorewatchRun", properties: { runId: "r1", alertsRecorded: "2" } } },
    });
  });

  it("builds a RemoteDependencyData envelope", () => {
    const record = { name: "GET /v1.0/solutions/backupRestore/restoreSessions", data: "https://graph.microsoft.com/v1.0/solutions/backupRestore/restoreSessions", target: "graph.microsoft.com", type: "HTTP", startedAt: new Date(0), durationMs: 42, resultCode: "200", success: true };
    expect(dependencyEnvelope(IKEY, { roleName: "rw" }, record, "abc").data).toEqual({
      baseType: "RemoteDependencyData",
      baseData: { ver: 2, id: "abc", name: record.name, data: record.data, target: record.target, type: "HTTP", duration: "00:00:00.042", resultCode: "200", success: true },
    });
  });

  it("scrubs query strings, bearer tokens and JWTs out of any text", () => {
    const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlc2ln";
    const text = `POST to https://prod.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=s3cr3t failed; Authorization: Bearer ${jwt}; sig=s3cr3t`;
    const scrubbed = scrubText(text);
    expect(scrubbed).not.toContain("s3cr3t");
    expect(scrubbed).not.toContain("eyJ");
    expect(scrubbed).toContain("https://prod.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?<redacted>");
    expect(scrubText("x".repeat(5000))).toHaveLength(1024);
  });
});

describe("the recorder", () => {
  it("sends nothing without an exporter", async () => {
    const recorder = new TelemetryRecorder();
    recorder.track("run", { runId: "r" });
    await recorder.flush({ warn: () => expect.fail("no warning expected") });
    expect(recorder.enabled).toBe(false);
  });

  it("buffers until flush, one batch per flush, tagged with the operation it was recorded in", async () => {
    const exporter = new CaptureExporter();
    const recorder = new TelemetryRecorder({ exporter, instrumentationKey: IKEY });
    await Promise.all([
      recorder.withOperation({ id: "a", name: "f" }, async () => recorder.track("alert", { alertId: "1" })),
      recorder.withOperation({ id: "b", name: "f" }, async () => recorder.track("alert", { alertId: "2" })),
    ]);
    expect(exporter.batches).toEqual([]);
    await recorder.flush();
    expect(exporter.batches).toHaveLength(1);
    expect(exporter.batches[0]?.map((e) => [e.tags["ai.operation.id"], (e.data.baseData["properties"] as Record<string, string>)["alertId"]])).toEqual([
      ["a", "1"],
      ["b", "2"],
    ]);
    await recorder.flush();
    expect(exporter.batches).toHaveLength(1);
  });

  it("drops the oldest records over its cap, counts them, and warns once per flush", async () => {
    const exporter = new CaptureExporter();
    const recorder = new TelemetryRecorder({ exporter, instrumentationKey: IKEY, maxBuffered: 3 });
    for (let i = 0; i < 5; i++) recorder.track("delivery", { attempt: i });
    const warnings: string[] = [];
    await recorder.flush({ warn: (m) => warnings.push(m) });
    expect(exporter.batches[0]?.map((e) => (e.data.baseData["properties"] as Record<string, string>)["attempt"])).toEqual(["2", "3", "4"]);
    expect(warnings).toEqual(["telemetry: 2 of 5 record(s) not sent to Application Insights (2 dropped over the buffer's 3)"]);
  });

  it("over its cap drops dependencies before run, alert and delivery records", async () => {
    const exporter = new CaptureExporter();
    const recorder = new TelemetryRecorder({ exporter, instrumentationKey: IKEY, maxBuffered: 3 });
    const call = { data: "https://graph.microsoft.com/v1.0/x", target: "graph.microsoft.com", type: "HTTP", startedAt: new Date(0), durationMs: 1, resultCode: "200", success: true };
    recorder.track("delivery", { attempt: 1, outcome: "deadLettered" });
    recorder.dependency({ ...call, name: "GET /first" });
    recorder.track("alert", { alertId: "a" });
    recorder.dependency({ ...call, name: "GET /second" });
    recorder.track("run", { runId: "r" });
    await recorder.flush({ warn: () => undefined });
    expect(exporter.batches[0]?.map((e) => e.data.baseData["name"])).toEqual(["RestorewatchDelivery", "RestorewatchAlert", "RestorewatchRun"]);
  });

  it("bounds a whole export by one budget: an ingestion endpoint that never answers costs at most the budget", async () => {
    const requests: string[] = [];
    // Accepts every request and never answers (a hung load balancer).
    const server: Server = createServer((request) => requests.push(request.url ?? ""));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const exporter = new IngestionExporter({ ingestionEndpoint: `http://127.0.0.1:${port}`, instrumentationKey: IKEY }, { timeoutInMs: 300 });
      const started = Date.now();
      const result = await exporter.export([eventEnvelope(IKEY, { roleName: "r" }, new Date(0), "RestorewatchRun", { runId: "r" })]);
      // The budget, not two attempts of it: the second attempt is not started once the budget is spent.
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(requests).toEqual(["/v2/track"]);
      expect(result).toMatchObject({ accepted: 0, rejected: 1, problem: expect.stringMatching(/ingestion request failed/) });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("never throws when the exporter does", async () => {
    const recorder = new TelemetryRecorder({
      exporter: {
        export: () => Promise.reject(new Error("boom")),
      },
      instrumentationKey: IKEY,
    });
    recorder.track("run", { runId: "r" });
    const warnings: string[] = [];
    await expect(recorder.flush({ warn: (m) => warnings.push(m) })).resolves.toBeUndefined();
    expect(warnings).toEqual(["telemetry: 1 of 1 record(s) not sent to Application Insights: boom"]);
  });
});

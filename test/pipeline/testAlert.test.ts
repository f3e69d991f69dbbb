import { describe, expect, it } from "vitest";
import type { AlertChannel } from "../../shared/channels/channel";
import type { ChannelsConfig } from "../../shared/config/config";
import { describeTestResult, sendTestAlertThrough } from "../../shared/pipeline/testAlert";
import { testAlertResponse } from "../../functions/testAlertResponse";
import { RecordingChannel } from "../support/recordingChannel";

/**
 * The test alert's per-channel results, shared by `restorewatch test-alert` and the opsTestAlert
 * function: one result per channel in order, a throwing channel is a failed result, errors are cut
 * and never carry the webhook URL, its signature or an ACS key, whatever the far side echoed.
 */
const SIG = "S1gnatureValue_abcdefghijklmnopqrstuvwxyz";
const WEBHOOK = new URL(`https://prod-12.westeurope.logic.azure.com/workflows/0f1e2d3c4b5a/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${SIG}`);
const ACCESS_KEY = "c2VjcmV0LWFjY2Vzcy1rZXktdmFsdWUtMTIzNDU2Nzg5MA==";
const CONFIG: ChannelsConfig = {
  email: { connectionString: `endpoint=https://acs-rw.europe.communication.azure.com/;accesskey=${ACCESS_KEY}`, from: "DoNotReply@contoso.com", to: ["a@contoso.com"] },
  teams: { webhookUrl: WEBHOOK },
  maxAttempts: 5,
};
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
const options = { tenantId: "contoso.onmicrosoft.com", now: new Date("2026-12-02T10:00:00.000Z"), log: silent, channelLog: () => undefined };

describe("the test alert's results", () => {
  it("sends one sample to each channel and answers for each, in order", async () => {
    const email = new RecordingChannel("email");
    const teams = new RecordingChannel("teams");
    teams.answerNext({ kind: "deadLetter", error: "HTTP 404: flow deleted" });
    const result = await sendTestAlertThrough([email, teams], CONFIG, options);
    expect(result).toEqual({
      alertId: "test-20261202T100000000Z",
      channels: [
        { channel: "email", outcome: "delivered", messageId: "msg-1" },
        { channel: "teams", outcome: "failed", retryable: false, error: "HTTP 404: flow deleted" },
      ],
    });
    expect(email.sent.map((s) => s.alerts.map((a) => [a.id, a.tenantId, a.session.createdBy]))).toEqual([[["test-20261202T100000000Z", "contoso.onmicrosoft.com", "restorewatch test-alert"]]]);
    expect(result.channels.map(describeTestResult)).toEqual(["email: delivered (msg-1)", "teams: deadLetter: HTTP 404: flow deleted"]);
    expect(testAlertResponse(result)).toEqual({ status: 502, jsonBody: result });
    expect(testAlertResponse({ ...result, channels: [result.channels[0] as (typeof result.channels)[number]] }).status).toBe(200);
  });

  it("turns a channel that throws into a failed, retryable result, and keeps secrets and length out of every error", async () => {
    const echo = new RecordingChannel("teams");
    echo.answerNext({ kind: "retry", error: `gateway said: ${WEBHOOK.href} / ${WEBHOOK.pathname}${WEBHOOK.search} / sig=${encodeURIComponent(SIG)} ${"x".repeat(2000)}` });
    const throwing: AlertChannel = {
      name: "email",
      send: () => Promise.reject(new Error(`socket hang up (accesskey=${ACCESS_KEY})`)),
      sendNotice: () => Promise.reject(new Error("unused")),
    };
    const result = await sendTestAlertThrough([throwing, echo], CONFIG, options);
    expect(result.channels.map((c) => [c.channel, c.outcome, c.outcome === "failed" && c.retryable])).toEqual([
      ["email", "failed", true],
      ["teams", "failed", true],
    ]);
    const text = JSON.stringify(result);
    for (const secret of [SIG, ACCESS_KEY, WEBHOOK.pathname, "0f1e2d3c4b5a"]) expect(text).not.toContain(secret);
    expect(result.channels[0]).toMatchObject({ error: "socket hang up (accesskey=<redacted>)" });
    const teamsError = result.channels[1]?.outcome === "failed" ? result.channels[1].error : "";
    expect(teamsError.startsWith("gateway said: <redacted> / <redacted> / sig=<redacted> x")).toBe(true);
    expect(teamsError.length).toBe(500);
    expect(teamsError.endsWith("…")).toBe(true);
  });
});

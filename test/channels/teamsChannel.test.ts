import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SendContext } from "../../shared/channels/channel";
import { TeamsChannel } from "../../shared/channels/teamsChannel";
import { validateTeamsWebhookUrl } from "../../shared/config/teamsWebhookUrl";
import { makeAlert, makeDigest } from "../alerts/alertFixtures";
import { teamsMessageProblems } from "../alerts/adaptiveCardCheck";
import { TeamsReceiver } from "../../local/emulators/teamsReceiver";
import { loadTestTls } from "../../local/emulators/tls";

describe("TeamsChannel against the Workflows receiver", () => {
  let receiver: TeamsReceiver;
  let lines: string[];
  let channel: TeamsChannel;
  const context = (): SendContext => ({ groupKey: "group", log: (line) => lines.push(line) });

  beforeEach(async () => {
    receiver = await TeamsReceiver.start({ tls: loadTestTls() });
    lines = [];
    channel = new TeamsChannel({ webhookUrl: validateTeamsWebhookUrl(receiver.url, ["127.0.0.1"]) }, { timeoutInMs: 300 });
  });

  afterEach(async () => {
    // Whatever happened, neither the URL nor its signature reached the log.
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join("\n")).not.toContain(receiver.secret);
    expect(lines.join("\n")).not.toContain("/workflows/");
    for (const post of receiver.posts) expect(teamsMessageProblems(post.body)).toEqual([]);
    await receiver.stop();
  });

  it("delivers on 202 and reports the run id", async () => {
    const outcome = await channel.send([makeAlert()], context());
    expect(outcome).toEqual({ kind: "delivered", messageId: expect.stringMatching(/^HTTP 202 run [0-9a-f-]{36}$/) });
    expect(receiver.posts).toHaveLength(1);
    expect(receiver.posts[0]?.contentType).toBe("application/json");
    expect(lines).toEqual([expect.stringMatching(/^teams: POST \d+ bytes to https:\/\/127\.0\.0\.1:\d+\/…: delivered/)]);
  });

  it("delivers a 200-session digest within the size limit", async () => {
    expect(await channel.send(makeDigest(200), context())).toMatchObject({ kind: "delivered" });
    expect(receiver.posts[0]?.bytes).toBeLessThanOrEqual(20_000);
  });

  it("retries a 429 after its Retry-After", async () => {
    receiver.respondWith(1, { status: 429, retryAfterSeconds: 17, body: '{"error":{"code":"TooManyRequests"}}' });
    expect(await channel.send([makeAlert()], context())).toEqual({ kind: "retry", error: 'HTTP 429: {"error":{"code":"TooManyRequests"}}', retryAfterInMs: 17_000 });
  });

  it("retries a 500", async () => {
    receiver.respondWith(1, { status: 500, body: "upstream failure" });
    expect(await channel.send([makeAlert()], context())).toEqual({ kind: "retry", error: "HTTP 500: upstream failure" });
  });

  it("dead-letters a 400 with its status and a truncated body", async () => {
    const body = `{"error":{"code":"InvalidTemplate","message":"${"x".repeat(1_000)}"}}`;
    receiver.respondWith(1, { status: 400, body });
    const outcome = await channel.send([makeAlert()], context());
    expect(outcome).toMatchObject({ kind: "deadLetter", error: expect.stringMatching(/^HTTP 400: \{"error":\{"code":"InvalidTemplate".*…$/) });
    expect(outcome.kind === "deadLetter" && outcome.error.length).toBeLessThan(320);
  });

  it("retries when the receiver does not answer within the timeout", async () => {
    receiver.respondWith(1, { hang: true });
    const started = Date.now();
    expect(await channel.send([makeAlert()], context())).toEqual({ kind: "retry", error: "POST to https://127.0.0.1:" + new URL(receiver.url).port + "/… failed: no answer within 300 ms" });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("retries a legacy connector's 200 that reports throttling in the body", async () => {
    receiver.respondWith(1, { status: 200, body: "Microsoft Teams endpoint returned HTTP error 429 with ContextId tcid=0" });
    expect(await channel.send([makeAlert()], context())).toMatchObject({ kind: "retry", error: expect.stringContaining("throttling") });
  });

  it("dead-letters a wrong signature (401) without quoting the URL", async () => {
    const wrong = new URL(receiver.url);
    wrong.searchParams.set("sig", "not-the-signature");
    const wrongChannel = new TeamsChannel({ webhookUrl: wrong }, { timeoutInMs: 300 });
    const outcome = await wrongChannel.send([makeAlert()], context());
    expect(outcome).toMatchObject({ kind: "deadLetter", error: expect.stringContaining("HTTP 401") });
    expect(JSON.stringify(outcome)).not.toContain("not-the-signature");
    expect(receiver.unauthorized).toBe(1);
  });

  it("retries when nothing listens, naming only the host", async () => {
    const url = receiver.url;
    await receiver.stop();
    const outcome = await new TeamsChannel({ webhookUrl: new URL(url) }, { timeoutInMs: 300 }).send([makeAlert()], context());
    expect(outcome).toMatchObject({ kind: "retry", error: expect.stringMatching(/^POST to https:\/\/127\.0\.0\.1:\d+\/… failed: /) });
    expect(JSON.stringify(outcome)).not.toContain(receiver.secret);
    receiver = await TeamsReceiver.start({ tls: loadTestTls() });
  });

  it("stops waiting when the caller aborts", async () => {
    receiver.respondWith(1, { hang: true });
    const controller = new AbortController();
    const sending = new TeamsChannel({ webhookUrl: new URL(receiver.url) }, { timeoutInMs: 30_000 }).send([makeAlert()], { ...context(), abortSignal: controller.signal });
    controller.abort();
    expect(await sending).toMatchObject({ kind: "retry", error: expect.stringContaining("cancelled") });
  });
});

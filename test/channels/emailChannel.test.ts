import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SendContext } from "../../shared/channels/channel";
import { deterministicOperationId, EmailChannel, MAX_RECIPIENTS_PER_MESSAGE, type EmailChannelOptions } from "../../shared/channels/emailChannel";
import type { EmailChannelConfig } from "../../shared/config/config";
import { loadTestTls } from "../../local/emulators/tls";
import { makeAlert, makeDigest } from "../alerts/alertFixtures";
import { ACS_AUDIENCE, AcsEmailEmulator } from "../../local/emulators/acsEmailEmulator";
import { TokenIssuer } from "../../local/emulators/tokens";

const SENDER = "DoNotReply@0c1d2e3f.azurecomm.net";
const FAST: EmailChannelOptions = { pollIntervalInMs: 10, operationWaitInMs: 2_000, requestTimeoutInMs: 5_000 };

function recipients(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `admin${index}@contoso.com`);
}

function context(groupKey: string, lines: string[] = []): SendContext {
  return { groupKey, log: (line) => lines.push(line) };
}

describe("EmailChannel through the real SDK, connection string (HMAC)", () => {
  let acs: AcsEmailEmulator;
  let config: EmailChannelConfig;

  beforeEach(async () => {
    acs = await AcsEmailEmulator.start({ tls: loadTestTls() });
    config = { connectionString: acs.connectionString, from: SENDER, to: ["ops@contoso.com", "backup-admins@contoso.com"] };
  });
  afterEach(() => acs.stop());

  it("delivers one alert as one message with both bodies, the subject and the recipients", async () => {
    const channel = new EmailChannel(config, FAST);
    const alert = makeAlert();
    const outcome = await channel.send([alert], context("group-one"));

    const operationId = deterministicOperationId("group-one", config.to);
    expect(outcome).toEqual({ kind: "delivered", messageId: operationId });
    expect(acs.messages).toHaveLength(1);
    const [message] = acs.messages;
    expect(message).toMatchObject({
      operationId,
      sender: SENDER,
      recipients: { to: config.to, cc: [], bcc: [] },
      subject: "[restorewatch] SharePoint restore failed: 3 of 5 sites",
      userEngagementTrackingDisabled: true,
      auth: "hmac",
    });
    expect(message?.html).toContain("<!DOCTYPE html>");
    expect(message?.plainText).toContain("Session id: 0f3a8c2e-5b1d-4c7a-9e6f-2d8b4a1c7e90");
    // Looked up first (404), then sent, then polled: all signed and accepted.
    expect(acs.requests.map((r) => `${r.method} ${r.status}`)).toEqual(["GET 404", "POST 202", "GET 200"]);
    expect(acs.requests.every((r) => r.auth === "hmac")).toBe(true);
    expect(acs.requests[0]?.path).toBe(`/emails/operations/${operationId}?api-version=2025-09-01`);
  });

  it("splits 60 recipients into messages of at most 50, each with its own operation", async () => {
    const to = recipients(60);
    const channel = new EmailChannel({ ...config, to }, FAST);
    const outcome = await channel.send(makeDigest(3), context("group-sixty"));

    expect(acs.messages.map((m) => m.recipients.to.length)).toEqual([MAX_RECIPIENTS_PER_MESSAGE, 10]);
    expect(acs.messages.flatMap((m) => m.recipients.to)).toEqual(to);
    expect(new Set(acs.messages.map((m) => m.operationId)).size).toBe(2);
    expect(outcome).toEqual({ kind: "delivered", messageId: acs.messages.map((m) => m.operationId).join(",") });
  });

  it("answers retry with the Retry-After of a 429", async () => {
    acs.failNext(1, { status: 429, retryAfterSeconds: 42 });
    const outcome = await new EmailChannel(config, FAST).send([makeAlert()], context("group-429"));
    expect(outcome).toMatchObject({ kind: "retry", retryAfterInMs: 42_000 });
    expect(acs.messages).toHaveLength(0);
  });

  it("retries a 500 and then delivers on the next attempt", async () => {
    acs.failNext(1, { status: 500 });
    const channel = new EmailChannel(config, FAST);
    expect(await channel.send([makeAlert()], context("group-500"))).toMatchObject({ kind: "retry", error: expect.stringContaining("HTTP 500") });
    expect(await channel.send([makeAlert()], context("group-500"))).toMatchObject({ kind: "delivered" });
    expect(acs.messages).toHaveLength(1);
  });

  it("dead-letters an operation that ends Failed with DomainNotLinked", async () => {
    acs.failOperations(1, { code: "DomainNotLinked", message: "The specified sender domain has not been linked." });
    const outcome = await new EmailChannel(config, FAST).send([makeAlert()], context("group-domain"));
    expect(outcome).toEqual({
      kind: "deadLetter",
      error: expect.stringMatching(/failed: DomainNotLinked: The specified sender domain has not been linked/),
    });
  });

  it("dead-letters a 400 from the send itself", async () => {
    acs.failNext(1, { status: 400, code: "InvalidEmailAddress", message: "The recipient address is not valid." });
    const outcome = await new EmailChannel(config, FAST).send([makeAlert()], context("group-400"));
    expect(outcome).toMatchObject({ kind: "deadLetter", error: expect.stringContaining("InvalidEmailAddress") });
  });

  it("sends again under the next operation id when an operation failed transiently", async () => {
    acs.failOperations(1, { code: "ServiceUnavailable", message: "Try again." });
    const outcome = await new EmailChannel(config, FAST).send([makeAlert()], context("group-transient"));
    expect(outcome).toEqual({ kind: "delivered", messageId: deterministicOperationId("group-transient", config.to, 1) });
    expect(acs.messages.map((m) => m.operationId)).toEqual([deterministicOperationId("group-transient", config.to, 0), deterministicOperationId("group-transient", config.to, 1)]);
  });

  it("crash between send and mark: a second send of the same group finds the operation and sends nothing", async () => {
    const alerts = [makeAlert()];
    const first = await new EmailChannel(config, FAST).send(alerts, context("group-crash"));
    // The process dies here, before the outbox records "delivered"; a new instance retries the group.
    const second = await new EmailChannel(config, FAST).send(alerts, context("group-crash"));

    expect(first).toEqual(second);
    expect(second).toMatchObject({ kind: "delivered" });
    expect(acs.messages).toHaveLength(1);
    expect(acs.requests.filter((r) => r.method === "POST")).toHaveLength(1);
    expect(acs.duplicateSends).toBe(0);
  });

  it("a lost response (the send was accepted, the answer never came) is not sent twice", async () => {
    acs.failNext(1, { hangMs: 60_000 });
    const channel = new EmailChannel(config, { ...FAST, requestTimeoutInMs: 300 });
    const first = await channel.send([makeAlert()], context("group-lost"));
    expect(first).toMatchObject({ kind: "retry" });

    const second = await channel.send([makeAlert()], context("group-lost"));
    expect(second).toMatchObject({ kind: "delivered" });
    expect(acs.messages).toHaveLength(1);
  });

  it("an operation still running after the bounded wait is retried, and the retry only checks it", async () => {
    await acs.stop();
    acs = await AcsEmailEmulator.start({ tls: loadTestTls(), runningPolls: 1_000, retryAfterSeconds: 0 });
    const channel = new EmailChannel({ ...config, connectionString: acs.connectionString }, { ...FAST, operationWaitInMs: 100 });
    const first = await channel.send([makeAlert()], context("group-slow"));
    expect(first).toMatchObject({ kind: "retry", error: expect.stringContaining("still running") });

    const operation = acs.operations.get(deterministicOperationId("group-slow", config.to));
    if (operation) operation.runningPollsLeft = 0;
    const second = await channel.send([makeAlert()], context("group-slow"));
    expect(second).toMatchObject({ kind: "delivered" });
    expect(acs.requests.filter((r) => r.method === "POST")).toHaveLength(1);
  });

  it("polls a Running operation until it succeeds within the wait", async () => {
    await acs.stop();
    acs = await AcsEmailEmulator.start({ tls: loadTestTls(), runningPolls: 3, retryAfterSeconds: 0 });
    const outcome = await new EmailChannel({ ...config, connectionString: acs.connectionString }, FAST).send([makeAlert()], context("group-poll"));
    expect(outcome).toMatchObject({ kind: "delivered" });
    expect(acs.requests.filter((r) => r.method === "GET" && r.status === 200)).toHaveLength(4);
  });

  it("retries when the access key is wrong (the operator can fix it) and never logs the key", async () => {
    const wrongKey = Buffer.alloc(32, 7).toString("base64");
    const lines: string[] = [];
    const channel = new EmailChannel({ ...config, connectionString: `endpoint=${acs.endpoint}/;accesskey=${wrongKey}` }, FAST);
    const outcome = await channel.send([makeAlert()], context("group-key", lines));
    expect(outcome).toMatchObject({ kind: "retry", error: expect.stringContaining("HTTP 401") });
    expect(acs.requests[0]?.status).toBe(401);
    expect(JSON.stringify({ outcome, lines })).not.toContain(wrongKey);
  });

  it("does not echo a malformed connection string", () => {
    const secret = "c2VjcmV0LWtleS1tYXRlcmlhbA==";
    expect(() => new EmailChannel({ ...config, connectionString: `accesskey=${secret}` })).toThrow(/not a valid connection string/);
    try {
      new EmailChannel({ ...config, connectionString: `accesskey=${secret}` });
    } catch (error) {
      expect(String(error)).not.toContain(secret);
    }
  });

  it("retries when ACS cannot be reached", async () => {
    const endpoint = acs.endpoint;
    await acs.stop();
    const outcome = await new EmailChannel({ ...config, connectionString: `endpoint=${endpoint}/;accesskey=${acs.accessKey}` }, FAST).send([makeAlert()], context("group-down"));
    expect(outcome.kind).toBe("retry");
    acs = await AcsEmailEmulator.start({ tls: loadTestTls() });
  });

  it("is throttled by the Azure-managed domain limit and says when to come back", async () => {
    acs.managedDomainLimits = true;
    const channel = new EmailChannel(config, FAST);
    const outcomes = [];
    for (let i = 0; i < 6; i++) outcomes.push(await channel.send([makeAlert({ sessionId: `s-${i}` })], context(`group-rate-${i}`)));
    expect(outcomes.slice(0, 5).every((o) => o.kind === "delivered")).toBe(true);
    expect(outcomes[5]).toMatchObject({ kind: "retry", retryAfterInMs: expect.any(Number) });
    expect(acs.messages).toHaveLength(5);
  });
});

describe("EmailChannel through the real SDK, Entra token (managed identity path)", () => {
  let acs: AcsEmailEmulator;
  const issuer = new TokenIssuer();

  beforeEach(async () => {
    acs = await AcsEmailEmulator.start({ tls: loadTestTls(), issuer });
  });
  afterEach(() => acs.stop());

  it("sends with a bearer token for https://communication.azure.com", async () => {
    const credential = issuer.credential({ audience: ACS_AUDIENCE });
    const channel = new EmailChannel({ endpoint: acs.endpoint, from: SENDER, to: ["ops@contoso.com"] }, { ...FAST, credential });
    const outcome = await channel.send([makeAlert()], context("group-token"));
    expect(outcome).toMatchObject({ kind: "delivered" });
    expect(acs.messages).toMatchObject([{ auth: "bearer", recipients: { to: ["ops@contoso.com"] } }]);
    expect(acs.requests.every((r) => r.auth === "bearer")).toBe(true);
    expect(credential.calls).toBeGreaterThan(0);
  });

  it("is refused a token for another audience", async () => {
    const credential = issuer.credential({ audience: "https://graph.microsoft.com" });
    const channel = new EmailChannel({ endpoint: acs.endpoint, from: SENDER, to: ["ops@contoso.com"] }, { ...FAST, credential });
    expect(await channel.send([makeAlert()], context("group-audience"))).toMatchObject({ kind: "retry", error: expect.stringContaining("HTTP 401") });
    expect(acs.messages).toHaveLength(0);
  });

  it("needs a credential for an endpoint", () => {
    expect(() => new EmailChannel({ endpoint: acs.endpoint, from: SENDER, to: ["ops@contoso.com"] })).toThrow(/needs a credential/);
  });
});

describe("deterministicOperationId", () => {
  it("is a UUID that depends on the group, the recipients (in any order) and the generation", () => {
    const id = deterministicOperationId("g", ["a@x.com", "b@x.com"]);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deterministicOperationId("g", ["B@x.com", "a@x.com"])).toBe(id);
    expect(deterministicOperationId("h", ["a@x.com", "b@x.com"])).not.toBe(id);
    expect(deterministicOperationId("g", ["a@x.com"])).not.toBe(id);
    expect(deterministicOperationId("g", ["a@x.com", "b@x.com"], 1)).not.toBe(id);
  });
});

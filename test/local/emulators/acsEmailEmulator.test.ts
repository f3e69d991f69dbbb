import { createHash, createHmac, randomUUID } from "node:crypto";
import { EmailClient, type EmailMessage } from "@azure/communication-email";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadTestTls } from "../../../local/emulators/tls";
import { ACS_AUDIENCE, ACS_API_VERSION, AcsEmailEmulator } from "../../../local/emulators/acsEmailEmulator";
import { TokenIssuer } from "../../../local/emulators/tokens";

const MESSAGE: EmailMessage = {
  senderAddress: "DoNotReply@0c1d2e3f.azurecomm.net",
  content: { subject: "Restore failed", plainText: "text", html: "<p>html</p>" },
  recipients: { to: [{ address: "ops@contoso.com" }] },
};

/** Signs like @azure/communication-common's access-key policy (checked against the SDK in the first test). */
function signed(url: URL, method: string, body: string, key: string, date = new Date().toUTCString()): Record<string, string> {
  const contentHash = createHash("sha256").update(body).digest("base64");
  const query = url.searchParams.toString();
  const stringToSign = `${method}\n${query ? `${url.pathname}?${query}` : url.pathname}\n${date};${url.host};${contentHash}`;
  const signature = createHmac("sha256", Buffer.from(key, "base64")).update(stringToSign).digest("base64");
  return {
    "x-ms-date": date,
    "x-ms-content-sha256": contentHash,
    authorization: `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${signature}`,
    "content-type": "application/json",
  };
}

function wireMessage(recipients = 1): string {
  return JSON.stringify({
    senderAddress: MESSAGE.senderAddress,
    content: MESSAGE.content,
    recipients: { to: Array.from({ length: recipients }, (_, index) => ({ address: `admin${index}@contoso.com` })) },
  });
}

describe("AcsEmailEmulator", () => {
  let acs: AcsEmailEmulator;
  let clock: number;

  beforeEach(async () => {
    clock = Date.now();
    acs = await AcsEmailEmulator.start({ tls: loadTestTls(), now: () => clock });
  });
  afterEach(() => acs.stop());

  async function post(body: string, options: { operationId?: string; key?: string; date?: string; tamper?: boolean; query?: string } = {}): Promise<Response> {
    const url = new URL(`${acs.endpoint}/emails:send?${options.query ?? `api-version=${ACS_API_VERSION}`}`);
    const headers = signed(url, "POST", body, options.key ?? acs.accessKey, options.date);
    return fetch(url, { method: "POST", headers: { ...headers, ...(options.operationId && { "operation-id": options.operationId }) }, body: options.tamper ? `${body} ` : body });
  }

  async function get(operationId: string): Promise<Response> {
    const url = new URL(`${acs.endpoint}/emails/operations/${operationId}?api-version=${ACS_API_VERSION}`);
    return fetch(url, { headers: signed(url, "GET", "", acs.accessKey) });
  }

  it("accepts the real SDK's HMAC-signed send, honours its operation id and completes the operation", async () => {
    const client = new EmailClient(acs.connectionString);
    const operationId = randomUUID();
    const poller = await client.beginSend(MESSAGE, { operationId, updateIntervalInMs: 10 });
    const result = await poller.pollUntilDone();
    expect(result).toMatchObject({ id: operationId, status: "Succeeded" });
    expect(acs.messages).toMatchObject([{ operationId, subject: "Restore failed", html: "<p>html</p>", plainText: "text", recipients: { to: ["ops@contoso.com"] }, auth: "hmac" }]);
    expect(acs.requests[0]).toMatchObject({ method: "POST", path: `/emails:send?api-version=${ACS_API_VERSION}`, operationId, status: 202 });
  });

  it("answers 202 with Operation-Location, operation-id and retry-after, then Running and Succeeded", async () => {
    await acs.stop();
    acs = await AcsEmailEmulator.start({ tls: loadTestTls(), runningPolls: 1, retryAfterSeconds: 3 });
    const operationId = randomUUID();
    const accepted = await post(wireMessage(), { operationId });
    expect(accepted.status).toBe(202);
    expect(accepted.headers.get("operation-location")).toBe(`${acs.endpoint}/emails/operations/${operationId}?api-version=${ACS_API_VERSION}`);
    expect(accepted.headers.get("operation-id")).toBe(operationId);
    expect(accepted.headers.get("retry-after")).toBe("3");
    expect(await accepted.json()).toEqual({ id: operationId, status: "Running" });

    const running = await get(operationId);
    expect(running.headers.get("retry-after")).toBe("3");
    expect(await running.json()).toEqual({ id: operationId, status: "Running" });
    expect(await (await get(operationId)).json()).toEqual({ id: operationId, status: "Succeeded" });
  });

  it("refuses a tampered body, a wrong key, a stale date and an unsigned request", async () => {
    expect((await post(wireMessage(), { tamper: true })).status).toBe(401);
    expect((await post(wireMessage(), { key: Buffer.alloc(32, 1).toString("base64") })).status).toBe(401);
    expect((await post(wireMessage(), { date: new Date(clock - 3_600_000).toUTCString() })).status).toBe(401);
    const unsigned = await fetch(`${acs.endpoint}/emails:send?api-version=${ACS_API_VERSION}`, { method: "POST", body: wireMessage() });
    expect(unsigned.status).toBe(401);
    expect(await unsigned.json()).toMatchObject({ error: { code: "Denied" } });
    expect(acs.messages).toHaveLength(0);
  });

  it("accepts the SDK's bearer token when given an issuer, for the ACS audience only", async () => {
    await acs.stop();
    const issuer = new TokenIssuer();
    acs = await AcsEmailEmulator.start({ tls: loadTestTls(), issuer });
    const good = new EmailClient(acs.endpoint, issuer.credential({ audience: ACS_AUDIENCE }));
    await (await good.beginSend(MESSAGE, { updateIntervalInMs: 10 })).pollUntilDone();
    expect(acs.messages).toMatchObject([{ auth: "bearer" }]);

    const wrongAudience = new EmailClient(acs.endpoint, issuer.credential({ audience: "https://graph.microsoft.com" }), { retryOptions: { maxRetries: 0 } });
    await expect(wrongAudience.beginSend(MESSAGE)).rejects.toMatchObject({ statusCode: 401 });
    const otherIssuer = new EmailClient(acs.endpoint, new TokenIssuer().credential({ audience: ACS_AUDIENCE }), { retryOptions: { maxRetries: 0 } });
    await expect(otherIssuer.beginSend(MESSAGE)).rejects.toMatchObject({ statusCode: 401 });
    expect(acs.messages).toHaveLength(1);
  });

  it("answers a repeated operation id as the original and records no second message", async () => {
    const operationId = randomUUID();
    await post(wireMessage(), { operationId });
    await get(operationId);
    const again = await post(wireMessage(), { operationId });
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual({ id: operationId, status: "Succeeded" });
    expect(acs.messages).toHaveLength(1);
    expect(acs.duplicateSends).toBe(1);
  });

  it("404s an unknown operation and 400s bad requests", async () => {
    const unknown = await get(randomUUID());
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("x-ms-error-code")).toBe("NotFound");
    expect((await post(wireMessage(51))).status).toBe(400);
    expect((await post(wireMessage(), { operationId: "not-a-uuid" })).status).toBe(400);
    expect((await post(wireMessage(), { query: "" })).status).toBe(400);
    expect((await post("{not json")).status).toBe(400);
  });

  it("fails the next sends or status reads as told", async () => {
    acs.failNext(1, { status: 429, retryAfterSeconds: 30 });
    acs.failNext(1, { status: 500 });
    acs.failNext(1, { status: 503 }, "operation");
    const throttled = await post(wireMessage());
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get("retry-after")).toBe("30");
    expect((await post(wireMessage())).status).toBe(500);
    const operationId = randomUUID();
    expect((await post(wireMessage(), { operationId })).status).toBe(202);
    expect((await get(operationId)).status).toBe(503);
    expect((await get(operationId)).status).toBe(200);
  });

  it("ends an accepted operation Failed when told", async () => {
    acs.failOperations(1, { code: "DomainNotLinked", message: "The specified sender domain has not been linked." });
    const operationId = randomUUID();
    expect((await post(wireMessage(), { operationId })).status).toBe(202);
    expect(await (await get(operationId)).json()).toEqual({
      id: operationId,
      status: "Failed",
      error: { code: "DomainNotLinked", message: "The specified sender domain has not been linked." },
    });
  });

  it("with linkedSenderDomains, ends a send from another domain Failed with DomainNotLinked", async () => {
    await acs.stop();
    acs = await AcsEmailEmulator.start({ tls: loadTestTls(), linkedSenderDomains: ["0C1D2E3F.azurecomm.net"] });
    const linked = randomUUID();
    expect((await post(wireMessage(), { operationId: linked })).status).toBe(202);
    expect(await (await get(linked)).json()).toEqual({ id: linked, status: "Succeeded" });
    const unlinked = randomUUID();
    const otherSender = JSON.stringify({ ...(JSON.parse(wireMessage()) as object), senderAddress: "DoNotReply@contoso.com" });
    expect((await post(otherSender, { operationId: unlinked })).status).toBe(202);
    expect(await (await get(unlinked)).json()).toEqual({ id: unlinked, status: "Failed", error: { code: "DomainNotLinked", message: "The specified sender domain has not been linked." } });
  });

  it("with hangMs, accepts the send but answers late (a lost response)", async () => {
    acs.failNext(1, { hangMs: 60_000 });
    const operationId = randomUUID();
    const pending = post(wireMessage(), { operationId }).catch((error: unknown) => error);
    await expect.poll(() => acs.messages.length).toBe(1);
    expect(acs.operations.has(operationId)).toBe(true);
    await acs.stop(); // closes the hanging socket
    expect(await pending).toBeInstanceOf(Error);
    acs = await AcsEmailEmulator.start({ tls: loadTestTls() });
  });

  it("enforces the Azure-managed domain limits: 5 sends a minute, 10 an hour, throttled ones counted", async () => {
    acs.managedDomainLimits = true;
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await post(wireMessage())).status);
    expect(statuses).toEqual([202, 202, 202, 202, 202, 429]);
    const throttled = await post(wireMessage());
    expect(Number(throttled.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(Number(throttled.headers.get("retry-after"))).toBeLessThanOrEqual(60);

    clock += 61_000;
    const nextMinute: number[] = [];
    for (let i = 0; i < 4; i++) nextMinute.push((await post(wireMessage())).status);
    // 7 requests already count this hour (two of them throttled): three more are allowed, then the hour is full.
    expect(nextMinute).toEqual([202, 202, 202, 429]);
    const hourly = await post(wireMessage());
    expect(hourly.status).toBe(429);
    expect(Number(hourly.headers.get("retry-after"))).toBeGreaterThan(60);
    expect(acs.messages).toHaveLength(8);
  });
});

import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FaultProxy, tableRequests } from "../support/faultProxy";

/** A stand-in service that counts the writes it committed. */
let service: http.Server;
let committed: string[];
let proxy: FaultProxy;

beforeEach(async () => {
  committed = [];
  service = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      committed.push(`${req.method} ${req.url} ${body}`);
      res.writeHead(201, { "content-type": "application/json" }).end(JSON.stringify({ ok: true }));
    });
  });
  await new Promise<void>((resolve) => service.listen(0, "127.0.0.1", () => resolve()));
  proxy = await FaultProxy.start({ port: (service.address() as AddressInfo).port });
});
afterEach(async () => {
  await proxy.stop();
  await new Promise<void>((resolve) => service.close(() => resolve()));
});

async function send(path: string, body = "{}"): Promise<{ status: number; body: string; code: string | null } | { error: string }> {
  try {
    const response = await fetch(`http://127.0.0.1:${proxy.port}${path}`, { method: "POST", body, headers: { connection: "close" } });
    return { status: response.status, body: await response.text(), code: response.headers.get("x-ms-error-code") };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

describe("FaultProxy", () => {
  it("passes requests through and logs them", async () => {
    expect(await send("/devstoreaccount1/t", '{"RowKey":"x"}')).toMatchObject({ status: 201 });
    expect(committed).toEqual(['POST /devstoreaccount1/t {"RowKey":"x"}']);
    expect(proxy.requests).toMatchObject([{ seq: 1, method: "POST", path: "/devstoreaccount1/t", outcome: "201" }]);
  });

  it("answers a status in Table Storage's error shape for the Nth matching request only, without forwarding it", async () => {
    proxy.rule(tableRequests.batch, { kind: "status", status: 503 }, { skip: 1, times: 1 });
    expect(await send("/devstoreaccount1/$batch")).toMatchObject({ status: 201 });
    expect(await send("/devstoreaccount1/$batch")).toMatchObject({ status: 503, code: "ServerBusy", body: expect.stringContaining('"odata.error"') });
    expect(await send("/devstoreaccount1/$batch")).toMatchObject({ status: 201 });
    expect(committed).toHaveLength(2);
  });

  it("resets a connection before the service sees the request", async () => {
    proxy.rule(tableRequests.any, { kind: "reset" }, { times: 1 });
    expect(await send("/x")).toMatchObject({ error: expect.any(String) });
    expect(committed).toEqual([]);
  });

  it("loses the answer of a committed write", async () => {
    proxy.rule(tableRequests.any, { kind: "dropResponse" }, { times: 1 });
    expect(await send("/x")).toMatchObject({ error: expect.any(String) });
    expect(committed).toHaveLength(1);
    expect(proxy.requests[0]?.outcome).toBe("201 committed, answer lost");
  });

  it("holds a request until released, or drops it", async () => {
    proxy.rule(tableRequests.any, { kind: "hold" }, { times: 2 });
    const first = send("/one");
    await proxy.next(() => true, "held");
    expect(committed).toEqual([]);
    proxy.releaseHeld(true);
    expect(await first).toMatchObject({ status: 201 });
    const second = send("/two");
    await proxy.whenHeld(1);
    proxy.releaseHeld(false);
    expect(await second).toMatchObject({ error: expect.any(String) });
    expect(committed).toEqual(["POST /one {}"]);
  });

  it("holds the answer of a committed write", async () => {
    proxy.rule(tableRequests.any, { kind: "holdResponse" }, { times: 1 });
    const pending = send("/x");
    await proxy.next(() => true, "held");
    expect(committed).toHaveLength(1);
    proxy.releaseHeld(true);
    expect(await pending).toMatchObject({ status: 201 });
  });

  it("refuses every connection while the service is 'down'", async () => {
    proxy.refuseConnections(true);
    expect(await send("/x")).toMatchObject({ error: expect.any(String) });
    proxy.refuseConnections(false);
    expect(await send("/x")).toMatchObject({ status: 201 });
    expect(committed).toHaveLength(1);
  });

  it("matches Table Storage requests by kind and row key", () => {
    const request = (method: string, path: string, body = "") => ({ seq: 1, method, path, body });
    expect(tableRequests.batchWith("alert_")(request("POST", "/acct/$batch", '{"PartitionKey":"t","RowKey":"alert_s1_failed"}'))).toBe(true);
    expect(tableRequests.batchWith("alert_")(request("POST", "/acct/$batch", '{"PartitionKey":"t","RowKey":"session_s1"}'))).toBe(false);
    expect(tableRequests.entityWrite("alert_")(request("PATCH", "/acct/t(PartitionKey='t',RowKey='alert_s1_failed')"))).toBe(true);
    expect(tableRequests.entityWrite("alert_")(request("GET", "/acct/t(PartitionKey='t',RowKey='alert_s1_failed')"))).toBe(false);
    expect(tableRequests.deliveryMarks()(request("POST", "/acct/$batch", '{"RowKey":"alert_s1_failed","deliveries":"{}","pending":false,"leaseUntil":""}'))).toBe(true);
    expect(tableRequests.deliveryMarks()(request("POST", "/acct/$batch", '{"RowKey":"alert_s1_failed","leaseUntil":"2026-11-28T10:04:00.000Z"}'))).toBe(false);
  });
});

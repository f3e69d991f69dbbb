import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAzuriteQueue, type AzuriteQueue } from "../../../local/emulators/azurite";
import { FunctionsHost } from "../../../local/functionsHost/functionsHost";
import { QueueService } from "../../../local/functionsHost/queueRest";
import { QueueExtension, decodeMessage, readQueueOptions, type QueueInvoked } from "../../../local/functionsHost/queueTrigger";

/**
 * The emulated host's Storage Queues extension against Azurite's queue service and a small app: the
 * output binding (an array: one message each, base64 as the host encodes by default), the trigger (the
 * parsed JSON and the dequeue count as the handler sees them), at most batchSize + newBatchThreshold at
 * once, retries and the poison queue, and a message that is not base64.
 */
const ROOT = path.resolve(__dirname, "../../..");

const APP = String.raw`
const { app, output } = require("@azure/functions");
const out = output.storageQueue({ queueName: "%WORK_QUEUE%", connection: "Work" });
let running = 0;
app.http("enqueue", { route: "enqueue", authLevel: "anonymous", extraOutputs: [out], handler: async (request, context) => {
  context.extraOutputs.set(out, await request.json());
  return { status: 202 };
} });
app.storageQueue("work", { queueName: "%WORK_QUEUE%", connection: "Work", handler: async (message, context) => {
  running++;
  try {
    context.log(JSON.stringify({ message, dequeueCount: context.triggerMetadata.dequeueCount, running }));
    // Odd messages take longer, so that a new batch starts while some of the last one still run.
    await new Promise((resolve) => setTimeout(resolve, message && message.n % 2 === 1 ? 400 : 100));
    if (message && message.fail) throw new Error("asked to fail");
  } finally { running--; }
} });
app.storageQueue("workPoison", { queueName: "%WORK_QUEUE%-poison", connection: "Work", handler: (message, context) => context.log("poison " + JSON.stringify(message)) });
`;

let appDir: string;
let queue: AzuriteQueue;
beforeAll(async () => {
  appDir = mkdtempSync(path.join(tmpdir(), "rw-queue-"));
  writeFileSync(path.join(appDir, "package.json"), JSON.stringify({ name: "queues", main: "functions/*.js" }));
  writeFileSync(path.join(appDir, "host.json"), JSON.stringify({ version: "2.0", extensions: { queues: { batchSize: 2, newBatchThreshold: 1, maxDequeueCount: 3, visibilityTimeout: "00:00:00", maxPollingInterval: "00:00:00.500" } } }));
  mkdirSync(path.join(appDir, "functions"));
  writeFileSync(path.join(appDir, "functions", "app.js"), APP);
  symlinkSync(path.join(ROOT, "node_modules"), path.join(appDir, "node_modules"), "dir");
  queue = await startAzuriteQueue();
}, 60_000);
afterAll(async () => {
  await queue.stop();
  rmSync(appDir, { recursive: true, force: true });
});

describe("the emulated host's queue trigger and output binding", () => {
  it("reads host.json's queue settings, with the extension's defaults for what it leaves out", () => {
    expect(readQueueOptions(appDir)).toEqual({ batchSize: 2, newBatchThreshold: 1, maxDequeueCount: 3, visibilityTimeoutMs: 0, maxPollingIntervalMs: 500, messageEncoding: "base64" });
    expect(readQueueOptions(ROOT)).toEqual({ batchSize: 4, newBatchThreshold: 2, maxDequeueCount: 5, visibilityTimeoutMs: 120_000, maxPollingIntervalMs: 10_000, messageEncoding: "base64" });
    expect(decodeMessage("not base64!", readQueueOptions(appDir))).toBeUndefined();
  });

  it("sends each element of an output array as one base64 message; runs at most batchSize + newBatchThreshold at once; retries, then the poison queue", async () => {
    const name = `work${Date.now()}`;
    const settings = { WORK_QUEUE: name, Work__queueServiceUri: queue.queueEndpoint, Work__credential: "managedidentity" };
    const logs: string[] = [];
    const host = await FunctionsHost.load(appDir, { log: (line) => { if (line.category === "user") logs.push(line.message); } });
    const invoked: QueueInvoked[] = [];
    const extension = new QueueExtension(host, { settings, options: readQueueOptions(appDir), onInvoked: (i) => invoked.push(i) });
    const service = QueueService.fromConnection("Work", settings);
    const items = [...Array.from({ length: 8 }, (_, n) => ({ n })), { n: 99, fail: true }];
    const { result } = await host.invokeHttp("enqueue", { method: "POST", url: "http://127.0.0.1/api/enqueue", headers: { "content-type": "application/json" }, query: {}, params: {}, body: { bytes: Buffer.from(JSON.stringify(items)) } });
    expect(result.ok).toBe(true);
    const stored = await service.peek(name);
    expect(stored.map((m) => JSON.parse(Buffer.from(m.messageText, "base64").toString("utf8")))).toEqual(items);
    await service.put(name, "plain text, not base64!");

    extension.start();
    try {
      const done = (): boolean => invoked.some((i) => i.name === "workPoison" && i.outcome === "completed") && invoked.filter((i) => i.name === "work" && i.outcome === "poisoned").length === 2;
      for (let waited = 0; !done(); waited += 50) {
        if (waited > 20_000) throw new Error(`not done: ${JSON.stringify(invoked)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await extension.stop();
    }
    const seen = logs.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { message: { n: number }; dequeueCount: number; running: number });
    expect(seen.filter((s) => s.message.n !== 99).map((s) => s.message.n).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(Math.max(...seen.map((s) => s.running))).toBe(3);
    expect(seen.filter((s) => s.message.n === 99).map((s) => s.dequeueCount)).toEqual([1, 2, 3]);
    // The text that is not base64 fails before any invocation, as the host's binding does, and is retried like a failure.
    expect(invoked.filter((i) => i.name === "work").map((i) => i.outcome).sort()).toEqual([...Array(8).fill("completed"), "poisoned", "poisoned", ...Array(4).fill("retried")].sort());
    expect(invoked.filter((i) => i.name === "work" && i.outcome !== "completed" && !i.result).map((i) => i.dequeueCount)).toEqual([1, 2, 3]);
    // Both go to the poison queue as they were: the JSON one reaches its function; the text that is not
    // base64 cannot be read there either, and stays (a poison queue has no poison queue).
    expect(logs.filter((l) => l.startsWith("poison "))).toEqual(['poison {"n":99,"fail":true}']);
    expect(await service.peek(name)).toEqual([]);
    expect(await service.peek(`${name}-poison`)).toEqual([]); // the unreadable one is hidden, being "processed"
    expect(invoked.filter((i) => i.name === "workPoison" && !i.result).length).toBeGreaterThan(0);
  }, 30_000);
});

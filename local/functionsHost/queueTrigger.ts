import { existsSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import path from "node:path";
import type { FunctionsHost, InvocationResult, OutputValue, RegisteredFunction } from "./functionsHost";
import { QueueService, type QueueMessage } from "./queueRest";
import { resolveAppSettings, type Settings } from "./timerScheduler";

/**
 * The Storage Queues extension of the emulated host: the queue trigger (polling the queue, as many
 * invocations at once as host.json allows, retries after visibilityTimeout, the poison queue after
 * maxDequeueCount) and the queue output binding (context.extraOutputs with output.storageQueue), over
 * the Queue REST API (Azurite locally). Several hosts may listen on one queue, as instances do in Azure.
 */

/** host.json `extensions.queues`, with the extension's defaults. */
export interface QueueOptions {
  readonly batchSize: number;
  readonly newBatchThreshold: number;
  readonly maxDequeueCount: number;
  readonly visibilityTimeoutMs: number;
  readonly maxPollingIntervalMs: number;
  readonly messageEncoding: "base64" | "none";
}

/** How long a dequeued message stays hidden while its function runs (the host's own lease: 10 minutes). */
const PROCESSING_VISIBILITY_SECONDS = 600;
const MIN_POLLING_INTERVAL_MS = 100;

/** Reads host.json's queue settings; the defaults are the extension's (newBatchThreshold: batchSize/2 × processors, as on Flex). */
export function readQueueOptions(appDir: string): QueueOptions {
  const file = path.join(appDir, "host.json");
  const queues = existsSync(file) ? ((JSON.parse(readFileSync(file, "utf8")) as { extensions?: { queues?: Record<string, unknown> } }).extensions?.queues ?? {}) : {};
  const batchSize = integer(queues["batchSize"], 16, 1, 32, "batchSize");
  const encoding = queues["messageEncoding"] ?? "base64";
  if (encoding !== "base64" && encoding !== "none") throw new Error(`host.json extensions.queues.messageEncoding must be "base64" or "none", not ${JSON.stringify(encoding)}`);
  return {
    batchSize,
    newBatchThreshold: integer(queues["newBatchThreshold"], Math.floor(batchSize / 2) * availableParallelism(), 0, 10_000, "newBatchThreshold"),
    maxDequeueCount: integer(queues["maxDequeueCount"], 5, 1, 1000, "maxDequeueCount"),
    visibilityTimeoutMs: timeSpan(queues["visibilityTimeout"], 0, "visibilityTimeout"),
    maxPollingIntervalMs: Math.max(MIN_POLLING_INTERVAL_MS, timeSpan(queues["maxPollingInterval"], 60_000, "maxPollingInterval")),
    messageEncoding: encoding,
  };
}

function integer(value: unknown, fallback: number, min: number, max: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) throw new Error(`host.json extensions.queues.${name} must be an integer from ${min} to ${max}`);
  return value;
}

/** A .NET TimeSpan "hh:mm:ss[.fff]" in milliseconds. */
function timeSpan(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const match = typeof value === "string" ? /^(\d+):(\d\d):(\d\d(?:\.\d+)?)$/.exec(value) : null;
  if (!match) throw new Error(`host.json extensions.queues.${name} must be a time span "hh:mm:ss", not ${JSON.stringify(value)}`);
  return (Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3])) * 1000;
}

export function encodeMessage(text: string, options: QueueOptions): string {
  return options.messageEncoding === "base64" ? Buffer.from(text, "utf8").toString("base64") : text;
}

/** The message's text, or undefined when the encoding says base64 and it is not. */
export function decodeMessage(stored: string, options: QueueOptions): string | undefined {
  if (options.messageEncoding === "none") return stored;
  const decoded = Buffer.from(stored, "base64");
  return decoded.toString("base64").replace(/=+$/, "") === stored.replace(/=+$/, "") ? decoded.toString("utf8") : undefined;
}

/** The poison queue of a queue: `<queue>-poison`, none for a queue that is itself one. */
export function poisonQueueOf(queue: string): string | undefined {
  return queue.endsWith("-poison") ? undefined : `${queue}-poison`;
}

export interface QueueInvoked {
  readonly name: string;
  readonly queue: string;
  readonly messageId: string;
  readonly dequeueCount: number;
  readonly outcome: "completed" | "retried" | "poisoned";
  readonly result?: InvocationResult;
}

export interface QueueExtensionOptions {
  readonly settings: Settings;
  readonly options: QueueOptions;
  readonly log?: (message: string) => void;
  readonly onInvoked?: (invoked: QueueInvoked) => void;
}

/** The queue trigger and output binding of one host. */
export class QueueExtension {
  private readonly listeners: QueueListener[] = [];
  private readonly created = new Set<string>();
  /** Queue-triggered functions the host put in error (an unresolvable queue name or connection): name → message. */
  readonly functionErrors = new Map<string, string>();

  constructor(
    private readonly host: FunctionsHost,
    private readonly extension: QueueExtensionOptions,
  ) {
    host.outputBinder = (outputs) => this.bindOutputs(outputs);
    for (const fn of host.functions.filter((f) => f.trigger.type.toLowerCase() === "queuetrigger")) {
      try {
        this.listeners.push(new QueueListener(host, fn, this));
      } catch (error) {
        // As in Azure: that function is in error and does not run; the others do.
        const message = error instanceof Error ? error.message : String(error);
        this.functionErrors.set(fn.name, message);
        extension.log?.(`The '${fn.name}' function is in error: ${message}`);
      }
    }
  }

  get functions(): readonly { name: string; queue: string }[] {
    return this.listeners.map((l) => ({ name: l.fn.name, queue: l.queue }));
  }

  get settings(): QueueExtensionOptions {
    return this.extension;
  }

  start(): void {
    for (const listener of this.listeners) listener.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.listeners.map((l) => l.stop()));
  }

  /** Creates a queue once per host (the extension does so before its first send or listen). */
  async ensureQueue(service: QueueService, queue: string): Promise<void> {
    const key = `${service.endpoint}/${queue}`;
    if (this.created.has(key)) return;
    await service.createQueue(queue);
    this.created.add(key);
  }

  /** A message was added to a queue by this host: its listeners look at once (the extension's shared queue watcher). */
  notify(queue: string): void {
    for (const listener of this.listeners) if (listener.queue === queue) listener.wake();
  }

  /** The storageQueue output binding: one message per array element (a string as it is, anything else as JSON). */
  private async bindOutputs(outputs: readonly OutputValue[]): Promise<void> {
    for (const output of outputs.filter((o) => o.binding.type.toLowerCase() === "queue")) {
      const queue = resolveAppSettings(String(output.binding["queueName"] ?? ""), this.extension.settings, output.functionName).toLowerCase();
      const service = QueueService.fromConnection(String(output.binding["connection"] ?? ""), this.extension.settings);
      await this.ensureQueue(service, queue);
      for (const text of messagesOf(output.data)) await service.put(queue, encodeMessage(text, this.extension.options));
      this.notify(queue);
    }
  }
}

function messagesOf(data: Readonly<Record<string, unknown>>): string[] {
  if (typeof data["string"] === "string") return [data["string"]];
  if (typeof data["json"] === "string") {
    const value: unknown = JSON.parse(data["json"]);
    return (Array.isArray(value) ? value : [value]).map((item) => (typeof item === "string" ? item : JSON.stringify(item)));
  }
  if (data["bytes"] instanceof Uint8Array) return [Buffer.from(data["bytes"]).toString("utf8")];
  return [String(data["int"] ?? data["double"] ?? "")];
}

/** Polls one queue for one function, with the extension's back-off when it finds the queue empty. */
class QueueListener {
  readonly queue: string;
  private readonly poison: string | undefined;
  private readonly service: QueueService;
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;

  constructor(
    private readonly host: FunctionsHost,
    readonly fn: RegisteredFunction,
    private readonly extension: QueueExtension,
  ) {
    const settings = extension.settings.settings;
    this.queue = resolveAppSettings(String(fn.trigger["queueName"] ?? ""), settings, fn.name).toLowerCase();
    this.poison = poisonQueueOf(this.queue);
    this.service = QueueService.fromConnection(String(fn.trigger["connection"] ?? ""), settings);
  }

  start(): void {
    this.loop = this.run();
  }

  wake(): void {
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.loop;
    await Promise.all([...this.inFlight]);
  }

  private async run(): Promise<void> {
    const { options, log } = this.extension.settings;
    let delay = MIN_POLLING_INTERVAL_MS;
    while (!this.stopped) {
      let found = 0;
      // A new batch once the running ones are down to newBatchThreshold: at most batchSize + newBatchThreshold at once.
      if (this.inFlight.size <= options.newBatchThreshold) {
        try {
          // As the extension's listener: a queue that does not exist yet reads as empty (the output binding creates it).
          const messages = await this.service.get(this.queue, options.batchSize, PROCESSING_VISIBILITY_SECONDS, { missingIsEmpty: true });
          found = messages.length;
          for (const message of messages) this.track(this.process(message));
        } catch (error) {
          log?.(`queue '${this.queue}' (function ${this.fn.name}) could not be read: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      delay = found > 0 ? MIN_POLLING_INTERVAL_MS : Math.min(delay * 2, options.maxPollingIntervalMs);
      if (found === 0 || this.inFlight.size > options.newBatchThreshold) await this.pause(found > 0 ? options.maxPollingIntervalMs : delay);
    }
  }

  private track(work: Promise<void>): void {
    const tracked = work.finally(() => {
      this.inFlight.delete(tracked);
      this.wake(); // a slot is free
    });
    this.inFlight.add(tracked);
  }

  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    }).finally(() => (this.wakeUp = undefined));
  }

  /** One message: invoke; delete on success; on failure show it again after visibilityTimeout, or move it to the poison queue. */
  private async process(message: QueueMessage): Promise<void> {
    const { options, log, onInvoked } = this.extension.settings;
    const report = (outcome: QueueInvoked["outcome"], result?: InvocationResult): void =>
      onInvoked?.({ name: this.fn.name, queue: this.queue, messageId: message.messageId, dequeueCount: message.dequeueCount, outcome, ...(result && { result }) });
    try {
      if (message.dequeueCount > options.maxDequeueCount) return report(await this.failed(message));
      const text = decodeMessage(message.messageText, options);
      if (text === undefined) {
        log?.(`Message ${message.messageId} on queue '${this.queue}' is not valid base64 (host.json messageEncoding is base64): it cannot be processed`);
        return report(await this.failed(message));
      }
      const result = await this.host.invokeQueue(this.fn.name, { ...message, id: message.messageId, messageText: text });
      if (result.ok) {
        await this.service.delete(this.queue, message);
        return report("completed", result);
      }
      report(await this.failed(message), result);
    } catch (error) {
      log?.(`queue '${this.queue}' message ${message.messageId}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private async failed(message: QueueMessage): Promise<"retried" | "poisoned"> {
    const { options, log } = this.extension.settings;
    if (message.dequeueCount < options.maxDequeueCount) {
      await this.service.release(this.queue, message, Math.round(options.visibilityTimeoutMs / 1000));
      return "retried";
    }
    if (!this.poison) {
      // A poison queue has none of its own: the message stays, hidden for the processing time, not retried in a tight loop.
      log?.(`Message ${message.messageId} on '${this.queue}' has reached MaxDequeueCount of ${options.maxDequeueCount}; the queue has no poison queue, so it stays there`);
      return "retried";
    }
    log?.(`Message has reached MaxDequeueCount of ${options.maxDequeueCount}. Moving message to queue '${this.poison}'.`);
    await this.extension.ensureQueue(this.service, this.poison);
    await this.service.put(this.poison, message.messageText);
    await this.service.delete(this.queue, message);
    this.extension.notify(this.poison);
    return "poisoned";
  }
}

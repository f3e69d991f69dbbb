import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import Module from "node:module";
import path from "node:path";
import { matchFiles } from "./glob";

/**
 * An emulated Azure Functions host for Node (local tooling, not deployed). It plays the part of the
 * Node worker: it provides the module `@azure/functions-core` that the `@azure/functions` library looks
 * for (without it the library runs in "test mode" and skips every registration), loads the app from
 * package.json `main` as the host does, and invokes functions through the library's own programming
 * model (InvocationModel → Timer + InvocationContext), so the app runs exactly the code path it runs in Azure.
 */

/** RPC binding as the library registers it (toCoreFunctionMetadata). */
export interface RpcBinding {
  readonly type: string;
  readonly direction: "in" | "out";
  readonly [property: string]: unknown;
}

export interface RegisteredFunction {
  readonly name: string;
  readonly bindings: Readonly<Record<string, RpcBinding>>;
  /** The trigger binding's name and its binding. */
  readonly triggerName: string;
  readonly trigger: RpcBinding;
  readonly callback: (...args: unknown[]) => unknown;
}

export type RpcLogLevel = "trace" | "debug" | "information" | "warning" | "error" | "critical" | "none";

export interface HostLogLine {
  readonly level: RpcLogLevel;
  readonly category: "user" | "system";
  readonly message: string;
  readonly functionName?: string;
  readonly invocationId?: string;
}

export interface InvocationResult {
  readonly invocationId: string;
  readonly functionName: string;
  readonly ok: boolean;
  readonly error?: string;
  /** The failure's stack, as the host logs it with the exception (source-mapped when the app enables source maps). */
  readonly errorStack?: string;
  readonly durationMs: number;
  readonly logs: readonly HostLogLine[];
}

/** An HTTP request as the host sends it to the worker (RpcHttp): what the library builds its HttpRequest from. */
export interface RpcHttpRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  readonly params: Readonly<Record<string, string>>;
  readonly body?: { readonly bytes: Uint8Array };
}

/** The handler's answer as the library returns it over RPC (toRpcHttp). */
export interface RpcHttpResponse {
  readonly statusCode?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly cookies?: readonly unknown[];
  readonly body?: { readonly bytes?: Uint8Array; readonly string?: string } | null;
}

/** The worker-side programming model the library registers (ProgrammingModel in @azure/functions). */
interface ProgrammingModel {
  readonly name: string;
  readonly version: string;
  getInvocationModel(coreCtx: unknown): {
    getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
    invokeFunction(context: unknown, inputs: unknown[], handler: (...args: unknown[]) => unknown): Promise<unknown>;
    getResponse(context: unknown, result: unknown): Promise<unknown>;
  };
  getCapabilities(capabilities: Record<string, string>): Promise<Record<string, string>>;
}

type HookCallback = (context: Record<string, unknown>) => unknown;

/** The hooks the Node worker runs; it refuses to register any other name. */
const HOOK_NAMES = ["appStart", "appTerminate", "preInvocation", "postInvocation", "log"] as const;

const CORE_MODULE = "@azure/functions-core";
/** The worker version we claim (the library only uses it for feature checks). */
const WORKER_VERSION = "3.11.0";

class Registry {
  programmingModel: ProgrammingModel | undefined;
  readonly functions: RegisteredFunction[] = [];
  readonly hooks = new Map<string, Set<HookCallback>>();
  /** Shared by every hook of the app (the worker's appHookData). */
  readonly appHookData: Record<string, unknown> = {};
  /** Shared by appStart and appTerminate hooks only. */
  readonly appLevelOnlyHookData: Record<string, unknown> = {};
  /** Set once the entry files are loaded: functions can no longer be registered. */
  startupFinished = false;
  log: (line: HostLogLine) => void = () => undefined;
}

let active: Registry | undefined;

/** The `@azure/functions-core` module, bound to whichever host is loading or running an app. */
const coreModule = {
  version: WORKER_VERSION,
  setProgrammingModel(model: ProgrammingModel): void {
    current().programmingModel = model;
  },
  getProgrammingModel(): ProgrammingModel | undefined {
    return current().programmingModel;
  },
  registerFunction(metadata: { name: string; bindings: Record<string, RpcBinding> }, callback: (...args: unknown[]) => unknown): { dispose(): void } {
    const registry = current();
    if (registry.startupFinished) throw new Error("A function can only be registered during app startup.");
    if (registry.functions.some((f) => f.name.toLowerCase() === metadata.name.toLowerCase())) {
      throw new Error(`a function named "${metadata.name}" is already registered`);
    }
    const trigger = Object.entries(metadata.bindings).find(([, b]) => /trigger$/i.test(b.type));
    if (!trigger) throw new Error(`function "${metadata.name}" has no trigger binding`);
    const registered: RegisteredFunction = { name: metadata.name, bindings: metadata.bindings, triggerName: trigger[0], trigger: trigger[1], callback };
    registry.functions.push(registered);
    return {
      dispose: () => {
        if (registry.startupFinished) throw new Error("A function can only be disposed during app startup.");
        registry.functions.splice(registry.functions.indexOf(registered), 1);
      },
    };
  },
  registerHook(hookName: string, callback: HookCallback): { dispose(): void } {
    if (!(HOOK_NAMES as readonly string[]).includes(hookName)) throw new RangeError(`Unrecognized hook "${hookName}"`);
    const hooks = current().hooks;
    const set = hooks.get(hookName) ?? new Set<HookCallback>();
    set.add(callback);
    hooks.set(hookName, set);
    return { dispose: () => set.delete(callback) };
  },
  log(level: RpcLogLevel, category: "user" | "system", message: string): void {
    emitLog(current(), { level, category, message });
  },
  Disposable: class Disposable {
    constructor(private readonly callOnDispose: () => unknown) {}
    dispose(): void {
      this.callOnDispose();
    }
  },
};

function current(): Registry {
  if (!active) throw new Error(`${CORE_MODULE} was used outside the emulated host`);
  return active;
}

let resolverInstalled = false;

/** Makes `require("@azure/functions-core")` resolve to the module above, as the Node worker does. */
function installCoreModule(): void {
  if (resolverInstalled) return;
  const moduleInternals = Module as unknown as {
    _resolveFilename: (request: string, ...rest: unknown[]) => string;
    _cache: Record<string, unknown>;
  };
  const original = moduleInternals._resolveFilename;
  moduleInternals._resolveFilename = function (request: string, ...rest: unknown[]): string {
    return request === CORE_MODULE ? CORE_MODULE : original.call(this, request, ...rest);
  };
  const cached = new Module(CORE_MODULE);
  cached.filename = CORE_MODULE;
  cached.loaded = true;
  cached.exports = coreModule;
  moduleInternals._cache[CORE_MODULE] = cached;
  resolverInstalled = true;
}

export interface LoadOptions {
  /** Receives every log line (user logs of invocations, and the library's system logs). */
  readonly log?: (line: HostLogLine) => void;
}

/** One value a function set on an output binding (context.extraOutputs, or its return binding), as the worker returns it. */
export interface OutputValue {
  readonly functionName: string;
  readonly bindingName: string;
  readonly binding: RpcBinding;
  /** RpcTypedData: `string`, `json`, `bytes`, `int`, `double`. */
  readonly data: Readonly<Record<string, unknown>>;
}

/**
 * Carries out a function's output bindings after it returned, as the host's binding extensions do
 * (the queue output binding: queueOutputs.ts). A throw fails the invocation, as in Azure.
 */
export type OutputBinder = (outputs: readonly OutputValue[]) => Promise<void>;

/** A queue message as the queue trigger hands it to the worker: its text (decoded) and its metadata. */
export interface QueueTriggerInput {
  readonly messageText: string;
  readonly id: string;
  readonly dequeueCount: number;
  readonly insertionTime: string;
  readonly expirationTime: string;
  readonly nextVisibleTime: string;
  readonly popReceipt: string;
}

export class FunctionsHost {
  /** Output bindings other than HTTP's: none (their values are dropped) until the host's extensions set one. */
  outputBinder: OutputBinder | undefined;

  private constructor(
    readonly appDir: string,
    readonly entryFiles: readonly string[],
    private readonly registry: Registry,
  ) {}

  get functions(): readonly RegisteredFunction[] {
    return this.registry.functions;
  }

  get programmingModel(): { name: string; version: string } | undefined {
    const model = this.registry.programmingModel;
    return model && { name: model.name, version: model.version };
  }

  /**
   * Loads the app at appDir as the host does: every file `main` in package.json matches (a glob such
   * as `dist/functions/*.js`), in order. Refuses an app whose main matches nothing or that registers nothing.
   */
  static async load(appDir: string, options: LoadOptions = {}): Promise<FunctionsHost> {
    const root = path.resolve(appDir);
    const packageFile = path.join(root, "package.json");
    if (!existsSync(packageFile)) throw new Error(`no package.json in ${root}: not a Node.js function app`);
    const main = (JSON.parse(readFileSync(packageFile, "utf8")) as { main?: unknown }).main;
    if (typeof main !== "string" || main.trim() === "") throw new Error(`${packageFile} has no "main": the host would not know which files hold the functions`);
    const files = matchFiles(root, main);
    if (files.length === 0) throw new Error(`package.json "main" ("${main}") matches no file under ${root}. Build the app first (npm run build).`);

    installCoreModule();
    const registry = new Registry();
    registry.log = options.log ?? (() => undefined);
    active = registry;
    // A fresh load each time (tests load several apps in one process): forget the app and the library.
    const cache = (Module as unknown as { _cache: Record<string, unknown> })._cache;
    for (const key of Object.keys(cache)) {
      if (key.startsWith(root + path.sep) && !key.includes(`${path.sep}node_modules${path.sep}`)) delete cache[key];
      if (key.includes(`${path.sep}@azure${path.sep}functions${path.sep}`)) delete cache[key];
    }
    // Node's own loader, as the worker uses: the app and @azure/functions are plain CommonJS.
    const load = Module.createRequire(packageFile);
    for (const file of files) {
      try {
        load(file);
      } catch (error) {
        throw new Error(`loading ${path.relative(root, file)} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
    }
    const registeredNothing = (): Error =>
      new Error(
        `the app at ${root} registered no functions (loaded ${files.map((f) => path.relative(root, f)).join(", ")}): each function must call app.timer(...), app.http(...) etc. from "@azure/functions" when its file is loaded`,
      );
    if (!registry.programmingModel) {
      throw registry.functions.length === 0 ? registeredNothing() : new Error("the app set no programming model: is @azure/functions v4 installed where the app can require it?");
    }
    await registry.programmingModel.getCapabilities({});
    // As the worker does, appStart hooks run once the entry files are loaded; they may still register functions.
    await runHooks(registry, "appStart", { hookData: registry.appLevelOnlyHookData, appHookData: registry.appHookData, functionAppDirectory: root });
    registry.startupFinished = true;
    if (registry.functions.length === 0) throw registeredNothing();
    return new FunctionsHost(root, files, registry);
  }

  function(name: string): RegisteredFunction {
    const found = this.registry.functions.find((f) => f.name.toLowerCase() === name.toLowerCase());
    if (!found) throw new Error(`no function named "${name}" (registered: ${this.registry.functions.map((f) => f.name).join(", ")})`);
    return found;
  }

  /**
   * Invokes a function with its trigger's input as the host serialises it (for a timer: the TimerInfo
   * JSON with PascalCase names), through the library's InvocationModel, with pre/post invocation hooks.
   */
  async invoke(name: string, triggerInput: unknown): Promise<InvocationResult> {
    return (await this.invokeWith(name, { json: JSON.stringify(triggerInput) }, {})).result;
  }

  /**
   * Invokes an HTTP-triggered function with the request as the host sends it over RPC (RpcHttp); the
   * library turns it into its HttpRequest and the handler's HttpResponseInit into the RpcHttp answer
   * returned here (undefined when the handler returned nothing, or failed: see result).
   */
  async invokeHttp(name: string, request: RpcHttpRequest): Promise<{ result: InvocationResult; response: RpcHttpResponse | undefined }> {
    // The library reads HTTP requests from the RpcHttp alone (it ignores trigger metadata for HTTP triggers).
    const { result, response } = await this.invokeWith(name, { http: request }, {});
    const returned = (response as { returnValue?: { http?: RpcHttpResponse } } | undefined)?.returnValue?.http;
    return { result, response: returned };
  }

  /**
   * Invokes a queue-triggered function with one message as the host sends it: a JSON message as json
   * (the library hands the handler the parsed value), anything else as a string; the trigger metadata
   * (DequeueCount, Id, PopReceipt, times) as the handler sees it in context.triggerMetadata.
   */
  async invokeQueue(name: string, message: QueueTriggerInput): Promise<InvocationResult> {
    let isJson = false;
    try {
      JSON.parse(message.messageText);
      isJson = true;
    } catch {
      // a plain text message
    }
    const json = (value: unknown): { json: string } => ({ json: JSON.stringify(value) });
    const metadata = {
      DequeueCount: json(message.dequeueCount),
      Id: { string: message.id },
      PopReceipt: { string: message.popReceipt },
      InsertionTime: json(message.insertionTime),
      ExpirationTime: json(message.expirationTime),
      NextVisibleTime: json(message.nextVisibleTime),
    };
    return (await this.invokeWith(name, isJson ? { json: message.messageText } : { string: message.messageText }, metadata)).result;
  }

  private async invokeWith(name: string, triggerData: Record<string, unknown>, triggerMetadata: Record<string, unknown>): Promise<{ result: InvocationResult; response?: unknown }> {
    const fn = this.function(name);
    const registry = this.registry;
    const model = registry.programmingModel as ProgrammingModel;
    const invocationId = randomUUID();
    const logs: HostLogLine[] = [];
    const started = Date.now();
    let logContext: InvocationLogContext | undefined;
    const coreCtx = {
      invocationId,
      state: undefined as string | undefined,
      metadata: { name: fn.name, bindings: fn.bindings, functionId: fn.name },
      request: {
        invocationId,
        functionId: fn.name,
        inputData: [{ name: fn.triggerName, data: triggerData }],
        triggerMetadata,
        // As the host sends it: the W3C trace context of the invocation's `requests` row.
        traceContext: { traceParent: `00-${randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-01`, traceState: "", attributes: {} },
      },
      log: (level: RpcLogLevel, category: "user" | "system", message: string) => {
        logs.push(emitLog(registry, { level, category, message, functionName: fn.name, invocationId }, logContext));
      },
    };
    /** Runs one phase with coreCtx.state set, as the worker does (the library checks it for late logs). */
    const phase = async <T>(state: string | undefined, work: () => Promise<T>): Promise<T> => {
      coreCtx.state = state;
      try {
        return await work();
      } finally {
        coreCtx.state = undefined;
      }
    };
    active = registry;
    try {
      const invocation = model.getInvocationModel(coreCtx);
      const { context, inputs } = await invocation.getArguments();
      const hookData: Record<string, unknown> = {};
      logContext = { hookData, invocationContext: context };
      // Pre-invocation hooks may replace the inputs and the handler; post-invocation hooks the result and the error.
      const pre: Record<string, unknown> = { hookData, appHookData: registry.appHookData, invocationContext: context, functionCallback: fn.callback, inputs };
      await phase("preInvocationHooks", () => runHooks(registry, "preInvocation", pre));
      const post: Record<string, unknown> = { hookData, appHookData: registry.appHookData, invocationContext: context, inputs: pre["inputs"], result: null, error: null };
      await phase("invocation", async () => {
        try {
          post["result"] = await invocation.invokeFunction(context, pre["inputs"] as unknown[], pre["functionCallback"] as (...args: unknown[]) => unknown);
        } catch (error) {
          post["error"] = error;
        }
      });
      await phase("postInvocationHooks", () => runHooks(registry, "postInvocation", post));
      if (post["error"] !== null && post["error"] !== undefined) throw post["error"];
      const response = await invocation.getResponse(context, post["result"]);
      await this.bindOutputs(fn, response);
      return { result: { invocationId, functionName: fn.name, ok: true, durationMs: Date.now() - started, logs }, response };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // The host logs a failed invocation as an error of the function ("Executed ... (Failed ...)").
      coreCtx.log("error", "system", `Executed 'Functions.${fn.name}' (Failed, Id=${invocationId}): ${message}`);
      const stack = error instanceof Error ? error.stack : undefined;
      return { result: { invocationId, functionName: fn.name, ok: false, error: message, ...(stack !== undefined && { errorStack: stack }), durationMs: Date.now() - started, logs } };
    }
  }

  /** Hands the invocation's output values (HTTP's excepted: the HTTP server answers with it) to the output binder. */
  private async bindOutputs(fn: RegisteredFunction, response: unknown): Promise<void> {
    const outputData = (response as { outputData?: { name: string; data: Record<string, unknown> | null | undefined }[] } | undefined)?.outputData ?? [];
    const outputs: OutputValue[] = [];
    for (const { name, data } of outputData) {
      const binding = fn.bindings[name];
      if (binding && data && binding.type.toLowerCase() !== "http") outputs.push({ functionName: fn.name, bindingName: name, binding, data });
    }
    if (outputs.length > 0 && this.outputBinder) await this.outputBinder(outputs);
  }

  async terminate(): Promise<void> {
    await runHooks(this.registry, "appTerminate", { hookData: this.registry.appLevelOnlyHookData, appHookData: this.registry.appHookData });
  }
}

async function runHooks(registry: Registry, name: string, context: Record<string, unknown>): Promise<void> {
  for (const hook of [...(registry.hooks.get(name) ?? [])]) await hook(context);
}

interface InvocationLogContext {
  readonly hookData: Record<string, unknown>;
  readonly invocationContext: unknown;
}

/**
 * Every log line goes through the app's log hooks first, as in the worker: they may rewrite the message
 * and level of user logs (system logs go out as they are); a failing hook never stops a log line.
 */
function emitLog(registry: Registry, line: HostLogLine, logContext?: InvocationLogContext): HostLogLine {
  let out = line;
  const hooks = registry.hooks.get("log");
  if (hooks && hooks.size > 0) {
    const context: Record<string, unknown> = {
      level: line.level,
      message: line.message,
      category: line.category,
      hookData: logContext?.hookData ?? {},
      appHookData: registry.appHookData,
      invocationContext: logContext?.invocationContext,
    };
    try {
      for (const hook of hooks) void hook(context);
      if (line.category === "user") out = { ...line, level: context["level"] as RpcLogLevel, message: String(context["message"]) };
    } catch {
      // ignored, so that a hook cannot stop logging
    }
  }
  registry.log(out);
  return out;
}

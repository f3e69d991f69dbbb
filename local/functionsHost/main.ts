import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { FunctionsHost, type HostLogLine, type InvocationResult } from "./functionsHost";
import { HttpTriggerServer, MANUAL_TIMER_INPUT } from "./httpServer";
import { FileScheduleStatusStore } from "./scheduleMonitor";
import { QueueExtension, readQueueOptions } from "./queueTrigger";
import { TimerScheduler } from "./timerScheduler";

/**
 * `tsx local/functionsHost/main.ts [--app <dir>] [--speed <n>] [--local-settings <file>]`: runs a
 * built function app as the Functions host would, firing its timers, serving its HTTP functions and
 * running its queue-triggered functions (and queue output bindings) against Azurite's queue service. Settings come from the
 * environment, plus the Values of local.settings.json (the environment wins), as Core Tools does.
 * Under a parent process with an IPC channel it reports each invocation (`npm start` uses that).
 */
const HELP = `usage: tsx local/functionsHost/main.ts [--app <dir>] [--speed <n>] [--port <n>] [--local-settings <file> | --no-local-settings] [--timer-status-dir <dir>] [--invoke <function>]

  --app <dir>               the function app (its package.json "main" names the entry files); default .
  --speed <n>               run the clock n times faster (30: a 5-minute schedule fires every 10 s); default 1
  --port <n>                serve HTTP functions at http://127.0.0.1:<n>/api/<route>, with keys as in Azure
                            (printed at start), and POST /admin/functions/<name>; 0: any free port;
                            default 7071, or any free port when 7071 is taken
  --local-settings <file>   app settings from this file's Values; default <app>/local.settings.json if present
  --timer-status-dir <dir>  keep monitored timers' schedule status here across restarts, so an occurrence
                            missed while the host was down runs at start-up with isPastDue (real clock only);
                            default: kept in memory
  --invoke <function>       invoke one timer function now (as the host's admin endpoint
                            POST /admin/functions/<name> does), print the result as JSON and exit:
                            0 when it succeeded, 1 when it failed`;

/**
 * Whether Node had source maps on before the app was loaded (reported in "ready"). Under plain node, as
 * the worker runs, only --enable-source-maps does that, and the worker gets it from the NODE_OPTIONS app
 * setting; the app's index.js turns them on when it loads either way.
 */
const sourceMapsEnabledAtStart = process.sourceMapsEnabled;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      app: { type: "string" },
      speed: { type: "string" },
      port: { type: "string" },
      "local-settings": { type: "string" },
      "no-local-settings": { type: "boolean" },
      "timer-status-dir": { type: "string" },
      invoke: { type: "string" },
      help: { type: "boolean" },
    },
    strict: true,
  });
  if (values.help) return console.log(HELP);
  const appDir = path.resolve(values.app ?? ".");
  const speed = values.speed === undefined ? 1 : Number(values.speed);
  if (!(speed > 0)) throw new Error(`--speed must be a positive number, not '${values.speed}'`);
  const statusDir = values["timer-status-dir"];
  // A sped-up clock restarts at real time, behind the statuses it recorded: they would not mean anything.
  if (statusDir !== undefined && speed !== 1) throw new Error("--timer-status-dir needs the real clock (no --speed): a sped-up clock's schedule status does not survive a restart");
  if (!values["no-local-settings"]) loadLocalSettings(values["local-settings"] ?? path.join(appDir, "local.settings.json"), values["local-settings"] !== undefined);

  const host = await FunctionsHost.load(appDir, { log: printLog });
  const queues = new QueueExtension(host, {
    settings: process.env,
    options: readQueueOptions(appDir),
    log: (message) => console.log(`[host] ${message}`),
    onInvoked: ({ name, queue, messageId, dequeueCount, outcome, result }) => {
      if (result) console.log(`[host] Executed 'Functions.${name}' (${result.ok ? "Succeeded" : `Failed: ${result.error ?? ""}`}, Id=${result.invocationId}, Duration=${result.durationMs}ms)`);
      process.send?.({ type: "dequeued", name, queue, messageId, dequeueCount, outcome, ok: result?.ok ?? false, error: result?.error, durationMs: result?.durationMs });
    },
  });
  if (values.invoke !== undefined) {
    const result = await host.invoke(values.invoke, MANUAL_TIMER_INPUT);
    console.log(`[host] invocation result ${JSON.stringify(result)}`);
    await host.terminate();
    process.exit(result.ok ? 0 : 1);
  }
  const scheduler = new TimerScheduler(host, {
    settings: process.env,
    speed,
    ...(statusDir !== undefined ? { statusStore: new FileScheduleStatusStore(path.resolve(statusDir)) } : {}),
    log: (message) => console.log(`[host] ${message}`),
    onFired: ({ name, reason, scheduledAt, isPastDue, result }) => {
      const outcome = result.ok ? "Succeeded" : `Failed: ${result.error ?? ""}`;
      console.log(`[host] Executed 'Functions.${name}' (${outcome}, Id=${result.invocationId}, Duration=${result.durationMs}ms)`);
      process.send?.({ type: "fired", name, reason, scheduledAt: scheduledAt.toISOString(), isPastDue, ok: result.ok, error: result.error, durationMs: result.durationMs });
    },
  });
  console.log(`[host] Loaded ${host.entryFiles.map((f) => path.relative(appDir, f)).join(", ")} with ${host.programmingModel?.name}@${host.programmingModel?.version}`);
  console.log("[host] Functions:");
  for (const fn of host.functions) {
    const timer = scheduler.timers.find((t) => t.name === fn.name);
    const queue = queues.functions.find((q) => q.name === fn.name);
    console.log(`[host]   ${fn.name}: ${fn.trigger.type}${timer ? ` (schedule ${timer.scheduleSetting} = ${timer.schedule.expression}, runOnStartup ${timer.runOnStartup})` : ""}${queue ? ` (queue ${queue.queue})` : ""}`);
  }
  if (speed !== 1) console.log(`[host] Clock sped up ${speed}x`);
  const http = await startHttp(host, values.port);
  process.send?.({
    type: "ready",
    entryFiles: host.entryFiles,
    sourceMapsEnabledAtStart,
    functions: host.functions.map((fn) => ({ name: fn.name, triggerType: fn.trigger.type, schedule: fn.trigger["schedule"], runOnStartup: fn.trigger["runOnStartup"] ?? false })),
    queues: { functions: queues.functions, functionErrors: Object.fromEntries(queues.functionErrors) },
    http: {
      url: http.url,
      keys: http.keys,
      functionErrors: Object.fromEntries(http.functionErrors),
      functions: http.routes.map((route) => ({ name: route.functionName, url: http.functionUrl(route.functionName), methods: route.methods, authLevel: route.authLevel })),
    },
  });
  scheduler.start();
  queues.start();

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log("[host] Stopping: waiting for running invocations");
    await scheduler.stop();
    await queues.stop();
    await http.close();
    await host.terminate();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
  process.on("message", (message: unknown) => {
    if ((message as { type?: string } | undefined)?.type === "stop") void stop();
  });
  process.on("disconnect", () => void stop()); // the parent went away
}

const DEFAULT_PORT = 7071;

/** Serves the HTTP functions; the default port falls back to a free one when taken (a second host, a test). */
async function startHttp(host: FunctionsHost, portOption: string | undefined): Promise<HttpTriggerServer> {
  const port = portOption === undefined ? DEFAULT_PORT : Number(portOption);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number (0 for any free port), not '${portOption}'`);
  const options = {
    log: (message: string) => console.log(`[host] ${message}`),
    // Reported like the timers' runs, so that a parent process can await a function it started by hand.
    onInvoked: (result: InvocationResult, via: "http" | "admin") => process.send?.({ type: "invoked", via, name: result.functionName, ok: result.ok, error: result.error, durationMs: result.durationMs }),
  };
  let server: HttpTriggerServer;
  try {
    server = await HttpTriggerServer.start(host, { ...options, port });
  } catch (error) {
    if (portOption !== undefined || (error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
    console.log(`[host] Port ${DEFAULT_PORT} is in use: serving HTTP functions on another port`);
    server = await HttpTriggerServer.start(host, { ...options, port: 0 });
  }
  if (server.routes.length > 0) {
    console.log("[host] Http Functions:");
    for (const route of server.routes) console.log(`[host]   ${route.functionName}: [${route.methods.join(",") || "all methods"}] ${server.functionUrl(route.functionName)} (authLevel ${route.authLevel})`);
  }
  // Generated at each start and valid on this machine only (Azure keeps its own: az functionapp keys list).
  console.log(`[host] Master key (x-functions-key header or ?code=): ${server.keys.master}`);
  return server;
}

function printLog(line: HostLogLine): void {
  if (line.category === "system" && (line.level === "debug" || line.level === "trace")) return;
  const prefix = line.functionName ? `[${line.functionName}]` : "[host]";
  const level = line.level === "information" ? "" : `${line.level}: `;
  const print = line.level === "error" || line.level === "critical" ? console.error : console.log;
  print(`${prefix} ${level}${line.message}`);
}

function loadLocalSettings(file: string, required: boolean): void {
  if (!existsSync(file)) {
    if (required) throw new Error(`${file} does not exist`);
    return;
  }
  const values = (JSON.parse(readFileSync(file, "utf8")) as { Values?: Record<string, unknown> }).Values ?? {};
  for (const [name, value] of Object.entries(values)) {
    if (process.env[name] === undefined && typeof value === "string") process.env[name] = value;
  }
}

main().catch((error: unknown) => {
  console.error(`[host] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

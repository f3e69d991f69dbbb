import { fork, type ChildProcess } from "node:child_process";
import type { HostKeys } from "../../local/functionsHost/httpRoutes";

/** What local/functionsHost/main.ts reports on its IPC channel once the app is loaded. */
export interface HostReadyMessage {
  readonly type: "ready";
  /** Absolute paths of the app's entry files, as the host resolved package.json `main`. */
  readonly entryFiles: readonly string[];
  readonly sourceMapsEnabledAtStart: boolean;
  readonly functions: readonly { readonly name: string; readonly triggerType: string; readonly schedule?: unknown; readonly runOnStartup: unknown }[];
  /** The HTTP front door: its base URL, the keys generated at start, and the HTTP functions it serves. */
  readonly http: {
    readonly url: string;
    readonly keys: HostKeys;
    readonly functionErrors: Readonly<Record<string, string>>;
    readonly functions: readonly { readonly name: string; readonly url: string; readonly methods: readonly string[]; readonly authLevel: string }[];
  };
}

/** ... and after each timer invocation. */
export interface HostFiredMessage {
  readonly type: "fired";
  readonly name: string;
  readonly reason: "schedule" | "pastDue" | "runOnStartup";
  readonly scheduledAt: string;
  readonly isPastDue: boolean;
  readonly ok: boolean;
  readonly error?: string;
  readonly durationMs: number;
}

/** ... after each queue message a queue-triggered function took (local/functionsHost/queueTrigger.ts). */
export interface HostDequeuedMessage {
  readonly type: "dequeued";
  readonly name: string;
  readonly queue: string;
  readonly messageId: string;
  readonly dequeueCount: number;
  readonly outcome: "completed" | "retried" | "poisoned";
  readonly ok: boolean;
  readonly error?: string;
  readonly durationMs?: number;
}

/** ... and after each function started through HTTP or the admin endpoint. */
export interface HostInvokedMessage {
  readonly type: "invoked";
  readonly via: "http" | "admin";
  readonly name: string;
  readonly ok: boolean;
  readonly error?: string;
}

export type HostReport = HostFiredMessage | HostDequeuedMessage | HostInvokedMessage;

export interface HostProcessOptions {
  /** The host as one JavaScript file (local/functionsHost/bundle.ts), run with plain node. */
  readonly hostJs: string;
  /** The function app's folder: --app, and the working directory, as the worker's wwwroot. */
  readonly appDir: string;
  /** The process's whole environment: the app settings and nothing the test process happens to have. */
  readonly env: Readonly<Record<string, string>>;
  /** Clock speed-up of the host's timer schedule. */
  readonly speed?: number;
  /** The HTTP port; default 0 (any free port, so that tests never collide). */
  readonly port?: number;
}

/**
 * The emulated Functions host as a child process, as `npm start` runs it: its "ready" report, the
 * timer invocations it reports, and what it printed (for failure messages).
 */
export class FunctionsHostProcess {
  readonly fired: HostFiredMessage[] = [];
  /** Every report after "ready", in order. */
  readonly reports: HostReport[] = [];
  readonly ready: Promise<HostReadyMessage>;
  /** What the host printed, line by line, with when this process received each line (Date.now()). */
  readonly lines: { readonly at: number; readonly text: string }[] = [];
  private output = "";
  private partial = "";
  private readonly exited: Promise<void>;
  private readonly firedWaiters: (() => void)[] = [];
  private exitReason: string | undefined;

  private constructor(private readonly child: ChildProcess) {
    child.stdout?.on("data", (chunk: Buffer) => {
      const text = chunk.toString();
      this.output += text;
      const at = Date.now();
      const parts = (this.partial + text).split("\n");
      this.partial = parts.pop() ?? "";
      for (const line of parts) this.lines.push({ at, text: line });
    });
    child.stderr?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        this.exitReason = signal ?? `code ${code}`;
        for (const wake of this.firedWaiters.splice(0)) wake();
        resolve();
      }),
    );
    this.ready = new Promise((resolve, reject) => {
      child.on("message", (message: { type?: string }) => {
        if (message.type === "ready") resolve(message as HostReadyMessage);
      });
      void this.exited.then(() => reject(this.failure("exited before it was ready")));
    });
    // Awaited by the caller; until then, a host that exits early is not an unhandled rejection.
    this.ready.catch(() => undefined);
    child.on("message", (message: { type?: string }) => {
      if (message.type === "ready") return;
      this.reports.push(message as HostReport);
      if (message.type === "fired") this.fired.push(message as HostFiredMessage);
      for (const wake of this.firedWaiters.splice(0)) wake();
    });
  }

  static start(options: HostProcessOptions): FunctionsHostProcess {
    const args = ["--app", options.appDir, "--no-local-settings", "--port", String(options.port ?? 0), ...(options.speed === undefined ? [] : ["--speed", String(options.speed)])];
    const child = fork(options.hostJs, args, { cwd: options.appDir, env: { ...options.env }, execArgv: [], stdio: ["ignore", "pipe", "pipe", "ipc"] });
    return new FunctionsHostProcess(child);
  }

  /** What the host printed so far. */
  get printed(): string {
    return this.output;
  }

  /** The first timer invocation the host reports (at once if it already has); fails with what the host printed if none comes. */
  async firstFired(timeoutMs = 30_000): Promise<HostFiredMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const first = this.fired[0];
      if (first) return first;
      if (this.exitReason !== undefined) throw this.failure("exited before a timer fired");
      if (Date.now() >= deadline) throw this.failure(`fired no timer within ${timeoutMs} ms`);
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((wake) => {
        this.firedWaiters.push(wake);
        timer = setTimeout(wake, deadline - Date.now());
      });
      clearTimeout(timer);
    }
  }

  /** Waits until the reports satisfy the condition; fails with what the host printed if they do not in time. */
  async waitFor(condition: (reports: readonly HostReport[]) => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition(this.reports)) {
      if (this.exitReason !== undefined) throw this.failure(`exited before ${what}`);
      if (Date.now() >= deadline) throw this.failure(`did not report ${what} within ${timeoutMs} ms`);
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((wake) => {
        this.firedWaiters.push(wake);
        timer = setTimeout(wake, deadline - Date.now());
      });
      clearTimeout(timer);
    }
  }

  /** SIGKILL, as a worker dies with its instance: nothing of the app runs after it. */
  async kill(): Promise<void> {
    if (this.exitReason !== undefined) return;
    this.child.kill("SIGKILL");
    await this.exited;
  }

  /** Asks the host to stop (it finishes a running invocation first) and waits for it to exit; kills it after timeoutMs. */
  async stop(timeoutMs = 20_000): Promise<void> {
    if (this.exitReason !== undefined) return;
    if (this.child.connected) this.child.send({ type: "stop" });
    else this.child.kill("SIGTERM");
    const kill = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    await this.exited;
    clearTimeout(kill);
  }

  private failure(what: string): Error {
    return new Error(`the Functions host ${what} (${this.exitReason ?? "running"}); it printed:\n${this.output}`);
  }
}

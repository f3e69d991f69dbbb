import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "vitest";
import { buildFunctionsHostBundle } from "../../local/functionsHost/bundle";
import { buildDeployPackage } from "../../scripts/deployPackage";
import { FunctionsHostProcess, type HostDequeuedMessage, type HostReport } from "./functionsHostProcess";

/**
 * The fan-out as deployed, for tests that run it in emulated Functions hosts (test/fanout): the deploy
 * package with the test's queue knobs, hosts started on it, the timer run by hand, and waits across
 * several hosts (several instances on one queue).
 */

/** A schedule that never fires while a test runs: the tests run the timer by hand (fireTimer). */
export const NEVER_IN_THE_TEST = "0 0 0 1 1 *";
/** The first page of the restore-session listing, as a poll asks for it (tenant add's check adds `?$top=1`). */
export const LISTING = "/v1.0/solutions/backupRestore/restoreSessions";

export interface FanoutApp {
  readonly appDir: string;
  readonly hostJs: string;
}

/**
 * Builds the deploy package and the host bundle under `work`, with the package's host.json given the
 * test's knobs: one message at a time per host (so that two hosts share the work), retries after 1 s
 * rather than 2 min, the queue looked at every second at most.
 */
export async function buildFanoutApp(work: string): Promise<FanoutApp> {
  const [pkg, hostJs] = await Promise.all([buildDeployPackage(path.join(work, "out")), buildFunctionsHostBundle(path.join(work, "functions-host.js"))]);
  const hostJsonPath = path.join(pkg.appDir, "host.json");
  const hostJson = JSON.parse(readFileSync(hostJsonPath, "utf8")) as { extensions: { queues: Record<string, unknown> } };
  expect(hostJson.extensions.queues).toMatchObject({ maxDequeueCount: 5, messageEncoding: "base64" });
  Object.assign(hostJson.extensions.queues, { batchSize: 1, newBatchThreshold: 0, visibilityTimeout: "00:00:01", maxPollingInterval: "00:00:01" });
  writeFileSync(hostJsonPath, JSON.stringify(hostJson));
  return { appDir: pkg.appDir, hostJs };
}

/** A host on the app, once ready, having registered the app's four functions. */
export async function startFanoutHost(app: FanoutApp, env: Readonly<Record<string, string>>): Promise<FunctionsHostProcess> {
  const host = FunctionsHostProcess.start({ hostJs: app.hostJs, appDir: app.appDir, env });
  const ready = await host.ready;
  expect(ready.functions.map((fn) => [fn.name, fn.triggerType])).toEqual([
    ["pollRestoreSessions", "timerTrigger"],
    ["opsTestAlert", "httpTrigger"],
    ["pollTenant", "queueTrigger"],
    ["tenantPollPoison", "queueTrigger"],
  ]);
  return host;
}

/** Runs the timer now through the host's admin endpoint, and waits for it to finish (successfully). */
export async function fireTimer(host: FunctionsHostProcess): Promise<void> {
  const ready = await host.ready;
  const before = host.reports.length;
  const response = await fetch(`${ready.http.url}/admin/functions/pollRestoreSessions`, { method: "POST", headers: { "x-functions-key": ready.http.keys.master }, body: JSON.stringify({ input: "" }) });
  expect(response.status).toBe(202);
  await host.waitFor((reports) => reports.slice(before).some((r) => r.type === "invoked" && r.name === "pollRestoreSessions"), "the timer's run");
  const run = host.reports.slice(before).find((r) => r.type === "invoked" && r.name === "pollRestoreSessions");
  expect(run, host.printed).toMatchObject({ ok: true });
}

/** The queue messages a function took, as the host reported them. */
export const dequeued = (reports: readonly HostReport[], name = "pollTenant"): HostDequeuedMessage[] => reports.filter((r): r is HostDequeuedMessage => r.type === "dequeued" && r.name === name);

/** Waits until the condition holds, woken by any host's reports; fails with every host's output. */
export async function waitAcrossHosts(hosts: readonly FunctionsHostProcess[], condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${hosts.map((h) => h.printed).join("\n---\n")}`);
    await Promise.race(hosts.map((h) => h.waitFor(() => condition(), what, 200).catch(() => undefined)));
  }
}

/** A tenant-poll message as the timer writes it (base64, as host.json's messageEncoding says). */
export function tenantPollMessage(tenantId: string, cycle: string): string {
  return Buffer.from(JSON.stringify({ tenantId, cycle, enqueuedAt: cycle })).toString("base64");
}

/** One tenant poll as a host ran it: the tenant its run line names, and when it started and ended (this process's clock). */
export interface TenantPollSpan {
  readonly host: number;
  readonly tenantId: string;
  readonly start: number;
  readonly end: number;
}

/**
 * The tenant polls each host ran, from what it printed: a run's summary line (`restorewatch run ...
 * tenant=<id>`) and the `Executed 'Functions.pollTenant' (..., Duration=<n>ms)` line that follows it.
 * With one message at a time per host (buildFanoutApp's batchSize), these pair up. Invocations that
 * did not poll (skipped, lease held, failed) print no run line and are left out.
 */
export function tenantPollSpans(hosts: readonly FunctionsHostProcess[]): TenantPollSpan[] {
  const spans: TenantPollSpan[] = [];
  hosts.forEach((host, index) => {
    let tenantId: string | undefined;
    for (const line of host.lines) {
      const run = /\[pollTenant\] restorewatch run \S+.*: tenant=(\S+) /.exec(line.text);
      if (run) tenantId = run[1];
      const executed = /Executed 'Functions\.pollTenant' \(.*Duration=(\d+)ms\)/.exec(line.text);
      if (!executed) continue;
      if (tenantId !== undefined) spans.push({ host: index, tenantId, start: line.at - Number(executed[1]), end: line.at });
      tenantId = undefined;
    }
  });
  return spans;
}

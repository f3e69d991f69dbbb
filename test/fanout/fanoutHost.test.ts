import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { TableClient } from "@azure/data-tables";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAzuriteQueue, startAzuriteTable, type AzuriteQueue, type AzuriteTable } from "../../local/emulators/azurite";
import { EntraEmulator, type EmulatedServicePrincipal } from "../../local/emulators/entraEmulator";
import { GraphEmulator } from "../../local/emulators/graph/graphEmulator";
import { ManagedIdentityEndpoint } from "../../local/emulators/managedIdentityEndpoint";
import { loadTestTls } from "../../local/emulators/tls";
import { TEST_TENANT_ID, TOKEN_EXCHANGE_AUDIENCE, TokenIssuer, entraIssuer } from "../../local/emulators/tokens";
import { QueueService } from "../../local/functionsHost/queueRest";
import { runCli } from "../../shared/cli/main";
import { TENANTS_PARTITION } from "../../shared/domain/tenant";
import { FANOUT_PARTITION, TENANT_POISON_QUEUE, TENANT_QUEUE } from "../../shared/domain/tenantPoll";
import type { FunctionsHostProcess, HostDequeuedMessage } from "../support/functionsHostProcess";
import { LISTING, NEVER_IN_THE_TEST, buildFanoutApp, dequeued, fireTimer, startFanoutHost, tenantPollMessage as message, waitAcrossHosts as waitAcross, type FanoutApp } from "../support/fanoutHosts";
import { READ_ROLE } from "../support/pipelineHarness";

/**
 * The fan-out as deployed: the deploy package in emulated Functions hosts (two of them: two instances
 * on one queue), Azurite's table and queue services, Graph through the multi-tenant app registration
 * federated from the managed identity (each tenant's token has that tenant's service principal as
 * `oid`, so Graph's request log tells the tenants apart), alerts and notices in the outbox folder.
 */

const issuer = new TokenIssuer();
const miClientId = randomUUID();
const cleanup: (() => Promise<unknown> | void)[] = [];
let work: string;
let fanoutApp: FanoutApp;
let azurite: AzuriteTable;
let queue: AzuriteQueue;
let queues: QueueService;
let graph: GraphEmulator;
let entra: EntraEmulator;
let appId: string;
let outbox: string;
let settings: Record<string, string>;
let table: TableClient;
const principals = new Map<string, EmulatedServicePrincipal>();
const hosts: FunctionsHostProcess[] = [];

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), "restorewatch-fanout-"));
  cleanup.push(() => rmSync(work, { recursive: true, force: true }));
  const tls = loadTestTls();
  fanoutApp = await buildFanoutApp(work);

  const identity = await ManagedIdentityEndpoint.start({ issuer, roles: [], clientId: miClientId, tenantId: TEST_TENANT_ID });
  cleanup.push(() => identity.stop());
  [azurite, queue, entra, graph] = await Promise.all([
    startAzuriteTable(),
    startAzuriteQueue(),
    EntraEmulator.start({ tls, assertionIssuer: issuer, tokenIssuer: issuer }),
    GraphEmulator.start({ tls, issuer }),
  ]);
  cleanup.push(() => azurite.stop(), () => queue.stop(), () => entra.stop(), () => graph.stop());
  queues = QueueService.fromConnectionString(queue.connectionString, "test");
  // The multi-tenant app registration, trusting the managed identity; consented in the home tenant.
  appId = entra.registerApp({ homeTenantId: TEST_TENANT_ID, multiTenant: true }).appId;
  entra.addFederatedCredential(appId, { name: "restorewatch-uami", issuer: entraIssuer(TEST_TENANT_ID), subject: identity.objectId, audiences: [TOKEN_EXCHANGE_AUDIENCE] });
  principals.set(TEST_TENANT_ID, entra.provision(appId, TEST_TENANT_ID, { roles: [READ_ROLE] }));
  graph.createSession({ workload: "exchange", status: "failed", artifacts: [] });
  outbox = path.join(work, "outbox");
  const stateTable = `rw${randomUUID().replace(/-/g, "").slice(0, 20)}`;
  settings = {
    FUNCTIONS_WORKER_RUNTIME: "node",
    AzureWebJobsStorage: azurite.connectionString,
    STATE_TABLE: stateTable,
    POLL_SCHEDULE: NEVER_IN_THE_TEST,
    GRAPH_ENDPOINT: graph.url,
    GRAPH_MAX_RETRIES: "0",
    AZURE_CLIENT_ID: miClientId,
    IDENTITY_ENDPOINT: identity.endpoint,
    IDENTITY_HEADER: identity.secret,
    GRAPH_CLIENT_ID: appId,
    GRAPH_TENANT_ID: TEST_TENANT_ID,
    AZURE_AUTHORITY_HOST: entra.url,
    RESTOREWATCH_EMULATOR_ORIGINS: `${graph.url},${entra.url}`,
    ALERT_BASELINE_SINCE: "2020-01-01T00:00:00Z",
    ALERT_OUTBOX_DIR: outbox,
    // Each failed tenant run would send its own notice after this many; the poison notice is the one under test.
    HEALTH_ALERT_AFTER: "1000",
    TenantQueue__queueServiceUri: queue.queueEndpoint,
    TenantQueue__credential: "managedidentity",
    TenantQueue__clientId: miClientId,
    NODE_EXTRA_CA_CERTS: tls.certPath,
    PATH: process.env["PATH"] ?? "",
  };
  table = TableClient.fromConnectionString(azurite.connectionString, stateTable, { allowInsecureConnection: true });
  hosts.push(await startHost(), await startHost());
}, 120_000);

afterAll(async () => {
  const failures: unknown[] = [];
  for (const host of hosts) await host.stop().catch((error: unknown) => failures.push(error));
  for (const step of cleanup.reverse()) await Promise.resolve().then(step).catch((error: unknown) => failures.push(error));
  if (failures.length > 0) throw new AggregateError(failures, "clean-up failed");
});

const startHost = (): Promise<FunctionsHostProcess> => startFanoutHost(fanoutApp, settings);

async function recordTenant(tenantId: string, name: string, paused = false): Promise<void> {
  entra.addTenant(tenantId);
  principals.set(tenantId, entra.provision(appId, tenantId, { roles: [READ_ROLE] }));
  await table.upsertEntity({ partitionKey: TENANTS_PARTITION, rowKey: tenantId, name, paused, addedAt: new Date().toISOString() }, "Replace");
}

/** Graph's first listing pages, by the tenant whose token called (its service principal's object id). */
function listingsOf(tenantId: string): { at: number; status: number }[] {
  const oid = principals.get(tenantId)?.objectId;
  return graph.requests.filter((r) => r.path === LISTING && r.objectId === oid).map((r) => ({ at: r.at, status: r.status }));
}

const allDequeued = (name = "pollTenant"): HostDequeuedMessage[] => hosts.flatMap((h) => dequeued(h.reports, name));
const completedCount = (): number => allDequeued().filter((d) => d.outcome === "completed").length;

const waitAcrossHosts = (condition: () => boolean, what: string, timeoutMs?: number): Promise<void> => waitAcross(hosts, condition, what, timeoutMs);

/** Alerts written to the outbox folder for a tenant (each alert once per file it is in). */
function alertsSentFor(tenantId: string): string[] {
  const ids: string[] = [];
  for (const file of readdirSync(outbox).filter((f) => f.endsWith(".json") && !f.includes("-health-"))) {
    const alerts = JSON.parse(readFileSync(path.join(outbox, file), "utf8")) as { id: string; tenantId: string }[];
    ids.push(...alerts.filter((a) => a.tenantId === tenantId).map((a) => a.id));
  }
  return ids;
}

describe("the tenant fan-out through the emulated Functions host", () => {
  it("with no tenant recorded, the timer polls the home tenant itself and no queue is touched", async () => {
    await fireTimer(hosts[0] as FunctionsHostProcess);
    expect(listingsOf(TEST_TENANT_ID)).toHaveLength(1);
    expect(await queues.exists(TENANT_QUEUE)).toBe(false);
    expect(allDequeued()).toEqual([]);
    expect(alertsSentFor(TEST_TENANT_ID)).toHaveLength(1);
  });

  it("three tenants recorded and one paused: one message each for the three, each polled exactly once per cycle, by both hosts between them", async () => {
    const tenants = [randomUUID(), randomUUID(), randomUUID()];
    const paused = randomUUID();
    for (const [index, tenantId] of tenants.entries()) await recordTenant(tenantId, `Customer ${index + 1}`);
    await recordTenant(paused, "Paused customer", true);
    const homeListings = listingsOf(TEST_TENANT_ID).length;
    // Each poll takes a while, so that the second host finds messages while the first is busy.
    graph.injectFault(new RegExp(`^${LISTING}$`), { status: 200, delayMs: 400 }, 3);

    await fireTimer(hosts[0] as FunctionsHostProcess);
    await waitAcrossHosts(() => completedCount() === 3, "three tenant polls");
    for (const tenantId of tenants) expect(listingsOf(tenantId), tenantId).toHaveLength(1);
    expect(listingsOf(paused)).toEqual([]);
    expect(listingsOf(TEST_TENANT_ID)).toHaveLength(homeListings); // the home tenant is not a recorded tenant
    expect(hosts.map((h) => dequeued(h.reports).length).every((n) => n > 0)).toBe(true);
    expect(await queues.peek(TENANT_QUEUE)).toEqual([]);
    for (const tenantId of tenants) {
      expect(alertsSentFor(tenantId)).toHaveLength(1);
      const lease = await table.getEntity<Record<string, unknown>>(FANOUT_PARTITION, tenantId);
      expect(lease["lastPolledCycle"]).toEqual(expect.any(String));
      expect(lease["leaseUntil"]).toBeUndefined();
    }

    await fireTimer(hosts[1] as FunctionsHostProcess);
    await waitAcrossHosts(() => completedCount() === 6, "the second cycle's three polls");
    for (const tenantId of tenants) expect(listingsOf(tenantId), tenantId).toHaveLength(2);
    expect(listingsOf(paused)).toEqual([]);
    for (const tenantId of tenants) expect(alertsSentFor(tenantId)).toHaveLength(1);
    for (const tenantId of tenants) await table.upsertEntity({ partitionKey: TENANTS_PARTITION, rowKey: tenantId, name: "done", paused: true, addedAt: "" }, "Replace");
  }, 60_000);

  it("two workers never poll one tenant at once: duplicates of a cycle are completed unpolled, a later cycle waits for the lease", async () => {
    const tenantId = randomUUID();
    await recordTenant(tenantId, "Contended");
    const before = completedCount();
    graph.injectFault(new RegExp(`^${LISTING}$`), { status: 200, delayMs: 1500 }, 1);
    const cycleA = new Date(Date.now() - 60_000).toISOString();
    const cycleB = new Date().toISOString();
    for (const text of [message(tenantId, cycleA), message(tenantId, cycleA), message(tenantId, cycleB)]) await queues.put(TENANT_QUEUE, text);

    await waitAcrossHosts(() => completedCount() === before + 3, "the three messages done");
    const listings = listingsOf(tenantId);
    expect(listings).toHaveLength(2); // one per cycle
    // The second poll began only after the first (held up 1.5 s by Graph) had let the lease go.
    expect((listings[1]?.at ?? 0) - (listings[0]?.at ?? 0)).toBeGreaterThanOrEqual(1500);
    const retried = allDequeued().filter((d) => d.outcome === "retried");
    expect(retried.length).toBeGreaterThan(0);
    expect(retried.every((d) => /is being polled by another instance/.test(d.error ?? ""))).toBe(true);
    expect(alertsSentFor(tenantId)).toHaveLength(1);
    await table.upsertEntity({ partitionKey: TENANTS_PARTITION, rowKey: tenantId, name: "done", paused: true, addedAt: "" }, "Replace");
  }, 60_000);

  it("a tenant whose polls keep failing: after maxDequeueCount tries its message is poison, a health notice names the tenant once, and status shows it", async () => {
    const tenantId = randomUUID();
    await recordTenant(tenantId, "Revoked & Co");
    (principals.get(tenantId) as EmulatedServicePrincipal).roles = []; // consent revoked: Graph answers 403
    const seen = hosts.map((h) => h.reports.length);
    const since = (name = "pollTenant"): HostDequeuedMessage[] => hosts.flatMap((h, i) => dequeued(h.reports.slice(seen[i]), name));
    const cycle = new Date().toISOString();
    await queues.put(TENANT_QUEUE, message(tenantId, cycle));

    await waitAcrossHosts(() => since("tenantPollPoison").some((d) => d.outcome === "completed"), "the poison message handled", 45_000);
    expect(since().map((d) => [d.dequeueCount, d.outcome]).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual([[1, "retried"], [2, "retried"], [3, "retried"], [4, "retried"], [5, "poisoned"]]);
    expect(listingsOf(tenantId)).toHaveLength(5);
    expect(await queues.peek(TENANT_POISON_QUEUE)).toEqual([]);

    const notices = readdirSync(outbox).filter((f) => f.includes("-health-unhealthy") && f.endsWith(".json")).map((f) => JSON.parse(readFileSync(path.join(outbox, f), "utf8")) as { tenantId: string; cause: string });
    const about = notices.filter((n) => n.tenantId === tenantId);
    expect(about).toHaveLength(1);
    expect(about[0]?.cause).toContain(`tenant Revoked & Co (${tenantId}) for cycle ${cycle} failed 5 times`);
    expect(about[0]?.cause).toContain(TENANT_POISON_QUEUE);
    expect(about[0]?.cause).toMatch(/403|BackupRestore-Restore\.Read\.All/);
    const html = readdirSync(outbox).find((f) => f.includes("-health-unhealthy") && f.endsWith(".html") && readFileSync(path.join(outbox, f), "utf8").includes(tenantId));
    expect(readFileSync(path.join(outbox, html ?? ""), "utf8")).toContain("Revoked &amp; Co");

    const out: string[] = [];
    const code = await runCli(["status"], { out: (l) => out.push(l), err: (l) => out.push(l), env: { AzureWebJobsStorage: azurite.connectionString, STATE_TABLE: settings["STATE_TABLE"] ?? "", GRAPH_TENANT_ID: TEST_TENANT_ID }, credential: issuer.credential() });
    expect(code, out.join("\n")).toBe(0);
    expect(out).toContain("1 tenant poll(s) in tenant-poll-poison (failed every try):");
    expect(out.find((l) => l.includes(`tenant ${tenantId}`))).toMatch(new RegExp(`cycle ${cycle}  poisoned \\S+ after 5 tries, last error: .*403`));
    await table.upsertEntity({ partitionKey: TENANTS_PARTITION, rowKey: tenantId, name: "done", paused: true, addedAt: "" }, "Replace");
  }, 90_000);

  it("a worker killed mid-tenant: the tenant is polled again in the next cycle, its alert sent once", async () => {
    // One host only, so that the kill lands on the worker that has the tenant.
    await Promise.all(hosts.splice(0).map((h) => h.stop()));
    const tenantId = randomUUID();
    await recordTenant(tenantId, "Interrupted");
    const worker = await startHost();
    hosts.push(worker);
    graph.injectFault(new RegExp(`^${LISTING}$`), { status: 200, delayMs: 30_000 }, 1);
    const cycle1 = new Date().toISOString();
    await queues.put(TENANT_QUEUE, message(tenantId, cycle1));
    for (let waited = 0; listingsOf(tenantId).length === 0; waited += 20) {
      if (waited > 20_000) throw new Error(`the worker never reached Graph:\n${worker.printed}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await worker.kill();
    graph.clearFaults();
    const lease = await table.getEntity<Record<string, unknown>>(FANOUT_PARTITION, tenantId);
    expect(lease).toMatchObject({ leaseCycle: cycle1, leaseUntil: expect.any(String) });
    expect(alertsSentFor(tenantId)).toEqual([]);
    // The lease (9.5 minutes) runs out before the next cycle: stand for that time passing.
    await table.updateEntity({ partitionKey: FANOUT_PARTITION, rowKey: tenantId, leaseUntil: new Date(Date.now() - 1000).toISOString() }, "Merge");

    const next = await startHost();
    hosts.push(next);
    const cycle2 = new Date(Date.now() + 1000).toISOString();
    await queues.put(TENANT_QUEUE, message(tenantId, cycle2));
    await next.waitFor((reports) => dequeued(reports).some((d) => d.outcome === "completed"), "the next cycle's poll");
    expect(listingsOf(tenantId)).toHaveLength(2);
    expect(alertsSentFor(tenantId)).toHaveLength(1);
    expect(await table.getEntity<Record<string, unknown>>(FANOUT_PARTITION, tenantId)).toMatchObject({ lastPolledCycle: cycle2 });
  }, 60_000);
});

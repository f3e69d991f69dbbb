import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AcsEmailEmulator } from "../../local/emulators/acsEmailEmulator";
import { startAzuriteQueue, startAzuriteTable, type AzuriteQueue, type AzuriteTable } from "../../local/emulators/azurite";
import { EntraEmulator } from "../../local/emulators/entraEmulator";
import { GraphEmulator } from "../../local/emulators/graph/graphEmulator";
import { KeyVaultEmulator } from "../../local/emulators/keyVaultEmulator";
import { ManagedIdentityEndpoint } from "../../local/emulators/managedIdentityEndpoint";
import { TeamsReceiver } from "../../local/emulators/teamsReceiver";
import { loadTestTls } from "../../local/emulators/tls";
import { TEST_TENANT_ID, TOKEN_EXCHANGE_APP_ID, TOKEN_EXCHANGE_AUDIENCE, TokenIssuer, entraIssuer } from "../../local/emulators/tokens";
import { QueueService } from "../../local/functionsHost/queueRest";
import { runCli } from "../../shared/cli/main";
import { TENANT_POISON_QUEUE, TENANT_QUEUE } from "../../shared/domain/tenantPoll";
import type { FunctionsHostProcess } from "../support/functionsHostProcess";
import { LISTING, NEVER_IN_THE_TEST, buildFanoutApp, dequeued, fireTimer, startFanoutHost, tenantPollSpans, waitAcrossHosts, type FanoutApp } from "../support/fanoutHosts";
import { READ_ROLE } from "../support/pipelineHarness";

/**
 * Many tenants, every part at once (issue 16, "Done when"): an MSP's deployment as deployed (the deploy
 * package in two emulated Functions hosts on one queue, Graph through the multi-tenant app registration
 * federated from the managed identity, ACS Email, Teams workflows, a route's webhook in Key Vault), set
 * up with the operator's commands (`tenant add`, `tenant pause`, `route add`), then two cycles of the
 * timer's fan-out: Contoso's Exchange failure goes to the Exchange team, its OneDrive failure and
 * Fabrikam's SharePoint failure to the default route; Northwind withdrew its consent (a notice names
 * it, its messages end as poison, `status` shows them, the others carry on); Tailspin is paused (no
 * message, no token, nothing sent); and no tenant is polled by both hosts at once.
 */

const EXCHANGE_TEAM = "exchange-team@contoso.com";
const EXCHANGE_SECRET = "exchange-team-teams-webhook";
const ADMINS = "backup-admins@contoso.com";
/** The first tenant poll to reach Graph is held this long, so that the other host meets its lease. */
const SLOW_POLL_MS = 3000;

const issuer = new TokenIssuer();
const miClientId = randomUUID();
const cleanup: (() => Promise<unknown> | void)[] = [];
const hosts: FunctionsHostProcess[] = [];
let fanoutApp: FanoutApp;
let identity: ManagedIdentityEndpoint;
let azurite: AzuriteTable;
let queue: AzuriteQueue;
let entra: EntraEmulator;
let graph: GraphEmulator;
let acs: AcsEmailEmulator;
let teams: TeamsReceiver;
let exchangeTeams: TeamsReceiver;
let vault: KeyVaultEmulator;
let appId: string;
let settings: Record<string, string>;

beforeAll(async () => {
  const work = mkdtempSync(path.join(tmpdir(), "restorewatch-many-"));
  cleanup.push(() => rmSync(work, { recursive: true, force: true }));
  const tls = loadTestTls();
  identity = await ManagedIdentityEndpoint.start({ issuer, roles: [], clientId: miClientId, tenantId: TEST_TENANT_ID });
  cleanup.push(() => identity.stop());
  [fanoutApp, azurite, queue, entra, graph, acs, teams, exchangeTeams, vault] = await Promise.all([
    buildFanoutApp(work),
    startAzuriteTable(),
    startAzuriteQueue(),
    // Tokens shorter-lived than MSAL's renewal margin: each poll asks Entra, so a withdrawn consent shows at once.
    EntraEmulator.start({ tls, assertionIssuer: issuer, tokenIssuer: issuer, tokenLifetimeInSeconds: 200 }),
    GraphEmulator.start({ tls, issuer }),
    AcsEmailEmulator.start({ tls, issuer }),
    TeamsReceiver.start({ tls }),
    TeamsReceiver.start({ tls }),
    KeyVaultEmulator.start({ tls, issuer }),
  ]);
  cleanup.push(() => azurite.stop(), () => queue.stop(), () => entra.stop(), () => graph.stop(), () => acs.stop(), () => teams.stop(), () => exchangeTeams.stop(), () => vault.stop());
  // The MSP's multi-tenant app registration, trusting the managed identity; the Exchange team's workflow URL in Key Vault.
  appId = entra.registerApp({ homeTenantId: TEST_TENANT_ID, multiTenant: true }).appId;
  entra.addFederatedCredential(appId, { name: "restorewatch-uami", issuer: entraIssuer(TEST_TENANT_ID), subject: identity.objectId, audiences: [TOKEN_EXCHANGE_AUDIENCE] });
  entra.provision(appId, TEST_TENANT_ID, { roles: [READ_ROLE] });
  vault.setSecret(EXCHANGE_SECRET, exchangeTeams.url);
  settings = {
    FUNCTIONS_WORKER_RUNTIME: "node",
    AzureWebJobsStorage: azurite.connectionString,
    STATE_TABLE: `rw${randomUUID().replace(/-/g, "").slice(0, 20)}`,
    POLL_SCHEDULE: NEVER_IN_THE_TEST,
    GRAPH_ENDPOINT: graph.url,
    GRAPH_MAX_RETRIES: "0",
    AZURE_CLIENT_ID: miClientId,
    IDENTITY_ENDPOINT: identity.endpoint,
    IDENTITY_HEADER: identity.secret,
    GRAPH_CLIENT_ID: appId,
    GRAPH_TENANT_ID: TEST_TENANT_ID,
    AZURE_AUTHORITY_HOST: entra.url,
    RESTOREWATCH_EMULATOR_ORIGINS: [graph.url, entra.url, vault.uri].join(","),
    ACS_ENDPOINT: acs.endpoint,
    ALERT_EMAIL_FROM: "DoNotReply@restorewatch.contoso.com",
    ALERT_EMAIL_TO: ADMINS,
    TEAMS_WEBHOOK_URL: teams.url,
    TEAMS_WEBHOOK_ALLOWED_HOSTS: "127.0.0.1",
    KEY_VAULT_URI: vault.uri,
    ALERT_BASELINE_SINCE: "2020-01-01T00:00:00Z",
    // The first failed run of a tenant is told at once.
    HEALTH_ALERT_AFTER: "1",
    TenantQueue__queueServiceUri: queue.queueEndpoint,
    TenantQueue__credential: "managedidentity",
    TenantQueue__clientId: miClientId,
    NODE_EXTRA_CA_CERTS: tls.certPath,
    PATH: process.env["PATH"] ?? "",
  };
}, 120_000);

afterAll(async () => {
  const failures: unknown[] = [];
  for (const host of hosts) await host.stop().catch((error: unknown) => failures.push(error));
  for (const step of cleanup.reverse()) await Promise.resolve().then(step).catch((error: unknown) => failures.push(error));
  if (failures.length > 0) throw new AggregateError(failures, "clean-up failed");
});

/** `restorewatch <args>` as the operator runs it, signed in as the managed identity (the app registration's assertion). */
async function restorewatch(...args: string[]): Promise<string> {
  const lines: string[] = [];
  const credential = issuer.credential({ audience: TOKEN_EXCHANGE_APP_ID, tenantId: TEST_TENANT_ID, objectId: identity.objectId, appId: miClientId, issuerUrl: entraIssuer(TEST_TENANT_ID), subject: identity.objectId });
  const code = await runCli(args, { out: (l) => lines.push(l), err: (l) => lines.push(l), env: settings, processEnv: { RESTOREWATCH_EMULATOR_ORIGINS: settings["RESTOREWATCH_EMULATOR_ORIGINS"] ?? "" }, credential });
  expect(code, `restorewatch ${args.join(" ")}:\n${lines.join("\n")}`).toBe(0);
  return lines.join("\n");
}

/** A customer tenant in Entra whose admin consented to the app registration. */
function customer(): string {
  const tenantId = randomUUID();
  entra.addTenant(tenantId);
  entra.provision(appId, tenantId, { roles: [READ_ROLE] });
  return tenantId;
}

function failure(tenantId: string, workload: "exchange" | "oneDrive" | "sharePoint"): string {
  return graph.tenant(tenantId).createSession({ workload, status: "failed", artifacts: [{ id: `${workload}-unit`, status: "failed", error: { code: "ArtifactNotFound", message: "The item was not found." } }] }).id;
}

const alertMails = (to: string) => acs.messages.filter((m) => m.recipients.to.includes(to) && !m.subject.includes("restorewatch cannot"));
const mailsWith = (id: string) => acs.messages.filter((m) => (m.plainText ?? "").includes(id));
const cards = (receiver: TeamsReceiver) => receiver.posts.filter((p) => p.answeredWith === 202).map((p) => JSON.stringify(p.body));

describe("many tenants from one deployment, end to end: fan-out, routes, consent, pause, poison and leases together", () => {
  it("delivers each tenant's alerts to its route's receivers, tells of the revoked tenant while the others carry on, skips the paused one, and never polls a tenant on both hosts at once", async () => {
    const [contoso, fabrikam, northwind, tailspin] = [customer(), customer(), customer(), customer()];
    const contosoExchange = failure(contoso, "exchange");
    const contosoOneDrive = failure(contoso, "oneDrive");
    const fabrikamSharePoint = failure(fabrikam, "sharePoint");
    const northwindExchange = failure(northwind, "exchange");
    const tailspinExchange = failure(tailspin, "exchange");

    // The operator's set-up: four tenants (each checked as the app registration in that tenant), one paused, one route.
    for (const [tenantId, name] of [[contoso, "Contoso"], [fabrikam, "Fabrikam"], [northwind, "Northwind Traders"], [tailspin, "Tailspin Toys"]] as const) {
      expect(await restorewatch("tenant", "add", tenantId, "--name", name)).toContain(`verified: restorewatch can read the restore sessions of ${name} (${tenantId})`);
    }
    await restorewatch("tenant", "pause", tailspin);
    await restorewatch("route", "add", "--name", "exchange-team", "--workload", "exchange", "--email", EXCHANGE_TEAM, "--teams-secret", EXCHANGE_SECRET);
    // Northwind's admin withdraws the consent.
    entra.setConsentRevoked(appId, northwind, true);

    hosts.push(...(await Promise.all([startFanoutHost(fanoutApp, settings), startFanoutHost(fanoutApp, settings)])));
    const tokenRequestsBefore = entra.tokenRequests.length;
    const graphBefore = graph.requests.length;
    graph.injectFault(new RegExp(`^${LISTING}$`), { status: 200, delayMs: SLOW_POLL_MS }, 1);
    // Two cycles back to back, one from each host's timer: the second's messages meet the first's leases.
    await fireTimer(hosts[0] as FunctionsHostProcess);
    await fireTimer(hosts[1] as FunctionsHostProcess);
    const pollTenant = () => hosts.flatMap((h) => dequeued(h.reports));
    const poisonHandled = () => hosts.flatMap((h) => dequeued(h.reports, "tenantPollPoison")).filter((d) => d.outcome === "completed").length;
    // Three messages per cycle (the paused tenant has none), each completed or poisoned; each poison handled.
    const done = () => pollTenant().filter((d) => d.outcome !== "retried").length === 6 && poisonHandled() === pollTenant().filter((d) => d.outcome === "poisoned").length;
    await waitAcrossHosts(hosts, done, "both cycles' six messages done", 45_000);
    for (const host of hosts) expect(host.printed).toContain("3 tenant poll(s) enqueued");

    // Routes: Contoso's Exchange failure went to the Exchange team alone (its email; its Teams workflow, read from Key Vault).
    expect(alertMails(EXCHANGE_TEAM).map((m) => m.recipients.to)).toEqual([[EXCHANGE_TEAM]]);
    expect(mailsWith(contosoExchange).map((m) => m.recipients.to)).toEqual([[EXCHANGE_TEAM]]);
    expect(cards(exchangeTeams)).toHaveLength(1);
    expect(cards(exchangeTeams)[0]).toContain(contosoExchange);
    expect(cards(teams).filter((c) => c.includes(contosoExchange))).toEqual([]);
    expect(vault.reads.length).toBeGreaterThan(0);
    expect(vault.reads.every((r) => r.name === EXCHANGE_SECRET && r.status === 200)).toBe(true);
    // ... the other failures to the default route: one email and one card each, none to the Exchange team.
    for (const id of [contosoOneDrive, fabrikamSharePoint]) {
      expect(mailsWith(id).map((m) => m.recipients.to), id).toEqual([[ADMINS]]);
      expect(cards(teams).filter((c) => c.includes(id)), id).toHaveLength(1);
      expect(cards(exchangeTeams).filter((c) => c.includes(id)), id).toEqual([]);
    }
    expect(alertMails(ADMINS)).toHaveLength(2); // one digest per tenant run

    // The revoked tenant: one notice naming it (to the default receivers), no Graph request; the others carried on (above).
    const notices = acs.messages.filter((m) => m.subject.includes("restorewatch cannot see"));
    const consentNotices = notices.filter((m) => !(m.plainText ?? "").includes(TENANT_POISON_QUEUE));
    expect(consentNotices.map((m) => [m.recipients.to, m.subject])).toEqual([[[ADMINS], "[restorewatch] restorewatch cannot see the restore sessions of Northwind Traders (1 failed runs)"]]);
    expect(consentNotices[0]?.plainText).toContain(`admin consent not given yet, or withdrawn, in tenant Northwind Traders (${northwind})`);
    expect(graph.requests.slice(graphBefore).filter((r) => r.tenantId === northwind)).toEqual([]);
    expect(mailsWith(northwindExchange).filter((m) => !m.subject.includes("restorewatch cannot"))).toEqual([]);
    // Its messages failed every try: poison, told by a notice naming it, and shown by status.
    expect(pollTenant().filter((d) => d.outcome === "poisoned").length).toBeGreaterThanOrEqual(1);
    const poisonNotices = notices.filter((m) => (m.plainText ?? "").includes(TENANT_POISON_QUEUE));
    // One poison notice for the outage, however many cycles end in poison until a poll succeeds.
    expect(poisonNotices).toHaveLength(1);
    expect(notices).toHaveLength(consentNotices.length + poisonNotices.length);
    for (const notice of poisonNotices) {
      expect(notice.recipients.to).toEqual([ADMINS]);
      expect(notice.plainText).toContain(`the poll of tenant Northwind Traders (${northwind}) for cycle`);
      expect(notice.plainText).toContain(`moved to ${TENANT_POISON_QUEUE}`);
      expect(notice.subject).toContain("cannot see the restore sessions of Northwind Traders");
    }
    expect(acs.messages.filter((m) => m.recipients.to.includes(EXCHANGE_TEAM) && m.subject.includes("restorewatch cannot"))).toEqual([]);
    const status = await restorewatch("status");
    expect(status).toMatch(/\d+ tenant poll\(s\) in tenant-poll-poison \(failed every try\):/);
    expect(status).toMatch(new RegExp(`tenant ${northwind} .*poisoned .*after \\d+ tries, last error: .*admin consent`));

    // The paused tenant: no message, no token, no Graph request, nothing sent.
    expect(entra.tokenRequests.slice(tokenRequestsBefore).filter((r) => r.tenant === tailspin)).toEqual([]);
    expect(graph.requests.slice(graphBefore).filter((r) => r.tenantId === tailspin)).toEqual([]);
    expect(mailsWith(tailspinExchange)).toEqual([]);
    expect([...cards(teams), ...cards(exchangeTeams)].filter((c) => c.includes(tailspinExchange))).toEqual([]);

    // Leases: each healthy tenant polled once per cycle, never by both hosts at once, though a host met another's lease.
    for (const tenantId of [contoso, fabrikam]) expect(graph.requests.slice(graphBefore).filter((r) => r.path === LISTING && r.tenantId === tenantId), tenantId).toHaveLength(2);
    const spans = tenantPollSpans(hosts);
    expect(spans.map((s) => s.tenantId).sort()).toEqual([contoso, contoso, fabrikam, fabrikam].sort());
    expect(new Set(spans.map((s) => s.host))).toEqual(new Set([0, 1]));
    for (const tenantId of [contoso, fabrikam]) {
      const [first, second] = spans.filter((s) => s.tenantId === tenantId).sort((a, b) => a.start - b.start);
      if (!first || !second) throw new Error(`two polls of ${tenantId} expected`);
      // A poll hands its lease over as it ends: the next one starts (at most a pipe's latency early) after.
      expect(second.start, `${tenantId}: ${JSON.stringify([first, second])}`).toBeGreaterThanOrEqual(first.end - 50);
    }
    expect(pollTenant().some((d) => d.outcome === "retried" && /is being polled by another instance/.test(d.error ?? ""))).toBe(true);
    expect(await QueueService.fromConnectionString(queue.connectionString, "test").peek(TENANT_QUEUE)).toEqual([]);
  }, 90_000);
});

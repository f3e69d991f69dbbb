import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../../shared/cli/main";
import { KeyVaultSecrets } from "../../shared/identity/keyVaultSecrets";
import { KEY_VAULT_AUDIENCE, KeyVaultEmulator } from "../../local/emulators/keyVaultEmulator";
import { TeamsReceiver } from "../../local/emulators/teamsReceiver";
import { loadTestTls } from "../../local/emulators/tls";
import { TEST_TENANT_ID, TokenIssuer } from "../../local/emulators/tokens";
import { SEND_LOG_PARTITION } from "../../shared/state/sendLog";
import { TelemetryRecorder } from "../../shared/telemetry/recorder";
import type { TelemetryDimensions, TelemetryEventKind } from "../../shared/domain/telemetry";
import { useAzurite } from "../support/useAzurite";
import { readRows } from "../support/pipelineHarness";
import { startDeliveryRig, type DeliveryRigOptions, type Rig } from "../support/deliveryRig";

/**
 * Routes, end to end: `restorewatch route add` stores them in Azurite; the pipeline records each alert
 * with its route's receivers and delivers through the real ACS Email and Teams channels (a route's
 * Teams webhook read from the Key Vault emulator with a token for its audience) to their emulators.
 */
const azurite = useAzurite();
const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((part) => part.stop()));
});

const MINUTE = 60_000;

/** Keeps the delivery records the pipeline tracks (no exporter: nothing is sent). */
class DeliveryCapture extends TelemetryRecorder {
  readonly deliveries: { alertId: unknown; channel: unknown; outcome: unknown }[] = [];
  override track<K extends TelemetryEventKind>(kind: K, dimensions: TelemetryDimensions<K>): void {
    if (kind === "delivery") {
      const d = dimensions as Record<string, unknown>;
      this.deliveries.push({ alertId: d["alertId"], channel: d["channel"], outcome: d["outcome"] });
    }
    super.track(kind, dimensions);
  }
}
const EXCHANGE_TEAM = "messaging@contoso.com";
const EXCHANGE_SECRET = "exchange-teams-webhook";

interface RouteRig {
  readonly rig: Rig;
  readonly vault: KeyVaultEmulator;
  /** The Exchange team's own Teams workflow. */
  readonly exchangeTeams: TeamsReceiver;
  route(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }>;
}

async function startRouteRig(options: DeliveryRigOptions = {}): Promise<RouteRig> {
  const tls = loadTestTls();
  const vaultIssuer = new TokenIssuer();
  const vault = await KeyVaultEmulator.start({ tls, issuer: vaultIssuer });
  const exchangeTeams = await TeamsReceiver.start({ tls });
  running.push(vault, exchangeTeams);
  vault.setSecret(EXCHANGE_SECRET, exchangeTeams.url);
  const routeSecrets = new KeyVaultSecrets(vault.uri, vaultIssuer.credential({ audience: KEY_VAULT_AUDIENCE }), { emulatorOrigins: [vault.uri] });
  const rig = await startDeliveryRig(azurite, running, { ...options, routeSecrets, env: { KEY_VAULT_URI: vault.uri, ...options.env } });
  const route = async (...args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(["route", ...args], { out: (l) => out.push(l), err: (l) => err.push(l), env: rig.env, credential: rig.h.issuer.credential() });
    return { code, out, err };
  };
  return { rig, vault, exchangeTeams, route };
}

/** The alert emails (not restorewatch's notices) to these recipients. */
const emailsTo = (rig: Rig, address: string) => rig.acs.messages.filter((m) => m.recipients.to.includes(address) && !/restorewatch (cannot send|sends) alerts/.test(m.subject));
const posted = (receiver: TeamsReceiver) => receiver.posts.filter((p) => p.answeredWith === 202).map((p) => JSON.stringify(p.body));

describe("routes: each alert goes to its route's receivers; the default route takes the rest", () => {
  it("Exchange failures go to the Exchange team (email and its own Teams webhook from Key Vault), a SharePoint failure to the default route; one digest per receiver; the first match wins", async () => {
    const telemetry = new DeliveryCapture();
    const { rig, vault, exchangeTeams, route } = await startRouteRig({ telemetry });
    expect((await route("add", "--name", "exchange-team", "--tenant", TEST_TENANT_ID, "--workload", "Exchange", "--status", "failed,completedWithError", "--email", EXCHANGE_TEAM, `--teams-secret=${EXCHANGE_SECRET}`)).code).toBe(0);
    // Matches the same alerts, but later in the list: never used for them.
    expect((await route("add", "--name", "all-exchange", "--order", "20", "--workload", "exchange", "--email", "nobody@contoso.com")).code).toBe(0);
    await rig.poll();
    const exchange = [rig.fail("exchange"), rig.fail("exchange")];
    const sharePoint = rig.fail("sharePoint");
    rig.clock.now += 5 * MINUTE;
    const run = await rig.poll();

    expect(run).toMatchObject({ alertsRecorded: 3, channelsDisabled: [], delivery: { messagesDelivered: 4, alertsDelivered: 3, alertsRetrying: 0, alertsHeld: 0 } });
    const deliveries = await rig.deliveries();
    for (const id of exchange) expect(Object.keys(deliveries.get(`${id}_failed`) ?? {}).sort()).toEqual(["email:route-exchange-team", "teams:route-exchange-team"]);
    expect(deliveries.get(`${sharePoint}_failed`)).toEqual({ email: expect.objectContaining({ state: "delivered" }), teams: expect.objectContaining({ state: "delivered" }) });
    for (const states of deliveries.values()) for (const d of Object.values(states)) expect(d).toMatchObject({ state: "delivered", attempts: 1 });

    // The Exchange team: one digest email with both failures, one card on its own webhook; nothing else.
    const toTeam = emailsTo(rig, EXCHANGE_TEAM);
    expect(toTeam).toHaveLength(1);
    for (const id of exchange) expect(toTeam[0]?.plainText).toContain(id);
    expect(toTeam[0]?.plainText).not.toContain(sharePoint);
    expect(posted(exchangeTeams)).toHaveLength(1);
    for (const id of exchange) expect(posted(exchangeTeams)[0]).toContain(id);
    expect(posted(exchangeTeams)[0]).not.toContain(sharePoint);
    // The default route: the SharePoint failure only.
    const toAdmins = emailsTo(rig, "backup-admins@contoso.com");
    expect(toAdmins).toHaveLength(1);
    expect(toAdmins[0]?.plainText).toContain(sharePoint);
    for (const id of exchange) expect(toAdmins[0]?.plainText).not.toContain(id);
    expect(posted(rig.teams)).toHaveLength(1);
    expect(posted(rig.teams)[0]).toContain(sharePoint);
    expect(emailsTo(rig, "nobody@contoso.com")).toEqual([]);
    // Telemetry: one delivery record per alert and receiver, the receiver as its channel.
    expect(telemetry.deliveries.map((d) => `${d.alertId} ${d.channel} ${d.outcome}`).sort()).toEqual(
      [...exchange.flatMap((id) => [`${id}_failed email:route-exchange-team delivered`, `${id}_failed teams:route-exchange-team delivered`]), `${sharePoint}_failed email delivered`, `${sharePoint}_failed teams delivered`].sort(),
    );
    // The webhook was read once, with a token for Key Vault's audience, and never logged.
    expect(vault.reads).toEqual([{ name: EXCHANGE_SECRET, status: 200 }]);
    expect(rig.h.logs.join("\n")).not.toContain(exchangeTeams.secret);

    // A later run with nothing due reads no secret.
    rig.clock.now += 5 * MINUTE;
    await rig.poll();
    expect(vault.reads).toHaveLength(1);
  });

  it("a health notice about a tenant goes to the operator's receivers and to the tenant's own (a route for that tenant alone), not to narrower routes", async () => {
    // Graph refuses every run (a token without the restore role): after one failed run, a health notice.
    const { rig, route } = await startRouteRig({ harness: { roles: [] }, env: { HEALTH_ALERT_AFTER: "1" } });
    expect((await route("add", "--name", "contoso-admins", "--tenant", TEST_TENANT_ID, "--email", "it@customer.example")).code).toBe(0);
    expect((await route("add", "--name", "exchange-team", "--tenant", TEST_TENANT_ID, "--workload", "exchange", "--email", EXCHANGE_TEAM)).code).toBe(0);
    await expect(rig.poll()).rejects.toThrow(/403/);
    const notices = rig.acs.messages.filter((m) => /restorewatch cannot see/.test(m.subject));
    expect(notices.flatMap((m) => m.recipients.to).sort()).toEqual(["backup-admins@contoso.com", "it@customer.example"]);
    expect(rig.acs.messages.some((m) => m.recipients.to.includes(EXCHANGE_TEAM))).toBe(false);
  });

  it("a missing Key Vault secret disables that receiver alone, with a notice naming the secret; once the secret exists the held alert goes out once", async () => {
    const { rig, vault, exchangeTeams, route } = await startRouteRig();
    vault.deleteSecret(EXCHANGE_SECRET);
    expect((await route("add", "--name", "exchange-team", "--workload", "exchange", "--email", EXCHANGE_TEAM, "--teams-secret", EXCHANGE_SECRET)).code).toBe(0);
    await rig.poll();
    const sessionId = rig.fail("exchange");
    const other = rig.fail("sharePoint");
    rig.clock.now += 5 * MINUTE;
    const run = await rig.poll();

    expect(run).toMatchObject({ channelsDisabled: ["teams:route-exchange-team"], delivery: { alertsHeld: 1, held: { "teams:route-exchange-team": 1 } } });
    const deliveries = await rig.deliveries();
    expect(deliveries.get(`${sessionId}_failed`)).toEqual({ "email:route-exchange-team": expect.objectContaining({ state: "delivered", attempts: 1 }), "teams:route-exchange-team": { state: "pending", attempts: 0 } });
    expect(deliveries.get(`${other}_failed`)).toMatchObject({ email: { state: "delivered" }, teams: { state: "delivered" } });
    expect(emailsTo(rig, EXCHANGE_TEAM)).toHaveLength(1);
    expect(exchangeTeams.posts).toEqual([]);
    // The notice goes to the default route, naming the secret and what Key Vault said.
    const notices = rig.acs.messages.filter((m) => /cannot send alerts/.test(m.subject));
    expect(notices.map((m) => m.subject)).toEqual(["[restorewatch] restorewatch cannot send alerts to Teams of route exchange-team: check Key Vault secret exchange-teams-webhook"]);
    expect(notices[0]?.recipients.to).toEqual(["backup-admins@contoso.com"]);
    expect(notices[0]?.plainText).toContain("Key Vault secret 'exchange-teams-webhook' could not be read: HTTP 404 SecretNotFound");

    vault.setSecret(EXCHANGE_SECRET, exchangeTeams.url);
    rig.clock.now += 5 * MINUTE;
    const fixed = await rig.poll();
    expect(fixed).toMatchObject({ channelsDisabled: [], delivery: { messagesDelivered: 1, alertsHeld: 0 } });
    expect(posted(exchangeTeams)).toHaveLength(1);
    expect(posted(exchangeTeams)[0]).toContain(sessionId);
    expect((await rig.deliveries()).get(`${sessionId}_failed`)?.["teams:route-exchange-team"]).toMatchObject({ state: "delivered", attempts: 1 });
    expect(emailsTo(rig, EXCHANGE_TEAM)).toHaveLength(1);
    expect(rig.h.logs.join("\n")).not.toContain(exchangeTeams.secret);
  });

  it("a route's receiver has its own delivery state: dead-lettered there alone, shown by status, re-sent there alone by retry", async () => {
    const { rig, exchangeTeams, route } = await startRouteRig({ env: { DELIVERY_MAX_ATTEMPTS: "1" } });
    expect((await route("add", "--name", "exchange-team", "--workload", "exchange", "--email", EXCHANGE_TEAM, "--teams-secret", EXCHANGE_SECRET)).code).toBe(0);
    await rig.poll();
    const sessionId = rig.fail("exchange");
    exchangeTeams.respondWith(1, { status: 500, body: "workflow failed" });
    rig.clock.now += 5 * MINUTE;
    expect((await rig.poll()).delivery).toMatchObject({ alertsDeadLettered: 1 });
    const alertId = `${sessionId}_failed`;
    expect((await rig.deliveries()).get(alertId)).toEqual({ "email:route-exchange-team": expect.objectContaining({ state: "delivered" }), "teams:route-exchange-team": expect.objectContaining({ state: "deadLettered", attempts: 1 }) });

    const io = { env: rig.env, credential: rig.h.issuer.credential() };
    const status: string[] = [];
    expect(await runCli(["status"], { ...io, out: (l) => status.push(l), err: (l) => status.push(l) })).toBe(0);
    expect(status).toContain("  teams:route-exchange-team: a route's receiver (restorewatch route list); 0 alert(s) pending, 1 dead-lettered");
    expect(status.some((l) => l.includes(alertId) && l.includes("teams:route-exchange-team=deadLettered"))).toBe(true);
    expect(await runCli(["retry", alertId], { ...io, out: () => undefined, err: () => undefined })).toBe(0);

    rig.clock.now += 5 * MINUTE;
    expect((await rig.poll()).delivery).toMatchObject({ messagesDelivered: 1, alertsDelivered: 1 });
    expect(posted(exchangeTeams)).toHaveLength(1);
    expect(emailsTo(rig, EXCHANGE_TEAM)).toHaveLength(1);
  });

  it("every email receiver spends one budget (ACS limits the subscription); each Teams webhook has its own", async () => {
    const { rig, exchangeTeams, route } = await startRouteRig({ env: { ALERT_EMAIL_RATE_LIMIT: "2/1h", TEAMS_RATE_LIMIT: "1/1h" } });
    expect((await route("add", "--name", "exchange-team", "--workload", "exchange", "--email", EXCHANGE_TEAM, "--teams-secret", EXCHANGE_SECRET)).code).toBe(0);
    expect((await route("add", "--name", "onedrive-team", "--workload", "oneDrive", "--email", "files@contoso.com")).code).toBe(0);
    await rig.poll();
    rig.fail("exchange");
    rig.fail("oneDrive");
    rig.fail("sharePoint");
    rig.clock.now += 5 * MINUTE;
    const run = await rig.poll();

    // Three email receivers, one limit of 2: the third waits. Two Teams webhooks, 1 each: both post.
    expect(run.delivery).toMatchObject({ alertsRateLimited: 1 });
    expect(rig.acs.messages).toHaveLength(2);
    expect(posted(rig.teams)).toHaveLength(1);
    expect(posted(exchangeTeams)).toHaveLength(1);
    const sendLog = (await readRows(rig.h.table())).find((r) => r["partitionKey"] === SEND_LOG_PARTITION);
    expect(JSON.parse(String(sendLog?.["sent_email"]))).toHaveLength(2);
    expect(JSON.parse(String(sendLog?.["sent_teams"]))).toHaveLength(1);
    expect(JSON.parse(String(sendLog?.["sent_teams_route_exchange_team"]))).toHaveLength(1);

    // An hour on, the budget has room again: the waiting email goes.
    rig.clock.now += 61 * MINUTE;
    await rig.poll();
    expect(rig.acs.messages).toHaveLength(3);
    const pending = [...(await rig.deliveries()).values()].flatMap((d) => Object.values(d)).filter((d) => d.state !== "delivered");
    expect(pending).toEqual([]);
  });
});

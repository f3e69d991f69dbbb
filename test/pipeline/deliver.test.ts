import { afterEach, describe, expect, it } from "vitest";
import { groupKeyOf } from "../../shared/channels/deliver";
import { EmailChannel } from "../../shared/channels/emailChannel";
import { runCli } from "../../shared/cli/main";
import type { PollSummary } from "../../shared/pipeline/poll";
import { Outbox } from "../../shared/state/outbox";
import { newTableCounters } from "../../shared/state/tableClient";
import { teamsMessageProblems } from "../alerts/adaptiveCardCheck";
import { AcsEmailEmulator } from "../../local/emulators/acsEmailEmulator";
import { TEST_TENANT_ID } from "../../local/emulators/tokens";
import { TeamsReceiver } from "../../local/emulators/teamsReceiver";
import { useAzurite } from "../support/useAzurite";
import { CUSTOM_SENDER, startDeliveryRig, type DeliveryRigOptions, type Rig } from "../support/deliveryRig";
import { loadTestTls } from "../../local/emulators/tls";

/**
 * The whole path an admin depends on: Graph emulator → pipeline → Azurite outbox → the real ACS Email
 * and Teams channels → the ACS emulator and the Workflows receiver, over several runs with a moving clock.
 */
const azurite = useAzurite();
const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((part) => part.stop()));
});
const startRig = (options: DeliveryRigOptions = {}): Promise<Rig> => startDeliveryRig(azurite, running, options);

const MANAGED_SENDER = "DoNotReply@0c1d2e3f.azurecomm.net";
const MINUTE = 60_000;

describe("alert delivery end to end: pipeline, outbox, ACS Email and Teams", () => {
  it("sends one email and one card for one failure, and a single digest of each for many failures in one run", async () => {
    const rig = await startRig();
    await rig.poll(); // baseline
    const one = rig.fail();
    const first = await rig.poll();
    expect(first.delivery).toMatchObject({ messagesDelivered: 2, alertsDelivered: 1, alertsRetrying: 0 });
    expect(rig.acs.messages[0]?.subject).toBe("[restorewatch] SharePoint restore failed: 1 of 2 sites");
    expect(rig.acs.messages[0]?.html).toContain(`Item 1 A failed.`);

    const burst = Array.from({ length: 30 }, (_, i) => rig.fail((["exchange", "sharePoint", "oneDrive"] as const)[i % 3]));
    rig.clock.now += 5 * MINUTE;
    const second = await rig.poll();
    expect(second).toMatchObject({ alertsRecorded: 30, delivery: { messagesDelivered: 2, alertsDelivered: 30 } });
    expect(rig.delivered()).toEqual({ emails: 2, teamsPosts: 2 });
    const digest = rig.acs.messages[1];
    for (const id of burst) expect(digest?.plainText).toContain(id);
    expect(digest?.plainText).not.toContain(one);
    const card = rig.teams.posts[1]?.body;
    expect(teamsMessageProblems(card)).toEqual([]);
    // The card lists what fits its size budget and counts the rest; the email lists every session.
    const cardText = JSON.stringify(card);
    const shown = burst.filter((id) => cardText.includes(id)).length;
    const more = Number(/and (\d+) more restore sessions/.exec(cardText)?.[1] ?? 0);
    expect(shown).toBeGreaterThan(0);
    expect(shown + more).toBe(30);

    rig.clock.now += 5 * MINUTE;
    expect((await rig.poll()).delivery).toMatchObject({ messagesDelivered: 0 });
    expect(rig.delivered()).toEqual({ emails: 2, teamsPosts: 2 });
  });

  it("keeps retrying a channel that is down for three runs, then delivers once; the working channel is not re-sent", async () => {
    const rig = await startRig();
    await rig.poll();
    const id = rig.fail();
    rig.teams.respondWith(3, { status: 503, body: "Service Unavailable" });
    const summaries: PollSummary[] = [];
    for (let run = 0; run < 4; run++) {
      summaries.push(await rig.poll());
      rig.clock.now += 10 * MINUTE; // past each backoff (1, 2, 4 min)
    }
    expect(summaries.map((s) => s.delivery?.alertsRetrying)).toEqual([1, 1, 1, 0]);
    expect(rig.teams.posts.map((p) => p.answeredWith)).toEqual([503, 503, 503, 202]);
    expect(rig.delivered()).toEqual({ emails: 1, teamsPosts: 1 });
    const deliveries = (await rig.deliveries()).get(`${id}_failed`);
    expect(deliveries).toMatchObject({ email: { state: "delivered", attempts: 1 }, teams: { state: "delivered", attempts: 4 } });
  });

  it("dead-letters a permanent 4xx with its status and body (logged at error level), still delivers the other channel, and re-queues on `retry`", async () => {
    const rig = await startRig();
    await rig.poll();
    const id = rig.fail();
    const alertId = `${id}_failed`;
    rig.teams.respondWith(1, { status: 400, body: '{"error":{"code":"InvalidRequestContent","message":"Property type must be AdaptiveCard"}}' });
    const run = await rig.poll();
    expect(run.delivery).toMatchObject({ alertsDeadLettered: 1, alertsRetrying: 0 });
    expect((await rig.deliveries()).get(alertId)).toMatchObject({
      email: { state: "delivered" },
      teams: { state: "deadLettered", attempts: 1, lastError: expect.stringContaining("HTTP 400: {\"error\":{\"code\":\"InvalidRequestContent\"") },
    });
    expect(rig.h.logs.filter((l) => l.startsWith("ERROR ") && l.includes(alertId) && l.includes("dead-lettered on channel teams"))).toHaveLength(1);

    const io = { out: [] as string[], err: [] as string[] };
    const cli = (args: string[]) => runCli(args, { out: (l) => io.out.push(l), err: (l) => io.err.push(l), env: rig.env, processEnv: rig.env, credential: rig.h.issuer.credential() });
    expect(await cli(["status"])).toBe(0);
    expect(io.out.join("\n")).toMatch(new RegExp(`${alertId}.*teams=deadLettered`));
    expect(await cli(["retry", alertId])).toBe(0);
    rig.clock.now += MINUTE;
    const again = await rig.poll();
    expect(again.delivery).toMatchObject({ messagesDelivered: 1, alertsDelivered: 1 });
    expect(rig.delivered()).toEqual({ emails: 1, teamsPosts: 1 });
  });

  it("gives up after DELIVERY_MAX_ATTEMPTS with growing backoff: dead-lettered, logged at error level, listed by `status`", async () => {
    const rig = await startRig({ env: { DELIVERY_MAX_ATTEMPTS: "3" } });
    await rig.poll();
    const alertId = `${rig.fail()}_failed`;
    rig.teams.respondWith(100, { status: 500, body: "Internal Server Error" });
    const nextAttempts: number[] = [];
    for (let run = 0; run < 3; run++) {
      const before = rig.clock.now;
      await rig.poll();
      const teams = (await rig.deliveries()).get(alertId)?.["teams"] as { state: string; nextAttemptAt?: string } | undefined;
      if (teams?.nextAttemptAt) nextAttempts.push((Date.parse(teams.nextAttemptAt) - before) / MINUTE);
      // A run before the backoff is over does not try again.
      rig.clock.now += 30_000;
      await rig.poll();
      rig.clock.now += 10 * MINUTE;
    }
    expect(nextAttempts).toEqual([1, 2]); // minutes: 60 s · 2^(n-1)
    expect(rig.teams.posts).toHaveLength(3);
    expect((await rig.deliveries()).get(alertId)).toMatchObject({
      email: { state: "delivered", attempts: 1 },
      teams: { state: "deadLettered", attempts: 3, lastError: expect.stringMatching(/^gave up after 3 attempts: HTTP 500/) },
    });
    expect(rig.h.logs.filter((l) => l.startsWith(`ERROR alert ${alertId} dead-lettered on channel teams after 3 attempt(s)`))).toHaveLength(1);
    const out: string[] = [];
    expect(await runCli(["status"], { out: (l) => out.push(l), err: (l) => out.push(l), env: rig.env, processEnv: rig.env, credential: rig.h.issuer.credential() })).toBe(0);
    expect(out.join("\n")).toMatch(new RegExp(`${alertId}.*email=delivered.*teams=deadLettered\\(3 attempts, gave up`));
  });

  it("after a crash between sending and marking, the next run finds the ACS operation and does not send the email again", async () => {
    const rig = await startRig({ env: { TEAMS_WEBHOOK_URL: "" } });
    await rig.poll();
    rig.fail();
    // The dying process: it recorded the alert, then sent it, then died before writing "delivered".
    await rig.poll({ skipDelivery: true });
    const outbox = new Outbox(rig.h.table(), TEST_TENANT_ID, newTableCounters());
    const { alerts: pending } = await outbox.listPending();
    expect(pending).toHaveLength(1);
    const email = new EmailChannel(rig.h.config.channels.email as NonNullable<typeof rig.h.config.channels.email>, { credential: rig.acsCredential, pollIntervalInMs: 10 });
    const alerts = pending.map((p) => p.alert);
    expect(await email.send(alerts, { groupKey: groupKeyOf("email", alerts), log: () => undefined })).toMatchObject({ kind: "delivered" });
    const postsBefore = rig.acs.requests.filter((r) => r.method === "POST").length;

    const recovery = await rig.poll();
    expect(recovery.delivery).toMatchObject({ alertsDelivered: 1 });
    expect(rig.acs.messages).toHaveLength(1);
    expect(rig.acs.requests.filter((r) => r.method === "POST").length).toBe(postsBefore);
  });

  it("keeps to the Azure-managed domain's 5 emails a minute and 10 an hour across runs: the rest waits, and ACS never answers 429", async () => {
    const rig = await startRig({ sender: MANAGED_SENDER, managedDomainLimits: true, env: { TEAMS_RATE_LIMIT: "off" } });
    await rig.poll();
    const ids: string[] = [];
    const rateLimited: number[] = [];
    // Seven runs 5 s apart, one new failure each: five emails fit the minute.
    for (let run = 0; run < 7; run++) {
      ids.push(rig.fail());
      rig.clock.now += 5_000;
      rateLimited.push((await rig.poll()).delivery?.alertsRateLimited ?? -1);
    }
    expect(rig.delivered()).toEqual({ emails: 5, teamsPosts: 7 });
    expect(rateLimited).toEqual([0, 0, 0, 0, 0, 1, 2]);
    // A minute later the two that waited go (oldest first); then the hour's 10 are used up.
    rig.clock.now += MINUTE;
    await rig.poll();
    expect(rig.delivered().emails).toBe(7);
    for (let run = 0; run < 4; run++) {
      ids.push(rig.fail());
      rig.clock.now += MINUTE;
      await rig.poll();
    }
    expect(rig.delivered().emails).toBe(10);
    expect(rig.acs.requests.some((r) => r.status === 429)).toBe(false);
    // After the hour the last one goes; every alert was emailed exactly once.
    rig.clock.now += 60 * MINUTE;
    await rig.poll();
    expect(rig.delivered().emails).toBe(11);
    const emailed = rig.acs.messages.map((m) => m.plainText ?? "");
    for (const id of ids) expect(emailed.filter((text) => text.includes(id))).toHaveLength(1);
    expect(rig.acs.requests.some((r) => r.status === 429)).toBe(false);
    expect(rig.acs.duplicateSends).toBe(0);
  });

  it("records a silenced workload's alert with the reason and sends nothing for it; other workloads still go", async () => {
    const rig = await startRig();
    await rig.poll();
    const out: string[] = [];
    const until = new Date(rig.clock.now + 2 * 3_600_000).toISOString();
    const code = await runCli(["silence", "--workload", "sharepoint", "--until", until, "--comment", "planned migration"], { out: (l) => out.push(l), err: (l) => out.push(l), env: rig.env, processEnv: rig.env, credential: rig.h.issuer.credential() });
    expect(code).toBe(0);
    const silenced = rig.fail("sharePoint");
    const loud = rig.fail("exchange");
    const run = await rig.poll();
    expect(run.alertsRecorded).toBe(2);
    const records = await rig.deliveries();
    expect(records.get(`${silenced}_failed`)).toEqual({ email: { state: "silenced", attempts: 0 }, teams: { state: "silenced", attempts: 0 } });
    expect(records.get(`${loud}_failed`)).toMatchObject({ email: { state: "delivered" }, teams: { state: "delivered" } });
    const outbox = new Outbox(rig.h.table(), TEST_TENANT_ID, newTableCounters());
    expect((await outbox.get(`${silenced}_failed`))?.alert.silencedBy).toMatch(/^silence .* until .*\(planned migration\)$/);
    expect(rig.acs.messages.map((m) => m.plainText).join("\n")).not.toContain(silenced);
    expect(rig.delivered()).toEqual({ emails: 1, teamsPosts: 1 });
  });

  it("reminds about an unacknowledged failure after ALERT_REPEAT_AFTER, and stops once `restorewatch ack` is run", async () => {
    const rig = await startRig({ env: { ALERT_REPEAT_AFTER: "1h" } });
    await rig.poll();
    const id = rig.fail("oneDrive");
    await rig.poll();
    rig.clock.now += 30 * MINUTE;
    expect((await rig.poll()).alertsRecorded).toBe(0);
    rig.clock.now += 31 * MINUTE;
    const reminder = await rig.poll();
    expect(reminder.alerts.map((a) => a.kind)).toEqual(["reminder"]);
    expect(rig.delivered()).toEqual({ emails: 2, teamsPosts: 2 });
    expect(rig.acs.messages[1]?.subject).toMatch(/reminder/i);
    const out: string[] = [];
    expect(await runCli(["ack", id], { out: (l) => out.push(l), err: (l) => out.push(l), env: rig.env, processEnv: rig.env, credential: rig.h.issuer.credential() })).toBe(0);
    rig.clock.now += 3 * 60 * MINUTE;
    expect((await rig.poll()).alertsRecorded).toBe(0);
    expect(rig.delivered()).toEqual({ emails: 2, teamsPosts: 2 });
  });

  it("alerts a session stuck in `active` past ALERT_STUCK_AFTER once, with its artifact counts", async () => {
    const rig = await startRig({ env: { ALERT_STUCK_AFTER: "2h" } });
    await rig.poll();
    const stuck = rig.h.graph.createSession({ workload: "exchange", status: "active", artifacts: [{ id: "m1", status: "succeeded" }, { id: "m2", status: "inProgress" }, { id: "m3", status: "inProgress" }] });
    await rig.poll();
    rig.clock.now += 121 * MINUTE;
    const run = await rig.poll();
    expect(run.alerts.map((a) => [a.session.id, a.kind])).toEqual([[stuck.id, "stuck"]]);
    expect(rig.acs.messages[0]?.plainText).toContain("Exchange restore stuck for 2h: 2 of 3 mailboxes in progress");
    rig.clock.now += 121 * MINUTE;
    expect((await rig.poll()).alertsRecorded).toBe(0);
    expect(rig.delivered()).toEqual({ emails: 1, teamsPosts: 1 });
  });

  it("`restorewatch test-alert` sends a sample through every configured channel and reports each", async () => {
    const acs = await AcsEmailEmulator.start({ tls: loadTestTls() });
    const teams = await TeamsReceiver.start({ tls: loadTestTls() });
    running.push(acs, teams);
    const out: string[] = [];
    const env = {
      ACS_CONNECTION_STRING: acs.connectionString,
      ALERT_EMAIL_FROM: CUSTOM_SENDER,
      ALERT_EMAIL_TO: "me@contoso.com",
      TEAMS_WEBHOOK_URL: teams.url,
      TEAMS_WEBHOOK_ALLOWED_HOSTS: "127.0.0.1",
      AzureWebJobsStorage: azurite.connectionString,
    };
    expect(await runCli(["test-alert"], { out: (l) => out.push(l), err: (l) => out.push(l), env })).toBe(0);
    expect(acs.messages).toHaveLength(1);
    expect(acs.messages[0]?.recipients.to).toEqual(["me@contoso.com"]);
    expect(acs.messages[0]?.subject).toMatch(/^\[restorewatch\] SharePoint restore failed/);
    expect(teams.posts).toHaveLength(1);
    expect(teamsMessageProblems(teams.posts[0]?.body)).toEqual([]);
    expect(out).toEqual(expect.arrayContaining([expect.stringMatching(/^email: delivered/), expect.stringMatching(/^teams: delivered/)]));
    expect(out.join("\n")).not.toContain(teams.secret);

    teams.respondWith(1, { status: 404, body: "flow deleted" });
    out.length = 0;
    expect(await runCli(["test-alert"], { out: (l) => out.push(l), err: (l) => out.push(l), env })).toBe(1);
    expect(out).toEqual(expect.arrayContaining([expect.stringMatching(/^teams: deadLetter: HTTP 404/)]));
  });
});

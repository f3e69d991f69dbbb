import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../../shared/cli/main";
import { NoUsableChannelError } from "../../shared/pipeline/poll";
import { RunMetaStore } from "../../shared/state/runMeta";
import { newTableCounters } from "../../shared/state/tableClient";
import { TEST_TENANT_ID } from "../../local/emulators/tokens";
import { useAzurite } from "../support/useAzurite";
import { readRows } from "../support/pipelineHarness";
import { startDeliveryRig, type DeliveryRigOptions, type Rig } from "../support/deliveryRig";

/**
 * One broken channel never silences the others: a channel whose settings are unusable is disabled on
 * its own, its alerts wait in the outbox (no attempt counted) and go out once when it is fixed, and a
 * notice through the other channels names the setting. Graph emulator → pipeline → Azurite → the real
 * ACS Email and Teams channels → their emulators.
 */
const azurite = useAzurite();
const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((part) => part.stop()));
});
const startRig = (options: DeliveryRigOptions = {}): Promise<Rig> => startDeliveryRig(azurite, running, options);

const MINUTE = 60_000;
/** What App Service leaves in a setting whose Key Vault reference it could not resolve. */
const UNRESOLVED = "@Microsoft.KeyVault(SecretUri=https://kv-restorewatch.vault.azure.net/secrets/teams-webhook-url)";

/** Emails that are restore alerts (not restorewatch's own notices), and the notices, by subject. */
function emails(rig: Rig): { alerts: string[]; notices: { subject: string; plainText: string }[] } {
  const notices = rig.acs.messages.filter((m) => /restorewatch (cannot send|sends) alerts/.test(m.subject));
  return { alerts: rig.acs.messages.filter((m) => !notices.includes(m)).map((m) => m.plainText ?? ""), notices: notices.map((m) => ({ subject: m.subject, plainText: m.plainText ?? "" })) };
}

/** Teams posts (answered 2xx) that carry this text. */
const teamsPostsWith = (rig: Rig, text: string): number => rig.teams.posts.filter((p) => p.answeredWith === 202 && JSON.stringify(p.body).includes(text)).length;

describe("channel isolation: a channel with unusable settings is disabled on its own", () => {
  it("Teams' Key Vault reference did not resolve: the email goes out with a notice naming TEAMS_WEBHOOK_URL; once fixed, the held alert goes to Teams once", async () => {
    const rig = await startRig({ env: { TEAMS_WEBHOOK_URL: UNRESOLVED } });
    expect(rig.config().channels.teams).toBeUndefined();
    const baseline = await rig.poll();
    expect(baseline.channelsDisabled).toEqual(["teams"]);
    const sessionId = rig.fail();
    rig.clock.now += 5 * MINUTE;
    const run = await rig.poll();

    // The run polled, recorded and delivered on email; Teams' copy is held, with no attempt counted.
    expect(run).toMatchObject({ alertsRecorded: 1, channelsDisabled: ["teams"], delivery: { alertsDelivered: 1, alertsHeld: 1, alertsRetrying: 0, alertsDeadLettered: 0, held: { teams: 1 } } });
    const [alertId, deliveries] = [...(await rig.deliveries())][0] ?? [];
    expect(alertId).toBe(`${sessionId}_failed`);
    expect(deliveries).toEqual({ email: expect.objectContaining({ state: "delivered", attempts: 1 }), teams: { state: "pending", attempts: 0 } });
    const rows = await readRows(rig.h.table());
    expect(rows.filter((r) => String(r["rowKey"]).startsWith("session_") && r["status"] === "failed")).toHaveLength(1);
    expect(rows.find((r) => r["rowKey"] === `alert_${alertId}`)).toMatchObject({ pending: true });
    expect(emails(rig).alerts).toHaveLength(1);
    expect(emails(rig).alerts[0]).toContain(sessionId);
    expect(rig.teams.posts).toEqual([]);

    // One notice, by email, naming the setting and the fix: sent by the first run that found it, not repeated.
    expect(emails(rig).notices).toHaveLength(1);
    const [notice] = emails(rig).notices;
    expect(notice?.subject).toBe("[restorewatch] restorewatch cannot send alerts to Teams: check TEAMS_WEBHOOK_URL");
    expect(notice?.plainText).toContain('TEAMS_WEBHOOK_URL is a Key Vault reference that did not resolve (the setting still holds "@Microsoft.KeyVault(...)")');
    expect(notice?.plainText).toMatch(/What to do: Check that the function app's identity has the Key Vault Secrets User role/);
    expect(rig.h.logs.filter((l) => l.startsWith("ERROR alert channel teams is disabled"))).toHaveLength(1);

    rig.clock.now += 5 * MINUTE;
    expect((await rig.poll()).delivery).toMatchObject({ messagesDelivered: 0, alertsHeld: 1 });
    expect(emails(rig).notices).toHaveLength(1); // no storm
    expect((await rig.deliveries()).get(alertId ?? "")?.["teams"]).toEqual({ state: "pending", attempts: 0 });

    // The secret is put in the vault, the app restarts: the held alert goes to Teams, once.
    rig.reconfigure({ TEAMS_WEBHOOK_URL: rig.teams.url });
    rig.clock.now += 5 * MINUTE;
    const fixed = await rig.poll();
    expect(fixed).toMatchObject({ channelsDisabled: [], delivery: { messagesDelivered: 1, alertsDelivered: 1, alertsHeld: 0 } });
    expect(teamsPostsWith(rig, sessionId)).toBe(1);
    expect((await rig.deliveries()).get(alertId ?? "")?.["teams"]).toMatchObject({ state: "delivered", attempts: 1 });
    expect(emails(rig).alerts).toHaveLength(1);
    // The recovery notice goes through every channel, the restored one too.
    expect(emails(rig).notices.map((n) => n.subject)).toEqual([notice?.subject, "[restorewatch] restorewatch sends alerts to Teams again"]);
    expect(teamsPostsWith(rig, "sends alerts to Teams again")).toBe(1);
    expect(rig.h.logs.some((l) => l.startsWith("alert channel teams works again"))).toBe(true);
    const { meta } = await new RunMetaStore(rig.h.table(), TEST_TENANT_ID, newTableCounters()).read();
    expect(meta.disabledChannels).toBeUndefined();

    rig.clock.now += 5 * MINUTE;
    await rig.poll();
    expect(teamsPostsWith(rig, sessionId)).toBe(1);
    expect(emails(rig).notices).toHaveLength(2);
  });

  it("a malformed webhook URL disables Teams showing its host only; a new reason is told once more", async () => {
    const secret = "sEcReTsIgNaTuRe0123456789";
    const rig = await startRig({ env: { TEAMS_WEBHOOK_URL: `https://hooks.example.net/workflows/abc?sig=${secret}` } });
    await rig.poll();
    const sessionId = rig.fail();
    rig.clock.now += 5 * MINUTE;
    expect(await rig.poll()).toMatchObject({ channelsDisabled: ["teams"], delivery: { alertsDelivered: 1, alertsHeld: 1 } });
    expect(emails(rig).alerts[0]).toContain(sessionId);
    const [first] = emails(rig).notices;
    expect(first?.plainText).toContain("TEAMS_WEBHOOK_URL host 'hooks.example.net' is not a Teams Workflows or connector host");
    expect(first?.plainText).toContain("Correct the app setting TEAMS_WEBHOOK_URL");
    // Never the URL's path or signature, in a notice or a log line.
    const everything = [...rig.h.logs, ...rig.acs.messages.map((m) => `${m.subject}${m.plainText ?? ""}${m.html ?? ""}`)].join("\n");
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain("/workflows/abc");

    rig.reconfigure({ TEAMS_WEBHOOK_URL: "http://prod-1.westus.logic.azure.com/workflows/x" });
    rig.clock.now += 5 * MINUTE;
    await rig.poll();
    rig.clock.now += 5 * MINUTE;
    await rig.poll();
    expect(emails(rig).notices.map((n) => /^Cause: TEAMS_WEBHOOK_URL (.*)$/m.exec(n.plainText)?.[1])).toEqual(["host 'hooks.example.net' is not a Teams Workflows or connector host; add it to TEAMS_WEBHOOK_ALLOWED_HOSTS if it is a relay you trust", "must be an https:// URL"]);
    expect(emails(rig).notices).toHaveLength(2);
    expect((await rig.deliveries()).get(`${sessionId}_failed`)?.["teams"]).toEqual({ state: "pending", attempts: 0 });
  });

  it("with no channel usable, the run records state and alerts, then fails; fixing the settings delivers each alert once", async () => {
    const rig = await startRig({ env: { TEAMS_WEBHOOK_URL: UNRESOLVED, ALERT_EMAIL_FROM: "alerts-at-contoso" } });
    await expect(rig.poll()).rejects.toThrow(NoUsableChannelError);
    const sessionId = rig.fail();
    rig.clock.now += 5 * MINUTE;
    const failed = await rig.poll().catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(NoUsableChannelError);
    const error = failed as NoUsableChannelError;
    expect(error.message).toMatch(/no alert channel is usable.*email: ALERT_EMAIL_FROM is not an email address.*teams: TEAMS_WEBHOOK_URL is a Key Vault reference/);
    expect(error.summary).toMatchObject({ alertsRecorded: 1, channelsDisabled: ["email", "teams"], delivery: { alertsHeld: 1, messagesDelivered: 0 } });

    // Recorded before failing: the session's state, its alert (pending on both channels), and the failed run.
    const rows = await readRows(rig.h.table());
    expect(rows.filter((r) => String(r["rowKey"]).startsWith("session_") && r["status"] === "failed")).toHaveLength(1);
    const alertRow = rows.find((r) => r["rowKey"] === `alert_${sessionId}_failed`);
    expect(alertRow).toMatchObject({ pending: true });
    expect(JSON.parse(String(alertRow?.["deliveries"]))).toEqual({ email: { state: "pending", attempts: 0 }, teams: { state: "pending", attempts: 0 } });
    const { meta } = await new RunMetaStore(rig.h.table(), TEST_TENANT_ID, newTableCounters()).read();
    // Each such run records its sessions (a success) and then fails: one failure in a row, every run.
    expect(meta).toMatchObject({ consecutiveFailures: 1, lastError: expect.stringContaining("no alert channel is usable") });
    expect(meta.disabledChannels?.map((d) => [d.name, d.setting, d.noticedAt])).toEqual([
      ["email", "ALERT_EMAIL_FROM", undefined],
      ["teams", "TEAMS_WEBHOOK_URL", undefined],
    ]);
    expect(rig.acs.messages).toEqual([]);
    expect(rig.teams.posts).toEqual([]);

    rig.reconfigure({ TEAMS_WEBHOOK_URL: rig.teams.url, ALERT_EMAIL_FROM: "alerts@contoso.com" });
    rig.clock.now += 5 * MINUTE;
    expect(await rig.poll()).toMatchObject({ channelsDisabled: [], delivery: { alertsDelivered: 1, messagesDelivered: 2 } });
    rig.clock.now += 5 * MINUTE;
    await rig.poll();
    expect(emails(rig).alerts.filter((text) => text.includes(sessionId))).toHaveLength(1);
    expect(teamsPostsWith(rig, sessionId)).toBe(1);
    // Nobody was told it was broken (no channel could carry it), so no recovery notice either.
    expect(emails(rig).notices).toEqual([]);
  });

  it("ACS refusing the sender (DomainNotLinked) disables email for the run: the alert is held, Teams carries the notice, the next run sends the email once", async () => {
    const rig = await startRig();
    await rig.poll();
    const sessionId = rig.fail();
    rig.acs.failNext(1, { status: 400, code: "DomainNotLinked", message: "The specified sender domain has not been linked." }, "send");
    rig.clock.now += 5 * MINUTE;
    const run = await rig.poll();
    expect(run).toMatchObject({ channelsDisabled: ["email"], delivery: { alertsDelivered: 1, alertsHeld: 1, alertsDeadLettered: 0, refused: [{ name: "email", setting: "ALERT_EMAIL_FROM" }] } });
    expect((await rig.deliveries()).get(`${sessionId}_failed`)).toEqual({ email: { state: "pending", attempts: 0 }, teams: expect.objectContaining({ state: "delivered" }) });
    expect(teamsPostsWith(rig, sessionId)).toBe(1);
    // The card escapes Markdown (ALERT\_EMAIL\_FROM): the notice is found by its words.
    expect(teamsPostsWith(rig, "cannot send alerts to email: check ALERT")).toBe(1);
    expect(teamsPostsWith(rig, "DomainNotLinked")).toBe(1);

    rig.clock.now += 5 * MINUTE;
    expect(await rig.poll()).toMatchObject({ channelsDisabled: [], delivery: { alertsDelivered: 1, alertsHeld: 0 } });
    expect(emails(rig).alerts.filter((text) => text.includes(sessionId))).toHaveLength(1);
    expect(teamsPostsWith(rig, sessionId)).toBe(1);
    expect(teamsPostsWith(rig, "sends alerts to email again")).toBe(1);
  });

  it("a deleted workflow (404) disables Teams for the run instead of dead-lettering its alerts", async () => {
    const rig = await startRig();
    await rig.poll();
    rig.reconfigure({ TEAMS_WEBHOOK_URL: rig.teams.url.replace(rig.teams.workflowId, "0".repeat(32)) });
    const sessionId = rig.fail();
    rig.clock.now += 5 * MINUTE;
    expect(await rig.poll()).toMatchObject({ channelsDisabled: ["teams"], delivery: { alertsDelivered: 1, alertsHeld: 1, alertsDeadLettered: 0 } });
    expect((await rig.deliveries()).get(`${sessionId}_failed`)?.["teams"]).toEqual({ state: "pending", attempts: 0 });
    expect(emails(rig).notices.map((n) => n.subject)).toEqual(["[restorewatch] restorewatch cannot send alerts to Teams: check TEAMS_WEBHOOK_URL"]);
    expect(emails(rig).notices[0]?.plainText).toMatch(/TEAMS_WEBHOOK_URL was refused by the channel: HTTP 404/);
    expect(emails(rig).notices[0]?.plainText).not.toContain(rig.teams.secret);
  });

  it("a channel refused at send time is not declared working again by a run that did not try it (rate limit); only a delivery proves it", async () => {
    const rig = await startRig({ env: { TEAMS_RATE_LIMIT: "1/1h" } });
    await rig.poll();
    rig.reconfigure({ TEAMS_WEBHOOK_URL: rig.teams.url.replace(rig.teams.workflowId, "0".repeat(32)), TEAMS_RATE_LIMIT: "1/1h" });
    const sessionId = rig.fail();
    rig.clock.now += 5 * MINUTE;
    expect(await rig.poll()).toMatchObject({ channelsDisabled: ["teams"] });
    const subjects = (): string[] => emails(rig).notices.map((n) => n.subject);
    expect(subjects()).toEqual(["[restorewatch] restorewatch cannot send alerts to Teams: check TEAMS_WEBHOOK_URL"]);

    // Next run: Teams' one post an hour is spent, so it is not tried: no "works again", the memory stays.
    rig.clock.now += 5 * MINUTE;
    expect(await rig.poll()).toMatchObject({ channelsDisabled: [], delivery: { alertsRateLimited: 1 } });
    expect(subjects()).toHaveLength(1);
    expect(rig.h.logs.some((line) => /alert channel teams works again/.test(line))).toBe(false);

    // Fixed, and an hour later: the held alert goes to Teams once, and one recovery notice says so.
    rig.reconfigure({ TEAMS_WEBHOOK_URL: rig.teams.url, TEAMS_RATE_LIMIT: "1/1h" });
    rig.clock.now += 61 * MINUTE;
    await rig.poll();
    expect(teamsPostsWith(rig, sessionId)).toBe(1);
    expect(subjects()).toEqual(["[restorewatch] restorewatch cannot send alerts to Teams: check TEAMS_WEBHOOK_URL", expect.stringMatching(/restorewatch sends alerts to Teams again/)]);
  });

  it("`restorewatch status` shows each channel: usable, or disabled with the setting and the alerts held", async () => {
    const rig = await startRig({ env: { TEAMS_WEBHOOK_URL: UNRESOLVED } });
    await rig.poll();
    rig.fail();
    rig.fail("exchange");
    rig.clock.now += 5 * MINUTE;
    await rig.poll();
    const out: string[] = [];
    const cli = (args: string[]) => runCli(args, { out: (l) => out.push(l), err: (l) => out.push(l), env: rig.env, processEnv: rig.env, credential: rig.h.issuer.credential() });
    expect(await cli(["status"])).toBe(0);
    const text = out.join("\n");
    expect(text).toMatch(/^ {2}email: usable; 0 alert\(s\) pending, 0 dead-lettered$/m);
    expect(text).toMatch(/^ {2}teams: disabled since \S+ \(last run\): TEAMS_WEBHOOK_URL is a Key Vault reference that did not resolve .*; 2 alert\(s\) held, 0 dead-lettered$/m);
    out.length = 0;
    expect(await cli(["status", "--json"])).toBe(0);
    const json = JSON.parse(out.join("\n")) as { channels: unknown[] };
    expect(json.channels).toEqual([
      { name: "email", state: "usable", pending: 0, deadLettered: 0 },
      { name: "teams", state: "disabled", reason: expect.stringContaining("TEAMS_WEBHOOK_URL"), source: "last run", since: expect.any(String), pending: 2, deadLettered: 0 },
    ]);
  });
});

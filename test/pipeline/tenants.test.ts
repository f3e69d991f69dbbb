import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { healthSubject, renderHealthEmail } from "../../shared/alerts/healthNotice";
import { loadConfig } from "../../shared/config/config";
import { ConfigError } from "../../shared/domain/errors";
import { TenantConsentError } from "../../shared/graph/tenantConsent";
import { createPollDeps } from "../../shared/pipeline/createPollDeps";
import { runPoll } from "../../shared/pipeline/poll";
import { runCli } from "../../shared/cli/main";
import { RecordingChannel } from "../support/recordingChannel";
import { useAzurite } from "../support/useAzurite";
import { startMultiTenantRig, type MultiTenantRig } from "../support/multiTenantRig";

/*
 * Many tenants from one deployment, one tenant at a time through createPollDeps({ tenantId }) as the
 * fan-out calls it: each tenant's token comes from the multi-tenant app registration signed in to
 * that tenant (real ClientAssertionCredential against the Entra emulator), Graph serves it that
 * tenant's sessions (by tid), and its state is its own partition. A tenant whose consent is withdrawn
 * fails with a health notice naming it; the others carry on.
 */

const azurite = useAzurite();
let rig: MultiTenantRig;
beforeEach(async () => {
  // Under MSAL's 300 s renewal margin: every run asks Entra again, so a withdrawn consent shows at once.
  rig = await startMultiTenantRig(azurite, { tokenLifetimeInSeconds: 200 });
});
afterEach(async () => {
  await rig.stop();
});

function tenantDeps(channel: RecordingChannel, tenant: { tenantId: string; name: string }, settings: Record<string, string> = rig.settings({ ALERT_BASELINE_SINCE: "2020-01-01T00:00:00Z", HEALTH_ALERT_AFTER: "1" })) {
  const config = loadConfig(settings, { requireChannel: false });
  return createPollDeps({ config, channels: [channel], credential: rig.managedIdentity, emulatorOrigins: rig.emulatorOrigins, graphBaseDelayInMs: 10, tenantId: tenant.tenantId, tenantLabel: tenant.name });
}

const failedSession = (reason: string) => ({ workload: "exchange" as const, status: "failed" as const, artifacts: [{ id: `mbx-${reason}`, status: "failed" as const, error: { code: "ArtifactNotFound", message: reason } }] });

describe("a tenant's run", () => {
  it("gets its token from the app registration in that tenant, sees only that tenant's sessions and keeps its own state", async () => {
    const contoso = { tenantId: rig.addCustomer(), name: "Contoso" };
    const fabrikam = { tenantId: rig.addCustomer(), name: "Fabrikam" };
    const contosoFailure = rig.graph.tenant(contoso.tenantId).createSession(failedSession("contoso"));
    const fabrikamFailure = rig.graph.tenant(fabrikam.tenantId).createSession(failedSession("fabrikam"));
    rig.graph.tenant(fabrikam.tenantId).createSession({ workload: "oneDrive", status: "completed", artifacts: [] });
    // The home tenant's sessions (the emulator's default) are nobody's business here.
    rig.graph.createSession(failedSession("home"));

    for (const [tenant, failure, sessions] of [[contoso, contosoFailure, 1], [fabrikam, fabrikamFailure, 2]] as const) {
      const channel = new RecordingChannel();
      const graphBefore = rig.graph.requests.length;
      const entraBefore = rig.entra.tokenRequests.length;

      const summary = await runPoll(tenantDeps(channel, tenant));

      expect(summary).toMatchObject({ tenantId: tenant.tenantId, sessionsSeen: sessions, alertsRecorded: 1 });
      expect(channel.sent.flatMap((s) => s.alerts.map((a) => a.session.id))).toEqual([failure.id]);
      const graphRequests = rig.graph.requests.slice(graphBefore);
      expect(graphRequests.length).toBeGreaterThan(0);
      expect(new Set(graphRequests.map((r) => `${r.tenantId}/${r.appId}`))).toEqual(new Set([`${tenant.tenantId}/${rig.appId}`]));
      // Every restore request served (getByIds, an optional permission not granted here, may be refused).
      expect(graphRequests.filter((r) => r.path.includes("/backupRestore/") && r.status !== 200)).toEqual([]);
      // (Tokens live 200 s here, under MSAL's renewal margin: one token request per Graph request.)
      const tokenRequests = rig.entra.tokenRequests.slice(entraBefore);
      expect(tokenRequests.length).toBeGreaterThan(0);
      expect(new Set(tokenRequests.map((r) => [r.tenant, r.clientId, r.assertionSubject, r.status].join("/")))).toEqual(new Set([[tenant.tenantId, rig.appId, rig.miObjectId, 200].join("/")]));
    }

    // Each tenant's baseline is its own: a second run of Contoso alerts nothing new.
    expect(await runPoll(tenantDeps(new RecordingChannel(), contoso))).toMatchObject({ tenantId: contoso.tenantId, baseline: false, alertsRecorded: 0 });
  });

  it("fails with a notice naming the tenant when its consent is withdrawn, once per outage, while another tenant still alerts; a recovery notice names it too", async () => {
    const contoso = { tenantId: rig.addCustomer(), name: "Contoso" };
    const fabrikam = { tenantId: rig.addCustomer(), name: "Fabrikam <EU>" };
    const consentUrl = `${rig.entra.url}/${fabrikam.tenantId}/adminconsent?client_id=${rig.appId}`;
    const operator = new RecordingChannel();
    await runPoll(tenantDeps(operator, fabrikam));
    rig.entra.setConsentRevoked(rig.appId, fabrikam.tenantId, true);
    const contosoFailure = rig.graph.tenant(contoso.tenantId).createSession(failedSession("contoso"));
    rig.graph.tenant(fabrikam.tenantId).createSession(failedSession("fabrikam"));
    const graphBefore = rig.graph.requests.length;

    const fabrikamDeps = tenantDeps(operator, fabrikam);
    const error = await runPoll(fabrikamDeps).then(() => undefined, (e: unknown) => e);
    const contosoChannel = new RecordingChannel();
    const contosoRun = await runPoll(tenantDeps(contosoChannel, contoso));

    expect(error).toBeInstanceOf(TenantConsentError);
    expect((error as Error).message).toBe(`admin consent not given yet, or withdrawn, in tenant Fabrikam <EU> (${fabrikam.tenantId}): restorewatch's app registration has no service principal there (AADSTS7000229); open ${consentUrl}`);
    expect(rig.graph.requests.slice(graphBefore).filter((r) => r.tenantId === fabrikam.tenantId)).toEqual([]);
    expect(operator.notices).toHaveLength(1);
    const notice = operator.notices[0];
    expect(notice).toMatchObject({ kind: "unhealthy", tenantId: fabrikam.tenantId, tenantLabel: "Fabrikam <EU>", consecutiveFailures: 1, cause: (error as Error).message });
    expect(notice?.fix).toContain(`Global Administrator of tenant Fabrikam <EU> (${fabrikam.tenantId}) opens ${consentUrl}`);
    expect(notice?.fix).toContain(`restorewatch tenant remove ${fabrikam.tenantId}`);
    if (!notice) throw new Error("no notice");
    expect(healthSubject(notice)).toBe("[restorewatch] restorewatch cannot see the restore sessions of Fabrikam <EU> (1 failed runs)");
    const email = renderHealthEmail(notice);
    expect(email.html).toContain(`Fabrikam &lt;EU&gt; (${fabrikam.tenantId})`);
    expect(email.html).not.toContain("Fabrikam <EU>");
    expect(contosoRun).toMatchObject({ tenantId: contoso.tenantId, alertsRecorded: 1 });
    expect(contosoChannel.sent.flatMap((s) => s.alerts.map((a) => a.session.id))).toEqual([contosoFailure.id]);
    expect(contosoChannel.notices).toEqual([]);

    // The same outage: no second notice, even from another instance (the tenant's run row remembers).
    await expect(runPoll(tenantDeps(operator, fabrikam))).rejects.toBeInstanceOf(TenantConsentError);
    expect(operator.notices).toHaveLength(1);

    rig.entra.setConsentRevoked(rig.appId, fabrikam.tenantId, false);
    expect(await runPoll(fabrikamDeps)).toMatchObject({ tenantId: fabrikam.tenantId, alertsRecorded: 1 });
    expect(operator.notices.map((n) => [n.kind, n.tenantLabel])).toEqual([["unhealthy", "Fabrikam <EU>"], ["recovered", "Fabrikam <EU>"]]);
    expect(healthSubject(operator.notices[1] ?? notice)).toBe("[restorewatch] restorewatch can see the restore sessions of Fabrikam <EU> again");
  });

  it("a channel disabled by its settings is told once for the deployment, not once per tenant; once fixed, one recovery notice", async () => {
    const tenants = [0, 1, 2].map((i) => ({ tenantId: rig.addCustomer(), name: `Customer ${i}` }));
    const unresolved = rig.settings({ ALERT_BASELINE_SINCE: "2020-01-01T00:00:00Z", TEAMS_WEBHOOK_URL: "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/teams)" });
    const operator = new RecordingChannel();
    // Three tenants' runs at once, as instances of the fan-out run them: one tells, the others find it claimed.
    await Promise.all(tenants.map((tenant) => runPoll(tenantDeps(operator, tenant, unresolved))));
    await Promise.all(tenants.map((tenant) => runPoll(tenantDeps(operator, tenant, unresolved))));
    expect(operator.notices.map((n) => [n.kind, n.channel, n.setting])).toEqual([["channelDisabled", "teams", "TEAMS_WEBHOOK_URL"]]);
    // `restorewatch status` (settings without Teams here) shows what the deployment's runs found.
    const out: string[] = [];
    expect(await runCli(["status"], { out: (l) => out.push(l), err: (l) => out.push(l), env: rig.settings(), processEnv: rig.processEnv, credential: rig.managedIdentity })).toBe(0);
    expect(out.find((line) => line.includes("teams"))).toMatch(/TEAMS_WEBHOOK_URL/);

    // Fixed: Teams is a channel again (recorded here), so the first tenant's run tells it works again, once.
    const fixed = loadConfig(rig.settings({ ALERT_BASELINE_SINCE: "2020-01-01T00:00:00Z" }), { requireChannel: false });
    const teams = new RecordingChannel("teams");
    for (const tenant of tenants) await runPoll(createPollDeps({ config: fixed, channels: [operator, teams], credential: rig.managedIdentity, emulatorOrigins: rig.emulatorOrigins, graphBaseDelayInMs: 10, tenantId: tenant.tenantId, tenantLabel: tenant.name }));
    expect(operator.notices.map((n) => n.kind)).toEqual(["channelDisabled", "channelRestored"]);
    expect(teams.notices.map((n) => n.kind)).toEqual(["channelRestored"]);
  });

  it("cannot be built for a customer tenant in managed-identity mode; without a tenant it is the home tenant as before", async () => {
    const tenantId = rig.addCustomer();
    const { GRAPH_CLIENT_ID: _app, GRAPH_TENANT_ID: _home, AZURE_AUTHORITY_HOST: _authority, ...managedIdentityMode } = rig.settings();
    expect(() => tenantDeps(new RecordingChannel(), { tenantId, name: "Contoso" }, managedIdentityMode)).toThrow(ConfigError);
    expect(() => tenantDeps(new RecordingChannel(), { tenantId, name: "Contoso" }, managedIdentityMode)).toThrow(`GRAPH_CLIENT_ID is required to sign in to tenant ${tenantId}`);

    const home = rig.graph.createSession(failedSession("home"));
    const channel = new RecordingChannel();
    const config = loadConfig(rig.settings({ ALERT_BASELINE_SINCE: "2020-01-01T00:00:00Z" }), { requireChannel: false });
    const summary = await runPoll(createPollDeps({ config, channels: [channel], credential: rig.managedIdentity, emulatorOrigins: rig.emulatorOrigins }));
    expect(summary).toMatchObject({ tenantId: rig.homeTenantId, alertsRecorded: 1 });
    expect(channel.sent.flatMap((s) => s.alerts.map((a) => a.session.id))).toEqual([home.id]);
  });
});

import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../../../shared/cli/main";
import { ROUTES_PARTITION } from "../../../shared/domain/tenant";
import { TEST_TENANT_ID } from "../../../local/emulators/tokens";
import { useAzurite } from "../../support/useAzurite";
import { readRows, startHarness, type Harness } from "../../support/pipelineHarness";

const azurite = useAzurite();
let harness: Harness;
afterEach(async () => {
  await harness.stop();
});

async function cli(args: string[], env: Record<string, string> = harness.env) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (l) => out.push(l), err: (l) => err.push(l), env, credential: harness.issuer.credential() });
  return { code, out, err };
}

const routeRows = async () => (await readRows(harness.table())).filter((r) => r["partitionKey"] === ROUTES_PARTITION);

describe("restorewatch route add|list|remove|test", () => {
  it("adds routes (--name value and --name=value alike), lists them in order, tests which one an alert takes (first match wins), removes one", async () => {
    harness = await startHarness(azurite, { env: { ALERT_EMAIL_TO: "backup-admins@contoso.com", ACS_ENDPOINT: "https://acs.example.communication.azure.com", ALERT_EMAIL_FROM: "alerts@contoso.com" } });
    for (const name of ["route add", "route list", "route remove", "route test"]) {
      const help = await cli([...name.split(" "), "--help"]);
      expect(help.code).toBe(0);
      expect(help.out[0]).toMatch(new RegExp(`^usage: restorewatch ${name}`));
    }
    const added = await cli(["route", "add", "--name=exchange-team", "--workload", "exchange", "--status=failed", "--email", "messaging@contoso.com,oncall@contoso.com", "--teams-secret", "exchange-teams-webhook"]);
    expect(added).toMatchObject({ code: 0, err: [] });
    expect(added.out).toEqual(["route exchange-team added:", "  order 10: tenant any; workload exchange; status failed; kind any", "  email: messaging@contoso.com, oncall@contoso.com", "  teams: webhook URL in Key Vault secret exchange-teams-webhook"]);
    // Matches more, but after the first: by --order, not by the order added.
    expect((await cli(["route", "add", "--name", "tenant-all", "--order", "5", "--tenant", TEST_TENANT_ID, "--kind", "stuck", "--email", "noc@contoso.com"])).code).toBe(0);
    expect((await cli(["route", "add", "--name", "failures", "--status", "failed", "--email", "all-failures@contoso.com"])).code).toBe(0);

    const listed = await cli(["route", "list"]);
    expect(listed.out.filter((l) => !l.startsWith(" "))).toEqual(["3 route(s), tried in this order, then the default route:", "tenant-all", "exchange-team", "failures"]);

    const exchange = await cli(["route", "test", "--tenant", TEST_TENANT_ID, "--workload", "Exchange", "--status", "failed"]);
    expect(exchange.out.slice(0, 1)).toEqual(["route exchange-team"]);
    expect(exchange.out).toContain("  email: messaging@contoso.com, oncall@contoso.com");
    expect((await cli(["route", "test", "--tenant", TEST_TENANT_ID, "--workload", "exchange", "--status", "active", "--kind", "stuck"])).out[0]).toBe("route tenant-all");
    expect((await cli(["route", "test", "--tenant", TEST_TENANT_ID, "--workload", "sharePoint", "--status", "failed"])).out[0]).toBe("route failures");
    const rest = await cli(["route", "test", "--tenant", TEST_TENANT_ID, "--workload", "sharePoint", "--status", "completedWithError"]);
    expect(rest.out).toEqual(["default route (none of the 3 route(s) matches)", "  email: backup-admins@contoso.com (ALERT_EMAIL_TO)"]);

    expect((await cli(["route", "remove", "exchange-team"])).out).toEqual(["route exchange-team removed"]);
    expect((await cli(["route", "test", "--tenant", TEST_TENANT_ID, "--workload", "exchange", "--status", "failed"])).out[0]).toBe("route failures");
    expect(await cli(["route", "remove", "exchange-team"])).toMatchObject({ code: 64, err: ["restorewatch: no route 'exchange-team' (see restorewatch route list)"] });
    expect((await routeRows()).map((r) => r["rowKey"]).sort()).toEqual(["failures", "tenant-all"]);
  });

  it("refuses an invalid route with every reason, and stores nothing", async () => {
    harness = await startHarness(azurite);
    const refused = async (args: string[], reason: string) => {
      const result = await cli(["route", "add", ...args]);
      expect(result.code).toBe(64);
      expect(result.err.join("\n")).toContain(reason);
    };
    await refused(["--name", "bad-address", "--email", "messaging@contoso.com,not-an-address"], "email recipient 'not-an-address' is not an email address");
    await refused(["--name", "url-as-secret", "--teams-secret", "https://prod-00.westeurope.logic.azure.com/workflows/x?sig=abc"], "the Teams webhook must be given as a Key Vault secret name");
    await refused(["--name", "bad-workload", "--workload", "teams", "--email", "a@contoso.com"], "workload 'teams' is not a workload (exchange, sharePoint, oneDrive, unknown)");
    await refused(["--name", "no-receiver", "--workload", "exchange"], "a route needs a receiver");
    await refused(["--name", "Exchange Team", "--email", "a@contoso.com"], "name 'Exchange Team' must be 1-40 lower-case letters");
    // Every problem at once.
    await refused(["--name", "two-problems", "--status", "broken", "--kind", "health", "--email", "a@contoso.com"], "status 'broken' is not a restore session status (draft, activating, active, completedWithError, completed, failed); kind 'health' is not an alert kind (status, stuck, reminder)");
    expect(await routeRows()).toEqual([]);
    expect((await cli(["route", "list"])).out).toEqual(["no routes: every alert goes to the default route (ALERT_EMAIL_TO, TEAMS_WEBHOOK_URL)"]);

    expect((await cli(["route", "add", "--name", "ok", "--email", "a@contoso.com"])).code).toBe(0);
    await refused(["--name", "ok", "--email", "b@contoso.com"], "a route named 'ok' exists");
    expect((await routeRows()).map((r) => r["emailTo"])).toEqual(["a@contoso.com"]);
    expect((await cli(["route", "test", "--tenant", TEST_TENANT_ID, "--workload", "nowhere", "--status", "failed"])).code).toBe(64);
  });
});

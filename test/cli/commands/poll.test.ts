import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../../../shared/cli/main";
import { useAzurite } from "../../support/useAzurite";
import { READ_ROLE, startHarness, type Harness } from "../../support/pipelineHarness";

const azurite = useAzurite();
let harness: Harness;
afterEach(async () => {
  await harness.stop();
});

async function cli(args: string[], env: Record<string, string>, roles: string[] = [READ_ROLE]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (l) => out.push(l), err: (l) => err.push(l), env, processEnv: env, credential: harness.issuer.credential({ roles }) });
  return { code, out, err };
}

describe("restorewatch CLI", () => {
  it("poll --once records, --dry-run prints what it would send and changes nothing", async () => {
    harness = await startHarness(azurite);
    const env = { ...harness.env, ALERT_OUTBOX_DIR: "" };
    expect((await cli(["poll", "--once", "--dry-run"], env)).code).toBe(0);
    const baseline = await cli(["poll", "--once"], { ...harness.env, ALERT_OUTBOX_DIR: `.local/test-outbox-${harness.tableName}` });
    expect(baseline.code).toBe(0);
    expect(baseline.out.at(-1)).toMatch(/\(baseline\).*alertsRecorded=0/);
    const s = harness.graph.createSession({ workload: "exchange", status: "failed", artifacts: [] });
    const dry = await cli(["poll", "--once", "--dry-run"], env);
    expect(dry.code).toBe(0);
    expect(dry.out.some((l) => l.startsWith(`would alert: id=${s.id}_failed`))).toBe(true);
    expect(dry.out.at(-1)).toMatch(/\(dry run\).*alertsRecorded=0/);
  });

  it("exits 2 on a config error, 3 when Graph refuses the identity, 4 when Graph is unreachable, 64 on bad usage", async () => {
    harness = await startHarness(azurite);
    const bad = await cli(["poll", "--once", "--dry-run"], { ...harness.env, ALERT_ON_STATUSES: "broken" });
    expect(bad).toMatchObject({ code: 2 });
    expect(bad.err).toEqual([expect.stringMatching(/^restorewatch: ALERT_ON_STATUSES 'broken'/)]);
    const denied = await cli(["poll", "--once", "--dry-run"], harness.env, ["User.Read.All"]);
    expect(denied.code).toBe(3);
    expect(denied.err.at(-1)).toMatch(/BackupRestore-Restore.Read.All/);
    harness.graph.injectFault(/restoreSessions/, { status: 503 }, 100);
    expect((await cli(["poll", "--once", "--dry-run"], { ...harness.env, GRAPH_MAX_RETRIES: "1" })).code).toBe(4);
    expect((await cli(["frobnicate"], harness.env)).code).toBe(64);
  });
});

import { afterEach, describe, expect, it } from "vitest";
import { runPoll } from "../../shared/pipeline/poll";
import { RunMetaStore } from "../../shared/state/runMeta";
import { newTableCounters } from "../../shared/state/tableClient";
import { TEST_TENANT_ID } from "../../local/emulators/tokens";
import { useAzurite } from "../support/useAzurite";
import { startHarness, type Harness } from "../support/pipelineHarness";

/** Watching the watcher: consecutive failed runs raise one health notice, and a good run one recovery notice. */
const azurite = useAzurite();
let harness: Harness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

describe("health notices (HEALTH_ALERT_AFTER)", () => {
  it("after 3 runs refused by Graph (403) sends one notice naming the permission; counts survive restarts; one recovery notice", async () => {
    harness = await startHarness(azurite);
    const h = harness;
    await h.poll(); // a good baseline run
    const revoked = h.issuer.credential({ roles: [] });
    // Each run builds fresh parts (a restarted instance): the count lives in the table.
    const failingRun = () => runPoll(h.deps({ credential: revoked }), { log: h.log });
    for (let run = 1; run <= 2; run++) await expect(failingRun()).rejects.toThrow(/BackupRestore-Restore\.Read\.All/);
    expect(h.channel.notices).toEqual([]);
    await expect(failingRun()).rejects.toThrow();
    expect(h.channel.notices).toHaveLength(1);
    const notice = h.channel.notices[0];
    expect(notice).toMatchObject({ kind: "unhealthy", tenantId: TEST_TENANT_ID, consecutiveFailures: 3, lastSuccessAt: expect.any(String) });
    expect(notice?.fix).toMatch(/BackupRestore-Restore\.Read\.All.*grant-graph-permission/);
    expect(notice?.cause).toMatch(/403|Forbidden|permission/i);
    expect(h.logs.filter((l) => l.startsWith("ERROR ") && l.includes("failed 3 runs in a row"))).toHaveLength(1);

    await expect(failingRun()).rejects.toThrow();
    expect(h.channel.notices).toHaveLength(1); // no storm
    const { meta } = await new RunMetaStore(h.table(), TEST_TENANT_ID, newTableCounters()).read();
    expect(meta).toMatchObject({ consecutiveFailures: 4, healthAlertedAt: notice?.at });

    await h.poll();
    expect(h.channel.notices.map((n) => n.kind)).toEqual(["unhealthy", "recovered"]);
    expect(h.channel.notices[1]).toMatchObject({ consecutiveFailures: 4 });
    await h.poll();
    expect(h.channel.notices).toHaveLength(2);
    const after = await new RunMetaStore(h.table(), TEST_TENANT_ID, newTableCounters()).read();
    expect(after.meta.consecutiveFailures).toBe(0);
    expect(after.meta.healthAlertedAt).toBeUndefined();
  });

  it("retries the notice on the next failed run when no channel took it", async () => {
    harness = await startHarness(azurite, { env: { HEALTH_ALERT_AFTER: "2" } });
    const h = harness;
    await h.poll();
    const revoked = h.issuer.credential({ roles: [] });
    await expect(runPoll(h.deps({ credential: revoked }), { log: h.log })).rejects.toThrow();
    h.channel.answerNext({ kind: "retry", error: "channel down" });
    await expect(runPoll(h.deps({ credential: revoked }), { log: h.log })).rejects.toThrow();
    expect(h.channel.notices).toEqual([]);
    await expect(runPoll(h.deps({ credential: revoked }), { log: h.log })).rejects.toThrow();
    expect(h.channel.notices).toMatchObject([{ kind: "unhealthy", consecutiveFailures: 3 }]);
  });

  it("still sends the notice when the state table itself refuses the app (counted in the instance)", async () => {
    const badKey = azurite.connectionString.replace(/AccountKey=[^;]+/, `AccountKey=${Buffer.from("not the key").toString("base64")}`);
    harness = await startHarness(azurite, { env: { AzureWebJobsStorage: badKey } });
    const deps = harness.deps(); // one instance, three timer runs
    for (let run = 1; run <= 3; run++) await expect(runPoll(deps, { log: harness.log })).rejects.toThrow();
    expect(harness.channel.notices).toHaveLength(1);
    expect(harness.channel.notices[0]?.fix).toMatch(/Storage Table Data Contributor/);
    await expect(runPoll(deps, { log: harness.log })).rejects.toThrow();
    expect(harness.channel.notices).toHaveLength(1);
    expect(harness.logs.some((l) => l.startsWith("ERROR could not record the failed run in the state table"))).toBe(true);
  });
});

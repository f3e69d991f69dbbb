import { afterEach, describe, expect, it } from "vitest";
import { housekeeping } from "../../shared/pipeline/housekeeping";
import { TEST_TENANT_ID } from "../../local/emulators/tokens";
import { readRows, startHarness, tenantRun, type Harness } from "../support/pipelineHarness";
import { useAzurite } from "../support/useAzurite";

const azurite = useAzurite();
let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const DAY = 24 * 3_600_000;

describe("housekeeping: retention, once a day", () => {
  it("deletes finished alert rows past STATE_RETENTION_DAYS, keeps pending and recent ones, and does it at most once a day", async () => {
    h = await startHarness(azurite, { env: { STATE_RETENTION_DAYS: "30" } });
    const now = new Date("2026-12-01T00:00:00Z");
    const row = (id: string, recordedAt: Date, pending: boolean) => ({ partitionKey: TEST_TENANT_ID, rowKey: `alert_${id}`, recordedAt: recordedAt.toISOString(), pending });
    const table = h.table();
    await table.createTable();
    for (const entity of [row("old-done", new Date(now.getTime() - 40 * DAY), false), row("old-pending", new Date(now.getTime() - 40 * DAY), true), row("recent-done", new Date(now.getTime() - 5 * DAY), false)]) await table.createEntity(entity);

    const deps = h.deps({ now: () => now });
    const meta = await housekeeping(deps, tenantRun(h, deps), { consecutiveFailures: 0 });
    expect(meta.lastPrunedAt).toBe(now.toISOString());
    expect((await readRows(table)).map((r) => r["rowKey"]).sort()).toEqual(["alert_old-pending", "alert_recent-done", "meta_run"]);

    // The same day: nothing read, nothing written.
    const later = h.deps({ now: () => new Date(now.getTime() + DAY / 2) });
    expect(await housekeeping(later, tenantRun(h, later), meta)).toBe(meta);
    expect(later.tableCounters).toEqual({ queryPages: 0, transactions: 0, pointOperations: 0 });
  });
});

import { randomUUID } from "node:crypto";
import { TableClient } from "@azure/data-tables";
import { describe, expect, it } from "vitest";
import { TENANTS_PARTITION, type WatchedTenant } from "../../shared/domain/tenant";
import { TENANT_LEASE_MS, TenantMessageError, parseTenantPollMessage } from "../../shared/domain/tenantPoll";
import { TenantLeaseHeldError, pollTenantMessage, tenantMessages } from "../../shared/pipeline/fanout";
import { TenantLeases } from "../../shared/state/tenantLease";
import { TenantStore } from "../../shared/state/tenantStore";
import { startHarness } from "../support/pipelineHarness";
import { useAzurite } from "../support/useAzurite";

const TENANT_A = "0a0a0a0a-0000-4000-8000-00000000000a";
const TENANT_B = "0b0b0b0b-0000-4000-8000-00000000000b";

const azurite = useAzurite();

async function freshTable(): Promise<TableClient> {
  const table = TableClient.fromConnectionString(azurite.connectionString, `rw${randomUUID().replace(/-/g, "").slice(0, 20)}`, { allowInsecureConnection: true });
  await table.createTable();
  return table;
}

const T0 = new Date("2026-03-02T10:00:00.000Z");
const CYCLE_1 = "2026-03-02T10:00:00.000Z";
const CYCLE_2 = "2026-03-02T10:10:00.000Z";

describe("the tenant-poll message", () => {
  it("one per tenant that is not paused, all of one cycle", () => {
    const tenants: WatchedTenant[] = [
      { tenantId: "a", name: "A", paused: false, addedAt: "" },
      { tenantId: "b", name: "B", paused: true, addedAt: "" },
      { tenantId: "c", name: "C", paused: false, addedAt: "" },
    ];
    expect(tenantMessages(tenants, T0, new Date(T0.getTime() + 5))).toEqual([
      { tenantId: "a", cycle: CYCLE_1, enqueuedAt: "2026-03-02T10:00:00.005Z" },
      { tenantId: "c", cycle: CYCLE_1, enqueuedAt: "2026-03-02T10:00:00.005Z" },
    ]);
  });

  it("is read from its JSON (text or parsed) and refused with a clear error when malformed", () => {
    const message = { tenantId: "7e1a0c5d-3b1f-4f63-9d2a-0c6f5e8b4a11", cycle: CYCLE_1, enqueuedAt: CYCLE_1 };
    expect(parseTenantPollMessage(JSON.stringify(message))).toEqual(message);
    expect(parseTenantPollMessage(message)).toEqual(message);
    expect(() => parseTenantPollMessage("eyJ0ZW5hbnRJZCI6ImEifQ==")).toThrow(new TenantMessageError('the tenant-poll message is not JSON: "eyJ0ZW5hbnRJZCI6ImEifQ=="'));
    expect(() => parseTenantPollMessage([message])).toThrow(/is not a JSON object/);
    expect(() => parseTenantPollMessage({ ...message, tenantId: "a/b" })).toThrow(/has no valid tenantId/);
    expect(() => parseTenantPollMessage({ ...message, cycle: "yesterday" })).toThrow("the tenant-poll message for tenant 7e1a0c5d-3b1f-4f63-9d2a-0c6f5e8b4a11 has no valid cycle (an ISO time)");
    expect(() => parseTenantPollMessage({ tenantId: "a", cycle: CYCLE_1 })).toThrow(/has no valid enqueuedAt/);
  });
});

describe("the tenant lease (ETag-conditioned row in ~fanout)", () => {
  it("of two instances that race for a tenant, exactly one gets it; the other is told the cycle is taken", async () => {
    const leases = new TenantLeases(await freshTable());
    const outcomes = await Promise.all(["w1", "w2", "w3", "w4"].map((owner) => leases.acquire("t1", CYCLE_1, owner, T0)));
    expect(outcomes.filter((o) => o.kind === "acquired")).toHaveLength(1);
    expect(outcomes.filter((o) => o.kind === "alreadyPolled")).toHaveLength(3);
  });

  it("is held against an earlier cycle's poll until it expires; a completed cycle is never polled again; a failed one is", async () => {
    const leases = new TenantLeases(await freshTable());
    const first = await leases.acquire("t1", CYCLE_1, "w1", T0);
    expect(first.kind).toBe("acquired");
    // The next cycle while the first poll runs: held (retried later), until the lease runs out.
    expect((await leases.acquire("t1", CYCLE_2, "w2", new Date(T0.getTime() + TENANT_LEASE_MS - 1))).kind).toBe("held");
    expect((await leases.acquire("t1", CYCLE_2, "w2", new Date(T0.getTime() + TENANT_LEASE_MS + 1))).kind).toBe("acquired");
    // The first poll's worker comes back late: its lease was taken, so it cannot complete over the second.
    expect(first.kind === "acquired" && (await leases.complete(first.row, T0))).toBe(false);

    const other = await leases.acquire("t2", CYCLE_1, "w1", T0);
    expect(other.kind === "acquired" && (await leases.fail(other.row, "Graph 503", T0))).toBe(true);
    expect(await leases.read("t2")).toMatchObject({ lastError: "Graph 503", lastFailedAt: T0.toISOString() });
    const retried = await leases.acquire("t2", CYCLE_1, "w2", T0);
    expect(retried.kind).toBe("acquired");
    expect(retried.kind === "acquired" && (await leases.complete(retried.row, T0))).toBe(true);
    expect((await leases.read("t2")).leaseUntil).toBeUndefined();
    expect((await leases.acquire("t2", CYCLE_1, "w3", T0)).kind).toBe("alreadyPolled");
    expect((await leases.acquire("t2", CYCLE_2, "w3", T0)).kind).toBe("acquired");
  });

  it("a worker killed mid-tenant: its lease stays with the cycle (a redelivered message is completed unpolled) and expires before the next cycle's poll", async () => {
    const leases = new TenantLeases(await freshTable());
    expect((await leases.acquire("t1", CYCLE_1, "killed", T0)).kind).toBe("acquired");
    expect((await leases.acquire("t1", CYCLE_1, "redelivered", new Date(T0.getTime() + 11 * 60_000))).kind).toBe("alreadyPolled");
    expect((await leases.acquire("t1", CYCLE_2, "next", new Date(Date.parse(CYCLE_2) + 1))).kind).toBe("acquired");
  });
});

describe("pollTenantMessage", () => {
  it("polls the message's tenant (its own partition), skips a paused or removed tenant, and throws while another instance holds it", async () => {
    const h = await startHarness(azurite);
    try {
      h.graph.createSession({ workload: "exchange", status: "failed", artifacts: [] });
      const table = h.table();
      await table.createTable();
      for (const [tenantId, paused] of [[TENANT_A, false], [TENANT_B, true]] as const) {
        await table.createEntity({ partitionKey: TENANTS_PARTITION, rowKey: tenantId, name: tenantId.toUpperCase(), paused, addedAt: CYCLE_1 });
      }
      expect((await new TenantStore(table).list()).map((t) => [t.tenantId, t.name, t.paused])).toEqual([[TENANT_A, TENANT_A.toUpperCase(), false], [TENANT_B, TENANT_B.toUpperCase(), true]]);
      const fan = { table, depsFor: (tenant: WatchedTenant) => h.deps({ config: { ...h.config, graph: { ...h.config.graph, tenantId: tenant.tenantId } } }) };
      const message = (tenantId: string, cycle = CYCLE_1): string => JSON.stringify({ tenantId, cycle, enqueuedAt: cycle });

      const polled = await pollTenantMessage(fan, message(TENANT_A), { owner: "w1", log: h.log });
      expect(polled.kind === "polled" && polled.summary.tenantId).toBe(TENANT_A);
      expect((await pollTenantMessage(fan, message(TENANT_A), { owner: "w2", log: h.log })).kind).toBe("skipped");
      expect(await pollTenantMessage(fan, message(TENANT_B), { owner: "w1", log: h.log })).toMatchObject({ kind: "skipped", reason: "the tenant is paused" });
      expect(await pollTenantMessage(fan, message("0c0c0c0c-0000-4000-8000-00000000000c"), { owner: "w1", log: h.log })).toMatchObject({ kind: "skipped", reason: "the tenant is no longer recorded" });
      expect(h.graph.requestCount(/restoreSessions(\?|$)/)).toBe(1);

      await new TenantLeases(table).acquire(TENANT_A, CYCLE_2, "elsewhere", new Date());
      await expect(pollTenantMessage(fan, message(TENANT_A, "2026-03-02T10:20:00.000Z"), { owner: "w1", log: h.log })).rejects.toThrow(TenantLeaseHeldError);
      await expect(pollTenantMessage(fan, "not json", { owner: "w1", log: h.log })).rejects.toThrow(TenantMessageError);
    } finally {
      await h.stop();
    }
  });
});

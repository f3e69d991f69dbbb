import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { simulatedCustomers } from "../../../../local/simulatedTenant";
import { TEST_TENANT_ID } from "../../../../local/emulators/tokens";
import { appToken, call, collect, errorOf, RESTORE, start, stopEmulatorsAfterEach } from "./harness";

stopEmulatorsAfterEach();

const tokenOf = (tenantId: string): string => appToken(undefined, { tenantId });

describe("the Graph emulator with several tenants", () => {
  it("serves each tenant its own sessions by the token's tid, pages included; a tenant never named gets the default tenant's", async () => {
    const emulator = await start({ pageSize: 2 });
    const [a, b] = [randomUUID(), randomUUID()];
    const home = emulator.createSession({ workload: "exchange", status: "failed" });
    const ofA = [1, 2, 3].map(() => emulator.tenant(a).createSession({ workload: "sharePoint", status: "completed" }));
    const ofB = emulator.tenant(b.toUpperCase()).createSession({ workload: "oneDrive", status: "failed" });

    const ids = async (tenantId: string): Promise<unknown[]> => (await collect(emulator, `${RESTORE}/restoreSessions`, { token: tokenOf(tenantId) })).items.map((s) => s["id"]);
    expect(await ids(a)).toEqual(ofA.map((s) => s.id));
    expect(await ids(b)).toEqual([ofB.id]);
    expect(await ids(TEST_TENANT_ID)).toEqual([home.id]);
    expect(await ids(randomUUID())).toEqual([home.id]);
    expect(emulator.sessions().map((s) => s.id)).toEqual([home.id]);
    expect(emulator.tenant(b).sessions().map((s) => s.id)).toEqual([ofB.id]);

    // Another tenant's session id is not found, on every endpoint that takes one.
    const other = ofA[0]?.id ?? "";
    expect((await errorOf(await call(`${emulator.url}${RESTORE}/restoreSessions/${other}`, { token: tokenOf(b) }), 404)).code).toBe("RestoreSessionNotFound");
    expect((await errorOf(await call(`${emulator.url}${RESTORE}/sharePointRestoreSessions/${other}/siteRestoreArtifacts`, { token: tokenOf(b) }), 404)).code).toBe("RestoreSessionNotFound");
    expect((await call(`${emulator.url}${RESTORE}/restoreSessions/${other}`, { token: tokenOf(a) })).status).toBe(200);

    const recorded = emulator.requests.map((r) => r.tenantId);
    expect(recorded).toContain(a);
    expect(recorded).toContain(b);
  });

  it("simulatedCustomers gives N tenants with stable ids, labels and sessions of their own", async () => {
    const emulator = await start();
    const customers = simulatedCustomers(emulator, 3, { seed: 7, initialSessions: 6, now: () => Date.parse("2026-11-30T12:00:00Z") });
    for (const customer of customers) customer.tenant.seed();

    expect(customers.map((c) => c.name)).toEqual(["Contoso", "Fabrikam", "Northwind Traders"]);
    expect(new Set(customers.map((c) => c.tenantId)).size).toBe(3);
    expect(simulatedCustomers(await start(), 3).map((c) => c.tenantId)).toEqual(customers.map((c) => c.tenantId));
    for (const customer of customers) {
      const sessions = emulator.tenant(customer.tenantId).sessions();
      expect(sessions).toHaveLength(6);
      const listed = (await collect(emulator, `${RESTORE}/restoreSessions`, { token: tokenOf(customer.tenantId) })).items.map((s) => s["id"]);
      expect(listed).toEqual(sessions.map((s) => s.id));
    }
    expect(emulator.sessions()).toEqual([]);
    const ticked = customers[0]?.tenant.tick();
    expect(ticked?.created).toHaveLength(2);
    expect(emulator.tenant(customers[0]?.tenantId ?? "").sessions()).toHaveLength(8);
    expect(emulator.tenant(customers[1]?.tenantId ?? "").sessions()).toHaveLength(6);
  });
});

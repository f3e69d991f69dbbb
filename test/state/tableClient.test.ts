import { randomUUID } from "node:crypto";
import { RestError } from "@azure/core-rest-pipeline";
import { TableClient } from "@azure/data-tables";
import { afterEach, describe, expect, it } from "vitest";
import { ensureTable, tableErrorCode } from "../../shared/state/tableClient";
import { failSessions, seedSessions, startFaultRig, type FaultRig } from "../faults/faultRig";
import { useAzurite } from "../support/useAzurite";
import { FaultProxy, tableRequests } from "../support/faultProxy";

/**
 * infra/main.bicep grants Storage Table Data Contributor on the state table only. Creating a table is
 * an action on the account, so Azure refuses each run's createTable with a 403 (Azurite enforces no
 * roles: the fault proxy answers in Table Storage's error shape, x-ms-error-code and an odata.error
 * body, to the real TableClient). The run must carry on with the table infra created, and every
 * other refusal must still fail it.
 */

const azurite = useAzurite();
let proxy: FaultProxy | undefined;
let rig: FaultRig | undefined;
afterEach(async () => {
  await proxy?.stop();
  await rig?.stop();
  proxy = undefined;
  rig = undefined;
});

/** A table client through a fresh fault proxy, for a table name no other test uses. */
async function clientThroughProxy(): Promise<{ client: TableClient; proxy: FaultProxy }> {
  proxy = await FaultProxy.start({ port: azurite.port });
  const name = `rw${randomUUID().replace(/-/g, "").slice(0, 20)}`;
  const client = TableClient.fromConnectionString(proxy.connectionStringFor(azurite.connectionString), name, { allowInsecureConnection: true });
  return { client, proxy };
}

describe("ensureTable when the identity may not create tables", () => {
  it.each(["AuthorizationPermissionMismatch", "AuthorizationFailure"])("a 403 %s to createTable: the table is expected to exist, nothing is thrown, nothing retried", async (code) => {
    const { client, proxy: p } = await clientThroughProxy();
    p.rule(tableRequests.createTable, { kind: "status", status: 403, code });
    await expect(ensureTable(client)).resolves.toBeUndefined();
    expect(p.requests.map((q) => ({ method: q.method, outcome: q.outcome }))).toEqual([{ method: "POST", outcome: "fault 403" }]);
  });

  it.each(["AuthenticationFailed", "InsufficientAccountPermissions"])("a 403 %s still fails: it is not a missing create permission", async (code) => {
    const { client, proxy: p } = await clientThroughProxy();
    p.rule(tableRequests.createTable, { kind: "status", status: 403, code });
    const error: unknown = await ensureTable(client).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RestError);
    expect((error as RestError).statusCode).toBe(403);
    expect(tableErrorCode(error as RestError)).toBe(code);
  });

  it("a 409 (the table exists) is fine, as before; and with no refusal the table is created", async () => {
    const { client, proxy: p } = await clientThroughProxy();
    await ensureTable(client);
    await ensureTable(client);
    expect(p.requests.filter(tableRequests.createTable).map((q) => q.outcome)).toEqual(["201", "409"]);
  });
});

describe("a poll run with the role on the table only", () => {
  it("runs, records and delivers with the table infra created, though every createTable is refused", async () => {
    rig = await startFaultRig(azurite);
    const r = rig;
    await r.harness.table().createTable(); // infra/main.bicep creates it
    r.proxy.rule(tableRequests.createTable, { kind: "status", status: 403, code: "AuthorizationPermissionMismatch" });
    const sessions = seedSessions(r, 2);
    expect((await r.run()).baseline).toBe(true);
    const expected = failSessions(r, sessions);
    r.advance(5 * 60_000);
    const summary = await r.run();
    expect(summary.alertsRecorded).toBe(expected.length);
    expect(summary.delivery).toMatchObject({ alertsDelivered: expected.length });
    expect(r.proxy.requests.filter(tableRequests.createTable).map((q) => q.outcome)).toEqual(["fault 403", "fault 403"]);
  });

  it("with the table missing, the run fails on its first read (404), not silently", async () => {
    rig = await startFaultRig(azurite);
    const r = rig;
    r.proxy.rule(tableRequests.createTable, { kind: "status", status: 403, code: "AuthorizationPermissionMismatch" });
    seedSessions(r, 1);
    await expect(r.run()).rejects.toMatchObject({ statusCode: 404 });
    expect(r.proxy.count(tableRequests.createTable)).toBeGreaterThan(0);
  });
});

import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../../shared/cli/main";
import { alertToEntity } from "../../shared/state/entities";
import type { Alert } from "../../shared/domain/alert";
import { TEST_TENANT_ID } from "../../local/emulators/tokens";
import { useAzurite } from "../support/useAzurite";
import { failSessions, seedSessions, startFaultRig, type FaultRig } from "../faults/faultRig";
import { emailTally, teamsTally } from "../faults/invariants";

/**
 * Stored alerts are re-validated before delivery: a row in the state table is not trusted because it
 * is there. Rows that break the schema restorewatch writes (unknown members, oversized text, links
 * that are no https URLs, a key that does not match the alert, broken JSON) are quarantined: logged
 * with their key, counted in `status`, never sent; well-formed alerts beside them go out as usual.
 */
const azurite = useAzurite();
let rig: FaultRig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

const SESSION = "0d9f1e2a-3b4c-4d5e-8f60-7a8b9c0d1e2f";
const PENDING = JSON.stringify({ email: { state: "pending", attempts: 0 }, teams: { state: "pending", attempts: 0 } });

/** A forged alert row: what restorewatch would write for a failed Exchange session, then changed. */
function forged(id: string, change: (row: Record<string, unknown>) => void): Record<string, unknown> {
  const alert: Alert = {
    id: `${id}_failed`,
    tenantId: TEST_TENANT_ID,
    kind: "status",
    status: "failed",
    session: { id, workload: "exchange", status: "failed" },
    detail: { available: true, failedArtifacts: [{ id: "a1", name: "Mailbox", errorCode: "ArtifactNotFound", errorMessage: "Not found." }], omittedCount: 0 },
    recordedAt: new Date().toISOString(),
    runId: "20261202T000000-forged00",
  };
  const row: Record<string, unknown> = { ...alertToEntity(alert, JSON.parse(PENDING)) };
  change(row);
  return row;
}

const FORGERIES: readonly [string, (row: Record<string, unknown>) => void, RegExp][] = [
  ["an unknown kind", (row) => (row["kind"] = "urgent"), /^kind: is not a known value$/],
  ["a message far longer than restorewatch keeps", (row) => (row["session"] = JSON.stringify({ id: String(row["sessionId"]), workload: "exchange", status: "failed", error: { message: `Click https://evil.example/login now. ${"x".repeat(5000)}` } })), /^session\.error\.message: is longer than 2000 characters$/],
  ["a link that is no https URL", (row) => (row["detail0"] = JSON.stringify([{ id: "a1", name: "Mailbox", webUrl: "javascript:alert(1)" }])), /^detail\[0\]\.webUrl: is not an https URL$/],
  ["a key that is not the alert's", (row) => (row["rowKey"] = "alert_11111111-2222-4333-8444-555555555555_failed"), /^rowKey: does not match/],
  ["broken JSON", (row) => (row["deliveries"] = "{not json"), /^deliveries: is not JSON$/],
  ["an unknown delivery state", (row) => (row["deliveries"] = JSON.stringify({ email: { state: "sent", attempts: 0 } })), /^deliveries\.email\.state: is not a known value$/],
];

describe("stored alerts are re-validated before delivery", () => {
  it("forged and damaged rows are quarantined, logged with their key and listed by status; the real alert beside them goes out once", async () => {
    const r = (rig = await startFaultRig(azurite));
    const sessions = seedSessions(r, 1);
    await r.run();
    const [realAlert] = failSessions(r, sessions);
    const table = r.harness.table();
    const forgeries = FORGERIES.map(([name, change], index) => {
      const session = `${SESSION.slice(0, -2)}${String(index).padStart(2, "0")}`;
      return { name, row: forged(session, change), reason: FORGERIES[index]?.[2] as RegExp };
    });
    for (const { row } of forgeries) await table.createEntity(row as { partitionKey: string; rowKey: string });

    await r.run();

    // Nothing forged was sent, on either channel; the real alert was, once each.
    const email = emailTally(r.acs);
    const teams = teamsTally(r.teams);
    expect([...email.reached.keys()]).toEqual([realAlert?.split("_")[0]]);
    expect([...teams.reached.keys()]).toEqual([realAlert?.split("_")[0]]);
    for (const { row, reason, name } of forgeries) {
      expect(r.harness.logs, name).toContainEqual(expect.stringMatching(new RegExp(`^ERROR alert row ${String(row["rowKey"])} quarantined, not sent: `)));
      const stored = await table.getEntity<Record<string, unknown>>(TEST_TENANT_ID, String(row["rowKey"]));
      expect({ name, pending: stored["pending"], reason: stored["quarantineReason"] }).toEqual({ name, pending: false, reason: expect.stringMatching(reason) });
    }

    // status lists them; retry refuses them; a later run leaves them alone.
    const out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(l), env: r.env, processEnv: r.env, credential: r.harness.issuer.credential() };
    expect(await runCli(["status"], io)).toBe(0);
    expect(out).toContainEqual(`${FORGERIES.length} alert row(s) quarantined: they failed re-validation and are never sent (someone or something wrote them; look before you delete them):`);
    const firstId = String(forgeries[0]?.row["rowKey"]).slice("alert_".length);
    out.length = 0;
    expect(await runCli(["retry", firstId], io)).toBe(1);
    expect(out.join("\n")).toContain("is quarantined: kind: is not a known value");
    r.advance(10 * 60_000);
    await r.run();
    expect(r.acs.messages).toHaveLength(1);
    expect(r.teams.posts).toHaveLength(1);
  });
});

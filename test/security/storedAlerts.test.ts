import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../../shared/cli/main";
import { alertToEntity } from "../../shared/state/entities";
import type { Alert, FailedArtifact } from "../../shared/domain/alert";
import { MAX_ARTIFACT_TEXT_CHARS, MAX_BULK_ISSUES } from "../../shared/domain/textBounds";
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

/** The failed artifact of a forged row, with every field an alert keeps of one. */
const NAMED_ARTIFACT: FailedArtifact = {
  id: "a1",
  kind: "mailbox",
  name: "Adele Vance",
  address: "AdeleV@contoso.com",
  objectId: "6c3d2a2d-5b1e-4f7a-9c0d-3e8f1a2b4c6d",
  restoredTo: "Restored-Adele",
  restoredToUrl: "https://outlook.office.com/mail/restored",
  errorCode: "ArtifactNotFound",
  errorMessage: "Not found.",
};

/** A forged alert row: what restorewatch would write for a failed Exchange session, then changed. */
function forged(id: string, change: (row: Record<string, unknown>) => void): Record<string, unknown> {
  const alert: Alert = {
    id: `${id}_failed`,
    tenantId: TEST_TENANT_ID,
    kind: "status",
    status: "failed",
    session: { id, workload: "exchange", status: "failed", restoreJobType: "bulk", artifactCount: { total: 2, failed: 1 } },
    detail: { available: true, failedArtifacts: [NAMED_ARTIFACT], omittedCount: 0, bulkIssues: [{ id: "r1", displayName: "EXO-Bulk", status: "completedWithErrors", errorCode: "BulkRestoreInvalidCreateRequestUserEmail", requestedCount: 3 }] },
    recordedAt: new Date().toISOString(),
    runId: "20261202T000000-forged00",
  };
  const row: Record<string, unknown> = { ...alertToEntity(alert, JSON.parse(PENDING)) };
  change(row);
  return row;
}

const withArtifact = (fields: Partial<Record<keyof FailedArtifact, unknown>>) => (row: Record<string, unknown>) => void (row["detail0"] = JSON.stringify([{ ...NAMED_ARTIFACT, ...fields }]));

const FORGERIES: readonly [string, (row: Record<string, unknown>) => void, RegExp][] = [
  ["an unknown kind", (row) => (row["kind"] = "urgent"), /^kind: is not a known value$/],
  ["a message far longer than restorewatch keeps", (row) => (row["session"] = JSON.stringify({ id: String(row["sessionId"]), workload: "exchange", status: "failed", error: { message: `Click https://evil.example/login now. ${"x".repeat(5000)}` } })), /^session\.error\.message: is longer than 2000 characters$/],
  ["a link that is no https URL", (row) => (row["detail0"] = JSON.stringify([{ id: "a1", name: "Mailbox", webUrl: "javascript:alert(1)" }])), /^detail\[0\]\.webUrl: is not an https URL$/],
  ["a key that is not the alert's", (row) => (row["rowKey"] = "alert_11111111-2222-4333-8444-555555555555_failed"), /^rowKey: does not match/],
  ["broken JSON", (row) => (row["deliveries"] = "{not json"), /^deliveries: is not JSON$/],
  ["an unknown delivery state", (row) => (row["deliveries"] = JSON.stringify({ email: { state: "sent", attempts: 0 } })), /^deliveries\.email\.state: is not a known value$/],
  ["a restored-to link of javascript:", withArtifact({ restoredToUrl: "javascript:alert(document.cookie)" }), /^detail\[0\]\.restoredToUrl: is not an https URL$/],
  ["an item path longer than restorewatch keeps", withArtifact({ itemPath: `/Documents/${"x".repeat(MAX_ARTIFACT_TEXT_CHARS.path)}` }), /^detail\[0\]\.itemPath: is longer than 2000 characters$/],
  ["an artifact kind restorewatch never writes", withArtifact({ kind: "folder" }), /^detail\[0\]\.kind: is not a known value$/],
  ["an owner address that is no string", withArtifact({ address: ["a@contoso.com"] }), /^detail\[0\]\.address: expected a string, got array$/],
  ["more bulk requests than restorewatch keeps", (row) => (row["bulkIssues"] = JSON.stringify(Array.from({ length: MAX_BULK_ISSUES + 1 }, (_, i) => ({ id: `r${i}` })))), /^bulkIssues: lists more than 20 requests$/],
  ["a bulk request message longer than restorewatch keeps", (row) => (row["bulkIssues"] = JSON.stringify([{ id: "r1", errorMessage: `Click https://evil.example/login ${"x".repeat(MAX_ARTIFACT_TEXT_CHARS.message)}` }])), /^bulkIssues\[0\]\.errorMessage: is longer than 2001 characters$/],
  ["an @odata.type longer than restorewatch keeps", (row) => (row["session"] = JSON.stringify({ id: String(row["sessionId"]), workload: "unknown", odataType: `#${"x".repeat(MAX_ARTIFACT_TEXT_CHARS.type)}`, status: "failed" })), /^session\.odataType: is longer than 200 characters$/],
];

describe("stored alerts are re-validated before delivery", () => {
  it("forged and damaged rows are quarantined, logged with their key and listed by status; the real alert and a well-formed row with every new field go out once", async () => {
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
    // Beside them, a row as restorewatch writes it with every new field: it passes and goes out.
    const wellFormedSession = `${SESSION.slice(0, -2)}99`;
    await table.createEntity(forged(wellFormedSession, () => undefined) as { partitionKey: string; rowKey: string });

    await r.run();

    // Nothing forged was sent, on either channel; the real alert and the well-formed row were, once each.
    const email = emailTally(r.acs);
    const teams = teamsTally(r.teams);
    const sent = [realAlert?.split("_")[0], wellFormedSession].sort();
    expect([...email.reached.keys()].sort()).toEqual(sent);
    expect([...teams.reached.keys()].sort()).toEqual(sent);
    const wellFormedEmail = r.acs.messages.find((message) => message.plainText?.includes(`Session id: ${wellFormedSession}`))?.plainText ?? "";
    expect(wellFormedEmail).toContain("- Adele Vance\n    AdeleV@contoso.com\n    restored to: Restored-Adele https://outlook.office.com/mail/restored\n");
    expect(wellFormedEmail).toContain("- EXO-Bulk\n    status completedWithErrors · named 3 mailboxes\n");
    const messagesSent = r.acs.messages.length;
    const postsSent = r.teams.posts.length;
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
    expect(r.acs.messages).toHaveLength(messagesSent);
    expect(r.teams.posts).toHaveLength(postsSent);
  });
});

import { randomUUID } from "node:crypto";
import { TableClient } from "@azure/data-tables";
import { describe, expect, it } from "vitest";
import type { Alert, BulkRequestIssue } from "../../shared/domain/alert";
import { DETAIL_CHUNK_CHARS, MAX_ARTIFACT_TEXT_CHARS, MAX_BULK_ISSUES } from "../../shared/domain/textBounds";
import { MAX_BULK_ISSUES_JSON_CHARS } from "../../shared/state/alertRow";
import { alertToEntity, entityToAlert, storableBulkIssues } from "../../shared/state/entities";
import { useAzurite } from "../support/useAzurite";

const SESSION = "0f3a8c2e-5b1d-4c7a-9e6f-2d8b4a1c7e90";

function alertWith(detail: Alert["detail"]): Alert {
  return {
    id: `${SESSION}_failed`,
    tenantId: "7e1a0c5d-3b1f-4f63-9d2a-0c6f5e8b4a11",
    kind: "status",
    status: "failed",
    session: { id: SESSION, workload: "exchange", status: "failed", restoreJobType: "bulk" },
    detail,
    recordedAt: "2026-07-14T11:05:00.000Z",
    runId: "20260714T110500-0a1b2c3d",
  };
}

/** Issues whose text is as long as a bulk request's may be, in the character JSON escapes most (six for one). */
function worstIssues(count: number, char = "\u0001"): BulkRequestIssue[] {
  return Array.from({ length: count }, (_, index) => ({
    id: `${index}`.padEnd(MAX_ARTIFACT_TEXT_CHARS.id, char),
    displayName: char.repeat(MAX_ARTIFACT_TEXT_CHARS.name),
    status: char.repeat(MAX_ARTIFACT_TEXT_CHARS.code),
    errorCode: char.repeat(MAX_ARTIFACT_TEXT_CHARS.code),
    errorMessage: char.repeat(MAX_ARTIFACT_TEXT_CHARS.message),
    requestedCount: 10_000,
  }));
}

describe("alertToEntity: the bulk requests of an alert row", () => {
  it("writes them as their own JSON property, and nothing when the alert has none", () => {
    const issue = { id: "r1", displayName: "EXO-Bulk", status: "completedWithErrors", requestedCount: 3 };
    const entity = alertToEntity(alertWith({ available: true, failedArtifacts: [], omittedCount: 0, bulkIssues: [issue] }), {});
    expect(JSON.parse(String(entity["bulkIssues"]))).toEqual([issue]);
    expect(alertToEntity(alertWith({ available: true, failedArtifacts: [], omittedCount: 0 }), {})).not.toHaveProperty("bulkIssues");
    expect(alertToEntity(alertWith({ available: false, reason: "x" }), {})).not.toHaveProperty("bulkIssues");
  });

  it("keeps requests within bounds as they are", () => {
    const issues = [{ id: "r1", displayName: "d".repeat(MAX_ARTIFACT_TEXT_CHARS.name), errorMessage: "m".repeat(MAX_ARTIFACT_TEXT_CHARS.message) }, { id: "r2" }];
    expect(storableBulkIssues(issues)).toEqual(issues);
  });

  it("keeps at most MAX_BULK_ISSUES, each text within its bound, a count only when it is one", () => {
    const issues = Array.from({ length: MAX_BULK_ISSUES + 5 }, (_, index) => ({ id: `r${index}`, errorCode: "c".repeat(MAX_ARTIFACT_TEXT_CHARS.code + 50), requestedCount: index === 0 ? -1 : index }));
    const kept = storableBulkIssues(issues);
    expect(kept).toHaveLength(MAX_BULK_ISSUES);
    expect(kept[0]).toEqual({ id: "r0", errorCode: `${"c".repeat(MAX_ARTIFACT_TEXT_CHARS.code - 1)}…` });
    expect(kept[1]?.requestedCount).toBe(1);
  });

  it("cuts pathological text until the list fits one string property, and the row reads back", () => {
    for (const count of [1, 5, MAX_BULK_ISSUES]) {
      const kept = storableBulkIssues(worstIssues(count));
      expect(JSON.stringify(kept).length).toBeLessThanOrEqual(MAX_BULK_ISSUES_JSON_CHARS);
      expect(kept.length).toBeGreaterThan(0);
      const entity = alertToEntity(alertWith({ available: true, failedArtifacts: [], omittedCount: 0, bulkIssues: worstIssues(count) }), {});
      const read = entityToAlert(JSON.parse(JSON.stringify({ ...entity, etag: "W/x" })) as Record<string, unknown>);
      expect(read.ok && read.value.alert.detail).toEqual({ available: true, failedArtifacts: [], omittedCount: 0, bulkIssues: kept });
    }
  });
});

describe("alert rows in Table Storage (Azurite)", () => {
  const azurite = useAzurite();

  it("the largest row restorewatch writes (12 detail chunks, the longest bulk property) is stored and reads back equal", async () => {
    const table = TableClient.fromConnectionString(azurite.connectionString, `rw${randomUUID().replace(/-/g, "").slice(0, 20)}`, { allowInsecureConnection: true });
    await table.createTable();
    // Failed artifacts with every new field, as many as 12 chunks of detail JSON hold.
    const artifact = {
      kind: "site" as const,
      name: "Ä".repeat(400),
      siteId: "contoso.sharepoint.com,1,2",
      webUrl: `https://contoso.sharepoint.com/sites/${"x".repeat(1000)}`,
      itemPath: "/p".repeat(500),
      restoredTo: "r".repeat(300),
      restoredToUrl: "https://contoso.sharepoint.com/sites/restored",
      errorMessage: "m".repeat(1500),
    };
    const size = JSON.stringify({ id: "artifact-0000", ...artifact }).length + 1;
    const count = Math.floor((DETAIL_CHUNK_CHARS * 12 - 2) / size);
    const failedArtifacts = Array.from({ length: count }, (_, index) => ({ id: `artifact-${String(index).padStart(4, "0")}`, ...artifact }));
    const alert = alertWith({ available: true, failedArtifacts, omittedCount: 7, bulkIssues: storableBulkIssues(worstIssues(MAX_BULK_ISSUES, '"')) });
    const entity = alertToEntity(alert, { email: { state: "pending", attempts: 0 } });
    expect(Object.keys(entity).filter((key) => key.startsWith("detail") && key !== "detailAvailable")).toHaveLength(12);
    expect(String(entity["bulkIssues"]).length).toBeGreaterThan(MAX_BULK_ISSUES_JSON_CHARS * 0.9);

    // As the state store writes alerts: in a transaction. (Azurite 3.37 decodes a single-entity insert's
    // body chunk by chunk, which corrupts a multi-byte character split between two network chunks.)
    await table.submitTransaction([["create", entity]]);
    const stored = await table.getEntity<Record<string, unknown>>(entity.partitionKey, entity.rowKey);
    const read = entityToAlert(stored);
    expect(read.ok ? read.value.alert : read.reason).toEqual(alert);
    await table.deleteTable();
  });
});

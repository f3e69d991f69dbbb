import { describe, expect, it } from "vitest";
import type { Alert, FailedArtifact } from "../../shared/domain/alert";
import { MAX_ARTIFACT_TEXT_CHARS, MAX_BULK_ISSUES } from "../../shared/domain/textBounds";
import { MAX_BULK_ISSUES_JSON_CHARS, readAlert } from "../../shared/state/alertRow";
import { alertToEntity, entityToAlert } from "../../shared/state/entities";

const TENANT = "7e1a0c5d-3b1f-4f63-9d2a-0c6f5e8b4a11";
const SESSION = "0f3a8c2e-5b1d-4c7a-9e6f-2d8b4a1c7e90";
const PENDING = { email: { state: "pending", attempts: 0 } } as const;

/** A failed artifact with every field this version knows. */
const NAMED: FailedArtifact = {
  id: "artifact-1",
  kind: "drive",
  name: "Adele Vance",
  address: "AdeleV@contoso.com",
  objectId: "6c3d2a2d-5b1e-4f7a-9c0d-3e8f1a2b4c6d",
  siteId: "contoso-my.sharepoint.com,1,2",
  webUrl: "https://contoso-my.sharepoint.com/personal/adelev/Documents/Q3.xlsx",
  itemPath: "/Documents/Q3.xlsx",
  restoredTo: "Restored-Adele",
  restoredToUrl: "https://contoso-my.sharepoint.com/personal/adelev/Restored-Adele",
  unknownType: "#microsoft.graph.futureProtectionUnit",
  errorCode: "ArtifactCannotBeRestored",
  errorMessage: "Locked.",
  restorePointDateTime: "2026-07-13T02:00:00Z",
  destinationType: "new",
};

function alertWith(detail: Alert["detail"], session: Partial<Alert["session"]> = {}): Alert {
  return {
    id: `${SESSION}_failed`,
    tenantId: TENANT,
    kind: "status",
    status: "failed",
    session: { id: SESSION, workload: "oneDrive", status: "failed", artifactCount: { total: 3, completed: 2, inProgress: 0, failed: 1 }, ...session },
    detail,
    recordedAt: "2026-07-14T11:05:00.000Z",
    runId: "20260714T110500-0a1b2c3d",
  };
}

/** The row as Table Storage gives it back: JSON, with an etag. */
function stored(row: object): Record<string, unknown> {
  return JSON.parse(JSON.stringify({ ...row, etag: "W/x" })) as Record<string, unknown>;
}

function readBack(row: Record<string, unknown>) {
  const read = entityToAlert(row);
  return read.ok ? { ok: true as const, alert: read.value.alert } : { ok: false as const, reason: read.reason };
}

describe("alert rows with names, bulk requests and unknowns", () => {
  it("every new field of a failed artifact and every bulk request reads back equal", () => {
    const alert = alertWith({
      available: true,
      failedArtifacts: [NAMED, { id: "artifact-2", kind: "site", siteId: "contoso.sharepoint.com,3,4" }, { id: "artifact-3", kind: "unknown", unknownType: "#microsoft.graph.x" }],
      omittedCount: 2,
      bulkIssues: [{ id: "r1", displayName: "EXO-Bulk", status: "completedWithErrors", errorCode: "BulkRestoreInvalidCreateRequestUserEmail", errorMessage: "nobody@contoso.com", requestedCount: 3 }, { id: "r2" }],
    });
    const row = stored(alertToEntity(alert, PENDING));
    expect(typeof row["bulkIssues"]).toBe("string");
    expect(readBack(row)).toStrictEqual({ ok: true, alert });
  });

  it("an unknown session type with its @odata.type, and counters Graph left out, read back as they were", () => {
    const alert = alertWith({ available: true, failedArtifacts: [], omittedCount: 0 }, { workload: "unknown", odataType: "#microsoft.graph.teamsRestoreSession", artifactCount: { total: 4 } });
    expect(readBack(stored(alertToEntity(alert, PENDING)))).toStrictEqual({ ok: true, alert });
    const noCounters = alertWith({ available: true, failedArtifacts: [], omittedCount: 0 }, { artifactCount: {} });
    expect(readBack(stored(alertToEntity(noCounters, PENDING)))).toStrictEqual({ ok: true, alert: noCounters });
  });

  it("reads a row written before this change (no new field, all four counters) back unchanged", () => {
    // As the previous version wrote it, property by property.
    const row = {
      partitionKey: TENANT,
      rowKey: `alert_${SESSION}_failed`,
      kind: "status",
      status: "failed",
      sessionId: SESSION,
      runId: "20260714T110500-0a1b2c3d",
      recordedAt: "2026-07-14T11:05:00.000Z",
      pending: true,
      session: `{"id":"${SESSION}","workload":"exchange","status":"failed","createdBy":"Megan Bowen","createdDateTime":"2026-07-14T09:15:00Z","artifactCount":{"total":5,"completed":2,"inProgress":0,"failed":3}}`,
      deliveries: `{"email":{"state":"pending","attempts":0}}`,
      detailAvailable: true,
      omittedCount: 0,
      detail0: `[{"id":"a1","name":"Restored-Inbox","errorCode":"ArtifactNotFound","errorMessage":"Not found.","restorePointDateTime":"2026-07-13T02:00:00Z","destinationType":"new"},{"id":"a2","name":"HR","webUrl":"https://contoso.sharepoint.com/sites/hr"}]`,
      etag: "W/x",
    };
    expect(readBack(row)).toStrictEqual({
      ok: true,
      alert: {
        id: `${SESSION}_failed`,
        tenantId: TENANT,
        kind: "status",
        status: "failed",
        session: { id: SESSION, workload: "exchange", status: "failed", createdBy: "Megan Bowen", createdDateTime: "2026-07-14T09:15:00Z", artifactCount: { total: 5, completed: 2, inProgress: 0, failed: 3 } },
        detail: {
          available: true,
          failedArtifacts: [
            { id: "a1", name: "Restored-Inbox", errorCode: "ArtifactNotFound", errorMessage: "Not found.", restorePointDateTime: "2026-07-13T02:00:00Z", destinationType: "new" },
            { id: "a2", name: "HR", webUrl: "https://contoso.sharepoint.com/sites/hr" },
          ],
          omittedCount: 0,
        },
        recordedAt: "2026-07-14T11:05:00.000Z",
        runId: "20260714T110500-0a1b2c3d",
      },
    });
  });

  it("accepts each field at its bound", () => {
    const atBound: FailedArtifact = {
      id: "i".repeat(MAX_ARTIFACT_TEXT_CHARS.id),
      name: "n".repeat(MAX_ARTIFACT_TEXT_CHARS.name),
      address: "a".repeat(MAX_ARTIFACT_TEXT_CHARS.address),
      objectId: "o".repeat(MAX_ARTIFACT_TEXT_CHARS.id),
      siteId: "s".repeat(MAX_ARTIFACT_TEXT_CHARS.id),
      webUrl: `https://${"w".repeat(MAX_ARTIFACT_TEXT_CHARS.url - 8)}`,
      itemPath: "p".repeat(MAX_ARTIFACT_TEXT_CHARS.path),
      restoredTo: "r".repeat(MAX_ARTIFACT_TEXT_CHARS.name),
      restoredToUrl: `HTTPS://${"u".repeat(MAX_ARTIFACT_TEXT_CHARS.url - 8)}`,
      unknownType: "t".repeat(MAX_ARTIFACT_TEXT_CHARS.type),
      errorCode: "c".repeat(MAX_ARTIFACT_TEXT_CHARS.code),
      errorMessage: "m".repeat(MAX_ARTIFACT_TEXT_CHARS.message),
    };
    const issues = Array.from({ length: MAX_BULK_ISSUES }, (_, index) => ({ id: `r${index}`, displayName: "d".repeat(MAX_ARTIFACT_TEXT_CHARS.name), errorMessage: "m".repeat(800) }));
    const alert = alertWith({ available: true, failedArtifacts: [atBound], omittedCount: 0, bulkIssues: issues }, { odataType: "t".repeat(MAX_ARTIFACT_TEXT_CHARS.type) });
    expect(readBack(stored(alertToEntity(alert, PENDING)))).toStrictEqual({ ok: true, alert });
  });
});

/** A row for the alert of alertWith with one change made after it was written. */
function tampered(change: (row: Record<string, unknown>) => void, detail: Alert["detail"] = { available: true, failedArtifacts: [NAMED], omittedCount: 0, bulkIssues: [{ id: "r1" }] }): Record<string, unknown> {
  const row = stored(alertToEntity(alertWith(detail), PENDING));
  change(row);
  return row;
}

const artifactWith = (fields: Record<string, unknown>) => (row: Record<string, unknown>) => void (row["detail0"] = JSON.stringify([{ ...NAMED, ...fields }]));
const bulkWith = (issues: unknown) => (row: Record<string, unknown>) => void (row["bulkIssues"] = typeof issues === "string" ? issues : JSON.stringify(issues));
const sessionWith = (fields: Record<string, unknown>) => (row: Record<string, unknown>) =>
  void (row["session"] = JSON.stringify({ ...(JSON.parse(String(row["session"])) as object), ...fields }));
const over = (key: keyof typeof MAX_ARTIFACT_TEXT_CHARS) => "x".repeat(MAX_ARTIFACT_TEXT_CHARS[key] + 1);

const REFUSED: readonly [string, (row: Record<string, unknown>) => void, string][] = [
  ["an artifact kind restorewatch does not write", artifactWith({ kind: "folder" }), "detail[0].kind: is not a known value"],
  ["a restored-to link that is no https URL", artifactWith({ restoredToUrl: "javascript:alert(1)" }), "detail[0].restoredToUrl: is not an https URL"],
  ["a plain http link", artifactWith({ webUrl: "http://contoso.sharepoint.com/sites/hr" }), "detail[0].webUrl: is not an https URL"],
  ["an over-long restored-to link", artifactWith({ restoredToUrl: `https://${over("url")}` }), `detail[0].restoredToUrl: is longer than ${MAX_ARTIFACT_TEXT_CHARS.url} characters`],
  ["an over-long item path", artifactWith({ itemPath: over("path") }), `detail[0].itemPath: is longer than ${MAX_ARTIFACT_TEXT_CHARS.path} characters`],
  ["an over-long address", artifactWith({ address: over("address") }), `detail[0].address: is longer than ${MAX_ARTIFACT_TEXT_CHARS.address} characters`],
  ["an over-long object id", artifactWith({ objectId: over("id") }), `detail[0].objectId: is longer than ${MAX_ARTIFACT_TEXT_CHARS.id} characters`],
  ["an over-long site id", artifactWith({ siteId: over("id") }), `detail[0].siteId: is longer than ${MAX_ARTIFACT_TEXT_CHARS.id} characters`],
  ["an over-long restored-to name", artifactWith({ restoredTo: over("name") }), `detail[0].restoredTo: is longer than ${MAX_ARTIFACT_TEXT_CHARS.name} characters`],
  ["an over-long unknown type", artifactWith({ unknownType: over("type") }), `detail[0].unknownType: is longer than ${MAX_ARTIFACT_TEXT_CHARS.type} characters`],
  ["an object id that is no string", artifactWith({ objectId: 42 }), "detail[0].objectId: expected a string, got number"],
  ["bulk requests that are no JSON", bulkWith("[{"), "bulkIssues: is not JSON"],
  ["bulk requests that are no list", bulkWith({ id: "r1" }), "bulkIssues: is not a list"],
  ["more bulk requests than restorewatch keeps", bulkWith(Array.from({ length: MAX_BULK_ISSUES + 1 }, (_, index) => ({ id: `r${index}` }))), `bulkIssues: lists more than ${MAX_BULK_ISSUES} requests`],
  ["a bulk request without an id", bulkWith([{ displayName: "x" }]), "bulkIssues[0].id: is missing"],
  ["an over-long bulk request message", bulkWith([{ id: "r1", errorMessage: over("message") }]), `bulkIssues[0].errorMessage: is longer than ${MAX_ARTIFACT_TEXT_CHARS.message} characters`],
  ["an over-long bulk request name", bulkWith([{ id: "r1", displayName: over("name") }]), `bulkIssues[0].displayName: is longer than ${MAX_ARTIFACT_TEXT_CHARS.name} characters`],
  ["a requested count that is no count", bulkWith([{ id: "r1", requestedCount: -1 }]), "bulkIssues[0].requestedCount: expected a count (a whole number, 0 or more), got -1"],
  ["a bulk property longer than one string property holds", bulkWith(`[${" ".repeat(MAX_BULK_ISSUES_JSON_CHARS)}]`), `bulkIssues: is longer than ${MAX_BULK_ISSUES_JSON_CHARS} characters`],
  ["a session type restorewatch does not know by name", sessionWith({ workload: "teams" }), "session.workload: is not a known value"],
  ["an over-long @odata.type", sessionWith({ workload: "unknown", odataType: over("type") }), `session.odataType: is longer than ${MAX_ARTIFACT_TEXT_CHARS.type} characters`],
  ["a counter that is no count", sessionWith({ artifactCount: { total: 3, failed: 1.5 } }), "session.artifactCount.failed: expected a count (a whole number, 0 or more), got 1.5"],
];

describe("re-validation of the new fields", () => {
  it.each(REFUSED)("refuses %s", (_name, change, reason) => {
    const read = readAlert(tampered(change), `${SESSION}_failed`);
    expect(read).toMatchObject({ ok: false, reason });
  });

  it("refuses bulk requests on an alert whose failure detail is unavailable", () => {
    const row = tampered((r) => void (r["bulkIssues"] = "[]"), { available: false, reason: "Graph answered 403" });
    expect(readAlert(row, `${SESSION}_failed`)).toMatchObject({ ok: false, reason: "bulkIssues: is set on an alert without failure detail" });
  });

  it("the untampered rows these are made from are accepted (control)", () => {
    expect(readAlert(tampered(() => undefined), `${SESSION}_failed`)).toMatchObject({ ok: true });
    expect(readAlert(tampered(() => undefined, { available: false, reason: "x" }), `${SESSION}_failed`)).toMatchObject({ ok: true });
  });
});

import { describe, expect, it } from "vitest";
import { diagnose } from "../../shared/alerts/healthNotice";
import { readTokenClaims } from "../../shared/graph/graphClient";
import { RestoreAccessDeniedError, isRestoreApiPath, restoreAccessFix, type GraphPrincipal } from "../../shared/graph/restoreAccessDenied";
import { TokenIssuer } from "../../local/emulators/tokens";

const OBJECT_ID = "a3c9e1f2-7b4d-4e6a-9c1b-2d8f0e5a7b63";
const APP_ID = "3f2a9c1e-8b7d-4e6f-a5c4-1d2e3f4a5b6c";

describe("the restore APIs' 403: one wording for the run's error and the health notice", () => {
  it("names the managed identity refused, the permission, the grant command with its object id, and the controller way out", () => {
    const fix = restoreAccessFix({ kind: "managedIdentity", objectId: OBJECT_ID, appId: APP_ID });
    expect(fix).toContain(`refused restorewatch's managed identity (object id ${OBJECT_ID}, client id ${APP_ID})`);
    expect(fix).toContain(`BackupRestore-Restore.Read.All: restorewatch grant-graph-permission --principal-id ${OBJECT_ID},`);
    expect(fix).toContain("may accept only the tenant's registered Backup Storage controller app: run restorewatch as an app registration (GRAPH_CLIENT_ID, see infra/README.md)");
  });

  it("names the app registration refused, by app id and service principal, and offers --app-id", () => {
    const fix = restoreAccessFix({ kind: "appRegistration", objectId: OBJECT_ID, appId: APP_ID });
    expect(fix).toContain(`refused restorewatch's app registration (service principal object id ${OBJECT_ID}, app id ${APP_ID})`);
    expect(fix).toContain(`restorewatch grant-graph-permission --principal-id ${OBJECT_ID} (or --app-id ${APP_ID})`);
    expect(fix).toContain(`register this app registration (GRAPH_CLIENT_ID ${APP_ID}) as the tenant's Backup Storage controller, see infra/README.md`);
    expect(fix).not.toContain("run restorewatch as an app registration");
  });

  it("without claims still says what to grant, with a placeholder", () => {
    expect(restoreAccessFix(undefined)).toMatch(/refused restorewatch's identity\. .*BackupRestore-Restore\.Read\.All: restorewatch grant-graph-permission --principal-id <objectId>,.*controller/);
    expect(restoreAccessFix({ kind: "managedIdentity" })).toContain("(object id unknown)");
  });

  it("the health notice shows the error's refusal as its cause and the same fix", () => {
    const principal: GraphPrincipal = { kind: "appRegistration", objectId: OBJECT_ID, appId: APP_ID };
    const error = new RestoreAccessDeniedError("Graph answered 403 Forbidden for /v1.0/solutions/backupRestore/restoreSessions: Not allowed.", restoreAccessFix(principal), principal, "Forbidden", "https://graph.microsoft.com/v1.0/solutions/backupRestore/restoreSessions");
    expect(error.message).toBe(`Graph answered 403 Forbidden for /v1.0/solutions/backupRestore/restoreSessions: Not allowed. ${restoreAccessFix(principal)}`);
    expect(error).toMatchObject({ status: 403, isAuthFailure: true, name: "RestoreAccessDeniedError" });
    expect(diagnose(error)).toEqual({ cause: "Graph answered 403 Forbidden for /v1.0/solutions/backupRestore/restoreSessions: Not allowed.", fix: restoreAccessFix(principal) });
  });

  it("applies to the restore APIs only", () => {
    expect(isRestoreApiPath("/v1.0/solutions/backupRestore/restoreSessions")).toBe(true);
    expect(isRestoreApiPath("/beta/solutions/backupRestore/exchangeRestoreSessions/x/mailboxRestoreArtifacts")).toBe(true);
    expect(isRestoreApiPath("/v1.0/servicePrincipals")).toBe(false);
    expect(isRestoreApiPath("/v1.0/solutions/backupRestoreX")).toBe(false);
  });
});

describe("readTokenClaims", () => {
  it("reads tid, oid and appid (or v2's azp) without verifying; anything else yields nothing", () => {
    const { token } = new TokenIssuer().issue({ tenantId: "t1", objectId: OBJECT_ID, appId: APP_ID });
    expect(readTokenClaims(token)).toEqual({ tid: "t1", oid: OBJECT_ID, appid: APP_ID });
    const v2 = `e30.${Buffer.from(JSON.stringify({ azp: APP_ID, oid: 7 })).toString("base64url")}.sig`;
    expect(readTokenClaims(v2)).toEqual({ appid: APP_ID });
    expect(readTokenClaims("opaque")).toEqual({});
    expect(readTokenClaims(`e30.${Buffer.from("null").toString("base64url")}.x`)).toEqual({});
  });
});

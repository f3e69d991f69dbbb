import { RestError } from "@azure/core-rest-pipeline";
import { describe, expect, it } from "vitest";
import { diagnose, renderHealthEmail, renderHealthTeamsMessage, type HealthNotice } from "../../shared/alerts/healthNotice";
import { TEAMS_CARD_BUDGET_BYTES } from "../../shared/alerts/renderTeamsCard";
import { ConfigError, GraphRequestError } from "../../shared/domain/errors";
import { teamsMessageProblems } from "./adaptiveCardCheck";

const hostile = `<script>alert(1)</script> [click](https://evil.example) {{DATE(2026-01-01T00:00:00Z)}} ${"x".repeat(5000)}`;
const notice: HealthNotice = {
  kind: "unhealthy",
  tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47",
  consecutiveFailures: 3,
  lastSuccessAt: "2026-11-28T09:00:00.000Z",
  at: "2026-11-28T09:15:00.000Z",
  cause: hostile,
  fix: "Grant the application permission BackupRestore-Restore.Read.All",
};

describe("health notices", () => {
  it("tells the operator what to do for each kind of failure", () => {
    expect(diagnose(new GraphRequestError("Forbidden", 403, "Forbidden", "")).fix).toMatch(/BackupRestore-Restore\.Read\.All.*grant-graph-permission/);
    expect(diagnose(new GraphRequestError("expired", 401, "InvalidAuthenticationToken", "")).fix).toMatch(/managed identity/);
    expect(diagnose(new GraphRequestError("unreachable", undefined, undefined, "")).fix).toMatch(/temporary/);
    expect(diagnose(new RestError("AuthorizationFailure", { statusCode: 403 })).fix).toMatch(/Storage Table Data Contributor/);
    expect(diagnose(new ConfigError("GRAPH_ENDPOINT", "must be https")).fix).toMatch(/GRAPH_ENDPOINT/);
  });

  it("escapes the cause in the email and keeps it readable as text", () => {
    const email = renderHealthEmail(notice);
    expect(email.subject).toBe("[restorewatch] restorewatch cannot see your restore sessions (3 failed runs)");
    expect(email.html).not.toMatch(/<script/i);
    expect(email.html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(email.plainText).toContain("What to do: Grant the application permission BackupRestore-Restore.Read.All");
    expect(renderHealthEmail({ ...notice, kind: "recovered" }).subject).toBe("[restorewatch] restorewatch can see your restore sessions again");
  });

  it("renders an Adaptive Card that parses cleanly, within the size budget, for both kinds", () => {
    for (const kind of ["unhealthy", "recovered"] as const) {
      const message = renderHealthTeamsMessage({ ...notice, kind });
      expect(teamsMessageProblems(message.body)).toEqual([]);
      expect(message.bytes).toBeLessThan(TEAMS_CARD_BUDGET_BYTES);
      expect(JSON.stringify(message.body)).not.toContain("<script>");
    }
  });
});

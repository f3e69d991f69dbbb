import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { afterEach, describe, expect, it } from "vitest";
import { AppInsightsEmulator, MONITOR_AUDIENCE } from "../../local/emulators/appInsightsEmulator";
import { GRAPH_AUDIENCE } from "../../local/emulators/tokens";
import { loadTestTls } from "../../local/emulators/tls";
import { runCli } from "../../shared/cli/main";
import { READ_ROLE, startHarness } from "../support/pipelineHarness";
import { useAzurite } from "../support/useAzurite";

/** `restorewatch poll` emits the same records as the timer function, when the settings name Application Insights. */
const azurite = useAzurite();
const running: { stop(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const part of running.splice(0).reverse()) await part.stop();
});

describe("restorewatch poll with APPLICATIONINSIGHTS_CONNECTION_STRING", () => {
  it("sends a run record per poll, and the alert and delivery records, tagged as the CLI's operation", async () => {
    const h = await startHarness(azurite);
    running.push(h);
    const ai = await AppInsightsEmulator.start({ tls: loadTestTls(), issuer: h.issuer });
    running.push(ai);
    const outboxDir = mkdtempSync(path.join(tmpdir(), "rw-cli-telemetry-"));
    running.push({ stop: () => rmSync(outboxDir, { recursive: true, force: true }) });
    // One credential, as the managed identity: a token for whichever resource is asked for.
    const credential: TokenCredential = {
      async getToken(scopes): Promise<AccessToken> {
        const scope = Array.isArray(scopes) ? String(scopes[0]) : String(scopes);
        const { token, claims } = h.issuer.issue({ audience: scope.startsWith(MONITOR_AUDIENCE) ? MONITOR_AUDIENCE : GRAPH_AUDIENCE, roles: [READ_ROLE] });
        return { token, expiresOnTimestamp: claims.exp * 1000 };
      },
    };
    const env = { ...h.env, ALERT_OUTBOX_DIR: outboxDir, APPLICATIONINSIGHTS_CONNECTION_STRING: ai.connectionString, APPLICATIONINSIGHTS_AUTHENTICATION_STRING: "Authorization=AAD" };
    const processEnv = { ...env, RESTOREWATCH_EMULATOR_ORIGINS: [h.graph.url, ai.origin].join(",") };
    const poll = async (): Promise<number> => runCli(["poll", "--once"], { out: () => undefined, err: () => undefined, env, processEnv, credential });

    expect(await poll()).toBe(0);
    const session = h.graph.createSession({ workload: "oneDrive", status: "failed", artifacts: [{ id: "d-1", status: "failed", error: { code: "ArtifactNotFound", message: "Gone." } }] });
    expect(await poll()).toBe(0);

    const events = ai.rows.filter((r) => r.table === "customEvents");
    expect(events.map((r) => r.name)).toEqual(["RestorewatchRun", "RestorewatchAlert", "RestorewatchDelivery", "RestorewatchRun"]);
    expect(events.map((r) => r.customDimensions["baseline"]).filter(Boolean)).toEqual(["true", "false"]);
    expect(events[2]?.customDimensions).toMatchObject({ sessionId: session.id, channel: "file", outcome: "delivered", attempt: "1" });
    expect(new Set(ai.rows.map((r) => r.operation_Name))).toEqual(new Set(["restorewatch poll"]));
    // One request per poll, two operations.
    expect(ai.requests.map((r) => r.path)).toEqual(["/v2.1/track", "/v2.1/track"]);
    expect(new Set(ai.rows.map((r) => r.operation_Id)).size).toBe(2);
  });
});

import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import { createAppCredential } from "../../shared/identity/credentials";
import { runPoll } from "../../shared/pipeline/poll";
import { ManagedIdentityEndpoint } from "../../local/emulators/managedIdentityEndpoint";
import { TEST_TENANT_ID } from "../../local/emulators/tokens";
import { useAzurite } from "../support/useAzurite";
import { READ_ROLE, startHarness } from "../support/pipelineHarness";

const azurite = useAzurite();

it("authenticates to Graph with the user-assigned managed identity through IDENTITY_ENDPOINT, as App Service provides it", async () => {
  const harness = await startHarness(azurite);
  const clientId = randomUUID();
  const identity = await ManagedIdentityEndpoint.start({ issuer: harness.issuer, roles: [READ_ROLE], clientId });
  const saved = { endpoint: process.env["IDENTITY_ENDPOINT"], header: process.env["IDENTITY_HEADER"] };
  process.env["IDENTITY_ENDPOINT"] = identity.endpoint;
  process.env["IDENTITY_HEADER"] = identity.secret;
  try {
    // The same credential the function builds from AZURE_CLIENT_ID.
    const credential = createAppCredential(clientId);
    harness.graph.createSession({ workload: "exchange", status: "completed", artifacts: [] });
    const summary = await runPoll(harness.deps({ credential }));
    expect(summary.tenantId).toBe(TEST_TENANT_ID);
    expect(identity.requests.length).toBeGreaterThanOrEqual(1);
    expect(identity.requests[0]).toMatchObject({ resource: "https://graph.microsoft.com", clientId, headerOk: true });
    // Graph received (and verified) exactly the token the identity endpoint issued.
    const graphRequests = harness.graph.requests;
    expect(graphRequests.length).toBeGreaterThan(0);
    expect(graphRequests.every((r) => r.authorized)).toBe(true);
    expect(harness.issuer.issued.some((claims) => claims.roles?.includes(READ_ROLE) && claims.tid === TEST_TENANT_ID)).toBe(true);
  } finally {
    restore("IDENTITY_ENDPOINT", saved.endpoint);
    restore("IDENTITY_HEADER", saved.header);
    await identity.stop();
    await harness.stop();
  }
});

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

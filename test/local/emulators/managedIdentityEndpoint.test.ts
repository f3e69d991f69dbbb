import { ManagedIdentityCredential } from "@azure/identity";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ManagedIdentityEndpoint } from "../../../local/emulators/managedIdentityEndpoint";
import { GRAPH_AUDIENCE, TOKEN_EXCHANGE_APP_ID, TOKEN_EXCHANGE_AUDIENCE, TokenIssuer } from "../../../local/emulators/tokens";

const READ = "BackupRestore-Restore.Read.All";
const issuer = new TokenIssuer();
const running: ManagedIdentityEndpoint[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.stop()));
});

async function start(options: Partial<Parameters<typeof ManagedIdentityEndpoint.start>[0]> = {}): Promise<ManagedIdentityEndpoint> {
  const endpoint = await ManagedIdentityEndpoint.start({ issuer, ...options });
  running.push(endpoint);
  return endpoint;
}

/** A token request as MSAL's App Service source sends it. */
function request(endpoint: ManagedIdentityEndpoint, params: Record<string, string>, secret: string | null = endpoint.secret): Promise<Response> {
  const url = new URL(endpoint.endpoint);
  for (const [key, value] of Object.entries({ "api-version": "2019-08-01", ...params })) url.searchParams.set(key, value);
  return fetch(url, { headers: secret === null ? {} : { "X-IDENTITY-HEADER": secret } });
}

interface TokenResponse {
  access_token: string;
  expires_on: string;
  resource: string;
  token_type: string;
  client_id: string;
}

describe("ManagedIdentityEndpoint (HTTP)", () => {
  it("issues a Graph token in the App Service 2019-08-01 shape", async () => {
    const clientId = crypto.randomUUID();
    const objectId = crypto.randomUUID();
    const endpoint = await start({ clientId, objectId, roles: [READ], tenantId: "11111111-2222-3333-4444-555555555555" });
    expect(endpoint.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/msi\/token$/);

    const response = await request(endpoint, { resource: GRAPH_AUDIENCE, client_id: clientId });
    expect(response.status).toBe(200);
    const body = (await response.json()) as TokenResponse;
    expect(body).toEqual({ access_token: expect.any(String), expires_on: expect.stringMatching(/^\d+$/), resource: GRAPH_AUDIENCE, token_type: "Bearer", client_id: clientId });

    const verified = issuer.verify(body.access_token);
    expect(verified).toMatchObject({ ok: true, claims: { aud: GRAPH_AUDIENCE, tid: "11111111-2222-3333-4444-555555555555", oid: objectId, roles: [READ] } });
    expect(verified.ok && verified.claims.exp).toBe(Number(body.expires_on));
    expect(endpoint.requests).toEqual([{ resource: GRAPH_AUDIENCE, clientId, headerOk: true }]);
  });

  it("issues the token-exchange assertion a federated identity credential trusts: iss = home tenant's v2 issuer, sub = object id, aud = the exchange app id", async () => {
    const clientId = crypto.randomUUID();
    const objectId = crypto.randomUUID();
    const home = "11111111-2222-3333-4444-555555555555";
    const endpoint = await start({ clientId, objectId, roles: [READ], tenantId: home });

    const response = await request(endpoint, { resource: TOKEN_EXCHANGE_AUDIENCE, client_id: clientId });
    expect(response.status).toBe(200);
    const body = (await response.json()) as TokenResponse;
    expect(body).toMatchObject({ resource: TOKEN_EXCHANGE_AUDIENCE, token_type: "Bearer", client_id: clientId });
    const verified = issuer.verify(body.access_token);
    if (!verified.ok) throw new Error(verified.reason);
    expect(verified.claims).toMatchObject({ iss: `https://login.microsoftonline.com/${home}/v2.0`, sub: objectId, aud: TOKEN_EXCHANGE_APP_ID, tid: home, oid: objectId, appid: clientId });
    // An assertion is not an access token for an API: no app roles in it.
    expect(verified.claims.roles).toBeUndefined();

    const uriForm = await start({ clientId, objectId, assertionAudience: "uri" });
    const uriBody = (await (await request(uriForm, { resource: `${TOKEN_EXCHANGE_AUDIENCE}/.default`, client_id: clientId })).json()) as TokenResponse;
    expect(issuer.verify(uriBody.access_token)).toMatchObject({ ok: true, claims: { aud: TOKEN_EXCHANGE_AUDIENCE, sub: objectId } });
  });

  it("puts the identity's client id in appid, as real managed identity tokens carry it", async () => {
    const clientId = crypto.randomUUID();
    const endpoint = await start({ clientId });
    const body = (await (await request(endpoint, { resource: GRAPH_AUDIENCE, client_id: clientId })).json()) as TokenResponse;
    expect(issuer.verify(body.access_token)).toMatchObject({ ok: true, claims: { appid: clientId, oid: endpoint.objectId } });
  });

  it("strips a trailing /.default from the resource", async () => {
    const endpoint = await start();
    const body = (await (await request(endpoint, { resource: `${GRAPH_AUDIENCE}/.default` })).json()) as TokenResponse;
    expect(body.resource).toBe(GRAPH_AUDIENCE);
    expect(issuer.verify(body.access_token)).toMatchObject({ ok: true, claims: { aud: GRAPH_AUDIENCE } });
  });

  it("refuses a missing (400) or wrong (401) X-IDENTITY-HEADER", async () => {
    const endpoint = await start();
    const missing = await request(endpoint, { resource: GRAPH_AUDIENCE }, null);
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ statusCode: 400, message: expect.stringMatching(/X-IDENTITY-HEADER/) });
    expect((await request(endpoint, { resource: GRAPH_AUDIENCE }, "guess")).status).toBe(401);
    expect(endpoint.requests.map((r) => r.headerOk)).toEqual([false, false]);
  });

  it("refuses another api-version, a missing resource and unknown paths", async () => {
    const endpoint = await start();
    expect((await request(endpoint, { resource: GRAPH_AUDIENCE, "api-version": "2017-09-01" })).status).toBe(400);
    expect((await request(endpoint, {})).status).toBe(400);
    expect((await fetch(endpoint.endpoint.replace("/msi/token", "/other"), { headers: { "X-IDENTITY-HEADER": endpoint.secret } })).status).toBe(404);
  });

  it("serves only the app's own identity", async () => {
    const clientId = crypto.randomUUID();
    const objectId = crypto.randomUUID();
    const userAssigned = await start({ clientId, objectId });
    expect((await request(userAssigned, { resource: GRAPH_AUDIENCE, client_id: crypto.randomUUID() })).status).toBe(400);
    expect((await request(userAssigned, { resource: GRAPH_AUDIENCE })).status).toBe(400); // no system-assigned identity
    expect((await request(userAssigned, { resource: GRAPH_AUDIENCE, object_id: objectId })).status).toBe(200);
    expect((await request(userAssigned, { resource: GRAPH_AUDIENCE, client_id: clientId.toUpperCase() })).status).toBe(200);

    const systemAssigned = await start();
    expect((await request(systemAssigned, { resource: GRAPH_AUDIENCE })).status).toBe(200);
    expect((await request(systemAssigned, { resource: GRAPH_AUDIENCE, client_id: clientId })).status).toBe(400);
  });

  it("puts the current roles into newly issued tokens", async () => {
    const endpoint = await start({ roles: [] });
    const rolesOf = async (): Promise<unknown> => {
      const body = (await (await request(endpoint, { resource: GRAPH_AUDIENCE })).json()) as TokenResponse;
      const verified = issuer.verify(body.access_token);
      return verified.ok ? verified.claims.roles : undefined;
    };
    expect(await rolesOf()).toEqual([]);
    endpoint.setRoles([READ, "BackupRestore-Configuration.Read.All"]);
    expect(await rolesOf()).toEqual([READ, "BackupRestore-Configuration.Read.All"]);
  });
});

/*
 * MSAL node keeps the managed identity source (with IDENTITY_ENDPOINT/IDENTITY_HEADER captured on the
 * first token request) and its token cache in statics, i.e. once per process. Vitest runs each test
 * file in its own process, so this file uses one endpoint for every MSAL-driven test, and each test
 * uses its own client id so the process-wide token cache cannot answer for it.
 */
describe("ManagedIdentityCredential from @azure/identity against the endpoint", () => {
  const clientId = crypto.randomUUID();
  const saved: Record<string, string | undefined> = {};
  const ENV = ["IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT", "MSI_ENDPOINT", "MSI_SECRET", "AZURE_FEDERATED_TOKEN_FILE"] as const;
  let endpoint: ManagedIdentityEndpoint;

  beforeAll(async () => {
    endpoint = await ManagedIdentityEndpoint.start({ issuer, clientId, roles: [READ] });
    for (const name of ENV) saved[name] = process.env[name];
    // Service Fabric (IDENTITY_SERVER_THUMBPRINT) and token exchange would win over App Service.
    for (const name of ENV) delete process.env[name];
    process.env["IDENTITY_ENDPOINT"] = endpoint.endpoint;
    process.env["IDENTITY_HEADER"] = endpoint.secret;
  });

  afterAll(async () => {
    for (const name of ENV) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
    await endpoint.stop();
  });

  it("gets a token the Graph audience accepts, requested with client_id as MSAL's App Service source sends it", async () => {
    const credential = new ManagedIdentityCredential({ clientId });
    const accessToken = await credential.getToken("https://graph.microsoft.com/.default");

    expect(issuer.verify(accessToken.token)).toMatchObject({ ok: true, claims: { aud: GRAPH_AUDIENCE, roles: [READ] } });
    expect(accessToken.expiresOnTimestamp).toBeGreaterThan(Date.now());
    expect(endpoint.requests).toEqual([{ resource: GRAPH_AUDIENCE, clientId, headerOk: true }]);

    // Another credential for the same identity is answered from MSAL's process-wide cache.
    await new ManagedIdentityCredential({ clientId }).getToken("https://graph.microsoft.com/.default");
    expect(endpoint.requests).toHaveLength(1);
  });

  it("gets the token-exchange assertion for scope api://AzureADTokenExchange/.default", async () => {
    const before = endpoint.requests.length;
    const assertion = await new ManagedIdentityCredential({ clientId }).getToken(`${TOKEN_EXCHANGE_AUDIENCE}/.default`);

    expect(endpoint.requests.slice(before)).toEqual([{ resource: TOKEN_EXCHANGE_AUDIENCE, clientId, headerOk: true }]);
    expect(issuer.verify(assertion.token)).toMatchObject({ ok: true, claims: { aud: TOKEN_EXCHANGE_APP_ID, sub: endpoint.objectId, appid: clientId } });
  });

  it("fails for an identity the app does not have", async () => {
    const before = endpoint.requests.length;
    const other = crypto.randomUUID();
    await expect(new ManagedIdentityCredential({ clientId: other }).getToken("https://graph.microsoft.com/.default")).rejects.toThrow(/No User Assigned/);
    expect(endpoint.requests.slice(before)).toEqual([{ resource: GRAPH_AUDIENCE, clientId: other, headerOk: true }]);
  });
});

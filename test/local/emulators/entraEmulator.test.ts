import { ClientAssertionCredential } from "@azure/identity";
import { afterEach, describe, expect, it } from "vitest";
import { loadTestTls } from "../../../local/emulators/tls";
import { EntraEmulator, type EntraEmulatorOptions } from "../../../local/emulators/entraEmulator";
import { GRAPH_AUDIENCE, TOKEN_EXCHANGE_APP_ID, TOKEN_EXCHANGE_AUDIENCE, TokenIssuer, entraIssuer, type IssueOptions } from "../../../local/emulators/tokens";

const READ = "BackupRestore-Restore.Read.All";
const HOME = "0d7c6b5a-4f3e-4d2c-9b1a-0f9e8d7c6b5a";
const CUSTOMER = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
const MI = { clientId: "5b0c1d2e-3f4a-4b5c-8d6e-7f8091a2b3c4", objectId: "c4b3a291-8f7e-4d6c-9b5a-4e3d2c1b0a9f" };
const APP_ID = "3f2a9c1e-8b7d-4e6f-a5c4-1d2e3f4a5b6c";
const GRAPH_SCOPE = `${GRAPH_AUDIENCE}/.default`;
const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** Signs the managed identity's assertions (the MI endpoint's issuer), apart from the one Graph trusts. */
const miIssuer = new TokenIssuer();
const graphIssuer = new TokenIssuer();
const running: EntraEmulator[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.stop()));
});

/** An emulator with restorewatch's app in HOME: a FIC trusting the managed identity, a service principal with Read.All. */
async function start(options: Partial<EntraEmulatorOptions> = {}): Promise<EntraEmulator> {
  const entra = await EntraEmulator.start({ tls: loadTestTls(), assertionIssuer: miIssuer, tokenIssuer: graphIssuer, ...options });
  running.push(entra);
  entra.registerApp({ appId: APP_ID, homeTenantId: HOME, multiTenant: true });
  entra.addFederatedCredential(APP_ID, { name: "restorewatch-uami", issuer: entraIssuer(HOME), subject: MI.objectId, audiences: [TOKEN_EXCHANGE_AUDIENCE] });
  entra.provision(APP_ID, HOME, { roles: [READ] });
  return entra;
}

/** The managed identity's token-exchange assertion, as the MI endpoint emulator issues it. */
function assertion(overrides: IssueOptions = {}): string {
  return miIssuer.issue({ audience: TOKEN_EXCHANGE_APP_ID, tenantId: HOME, objectId: MI.objectId, appId: MI.clientId, issuerUrl: entraIssuer(HOME), subject: MI.objectId, ...overrides }).token;
}

/** The token POST as MSAL sends it (identity-and-tenants.md §2.4), with fields overridden or removed (undefined). */
async function requestToken(entra: EntraEmulator, tenant: string, overrides: Record<string, string | undefined> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const fields: Record<string, string | undefined> = {
    client_id: APP_ID,
    scope: GRAPH_SCOPE,
    grant_type: "client_credentials",
    "x-client-SKU": "msal.js.node",
    "client-request-id": crypto.randomUUID(),
    client_assertion: assertion(),
    client_assertion_type: JWT_BEARER,
    ...overrides,
  };
  const form = new URLSearchParams(Object.entries(fields).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const response = await fetch(`${entra.url}/${tenant}/oauth2/v2.0/token?client-request-id=${crypto.randomUUID()}`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded;charset=utf-8" },
    body: form.toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function claimsOf(body: Record<string, unknown>): Record<string, unknown> {
  const verified = graphIssuer.verify(String(body["access_token"]));
  if (!verified.ok) throw new Error(`not a token the Graph emulator accepts: ${verified.reason}`);
  return { ...verified.claims };
}

/** Entra's error shape, keyed on `error` and `error_codes`. */
function entraError(status: number, error: string, code: number): { status: number; body: Record<string, unknown> } {
  return {
    status,
    body: {
      error,
      error_description: expect.stringMatching(new RegExp(`^AADSTS${code}: .* Trace ID: [0-9a-f-]{36} Correlation ID: [0-9a-f-]{36} Timestamp: \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ$`)),
      error_codes: [code],
      timestamp: expect.any(String),
      trace_id: expect.any(String),
      correlation_id: expect.any(String),
    },
  };
}

describe("Entra emulator: OIDC metadata", () => {
  it("serves the tenant's metadata with a same-origin issuer and token endpoint", async () => {
    const entra = await start();
    const response = await fetch(`${entra.url}/${HOME}/v2.0/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      issuer: `${entra.url}/${HOME}/v2.0`,
      token_endpoint: `${entra.url}/${HOME}/oauth2/v2.0/token`,
      authorization_endpoint: `${entra.url}/${HOME}/oauth2/v2.0/authorize`,
      jwks_uri: `${entra.url}/${HOME}/discovery/v2.0/keys`,
    });
    expect(entra.metadataRequests).toEqual([HOME]);
  });

  it("answers 400 invalid_tenant AADSTS90002 for a tenant it does not know", async () => {
    const entra = await start();
    const response = await fetch(`${entra.url}/${CUSTOMER}/v2.0/.well-known/openid-configuration`);
    expect({ status: response.status, body: await response.json() }).toEqual(entraError(400, "invalid_tenant", 90002));
  });
});

describe("Entra emulator: client credentials with a managed identity's assertion", () => {
  it("issues a Graph token for the app's service principal in the tenant, with the roles granted there", async () => {
    const entra = await start();
    const principal = entra.servicePrincipal(APP_ID, HOME);

    const { status, body } = await requestToken(entra, HOME);

    expect(status).toBe(200);
    expect(body).toEqual({ token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599, access_token: expect.any(String) });
    expect(claimsOf(body)).toMatchObject({ aud: GRAPH_AUDIENCE, tid: HOME, appid: APP_ID, oid: principal?.objectId, roles: [READ] });
    expect(entra.tokenRequests).toEqual([{ tenant: HOME, clientId: APP_ID, scope: GRAPH_SCOPE, assertionSubject: MI.objectId, status: 200 }]);
  });

  it("accepts the assertion's audience in either form, the exchange app id or the URI", async () => {
    const entra = await start();
    expect((await requestToken(entra, HOME, { client_assertion: assertion({ audience: TOKEN_EXCHANGE_AUDIENCE }) })).status).toBe(200);
    expect((await requestToken(entra, HOME, { scope: "00000003-0000-0000-c000-000000000000/.default" })).status).toBe(200);
  });

  it("a multi-tenant app consented in a customer tenant gets that tenant's tid, service principal and roles; revoked roles leave a token without them", async () => {
    const entra = await start();
    entra.addTenant(CUSTOMER);
    const customerPrincipal = entra.provision(APP_ID, CUSTOMER, { roles: [READ, "Directory.Read.All"] });

    const first = await requestToken(entra, CUSTOMER);
    expect(claimsOf(first.body)).toMatchObject({ tid: CUSTOMER, appid: APP_ID, oid: customerPrincipal.objectId, roles: [READ, "Directory.Read.All"] });
    expect(customerPrincipal.objectId).not.toBe(entra.servicePrincipal(APP_ID, HOME)?.objectId);

    customerPrincipal.roles = [];
    expect(claimsOf((await requestToken(entra, CUSTOMER)).body)).toMatchObject({ tid: CUSTOMER, roles: [] });
  });

  it.each([
    ["a missing grant_type", { grant_type: undefined }, 400, "invalid_request", 900144],
    ["a missing client_id", { client_id: undefined }, 400, "invalid_request", 900144],
    ["a missing scope", { scope: undefined }, 400, "invalid_request", 900144],
    ["another grant", { grant_type: "password" }, 400, "unsupported_grant_type", 70003],
    ["two resources", { scope: `${GRAPH_SCOPE} https://management.azure.com/.default` }, 400, "invalid_scope", 28000],
    ["a scope without /.default", { scope: `${GRAPH_AUDIENCE}/User.Read` }, 400, "invalid_scope", 1002012],
    ["no client assertion", { client_assertion: undefined }, 401, "invalid_client", 7000216],
    ["another assertion type", { client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:saml2-bearer" }, 401, "invalid_client", 7000216],
    ["another resource", { scope: "https://management.azure.com/.default" }, 400, "invalid_resource", 500011],
  ])("refuses %s like Entra", async (_case, overrides, status, error, code) => {
    const entra = await start();
    expect(await requestToken(entra, HOME, overrides)).toEqual(entraError(status, error, code));
    expect(entra.tokenRequests.at(-1)).toMatchObject({ status, errorCode: code });
  });

  it("ignores fields it does not know (MSAL's telemetry)", async () => {
    const entra = await start();
    expect((await requestToken(entra, HOME, { "x-client-current-telemetry": "5|771,2,,,|,", "x-ms-lib-capability": "retry-after, h429" })).status).toBe(200);
  });

  describe("the assertion, checked against the app's federated identity credentials", () => {
    it("another subject (not the trusted identity's object id, or its client id): 401 invalid_client AADSTS700213", async () => {
      const entra = await start();
      expect(await requestToken(entra, HOME, { client_assertion: assertion({ subject: MI.clientId }) })).toEqual(entraError(401, "invalid_client", 700213));
      // Case-sensitive, as Entra matches subjects.
      expect((await requestToken(entra, HOME, { client_assertion: assertion({ subject: MI.objectId.toUpperCase() }) })).status).toBe(401);
    });

    it("an issuer no credential names: 400 invalid_request AADSTS70021", async () => {
      const entra = await start();
      expect(await requestToken(entra, HOME, { client_assertion: assertion({ issuerUrl: "https://token.actions.githubusercontent.com" }) })).toEqual(entraError(400, "invalid_request", 70021));
    });

    it("no credentials at all (or still propagating): AADSTS70021", async () => {
      const entra = await start();
      const bare = entra.registerApp({ homeTenantId: HOME });
      entra.provision(bare.appId, HOME);
      expect(await requestToken(entra, HOME, { client_id: bare.appId })).toEqual(entraError(400, "invalid_request", 70021));
    });

    it("another audience: 401 invalid_client AADSTS700212", async () => {
      const entra = await start();
      expect(await requestToken(entra, HOME, { client_assertion: assertion({ audience: "api://AzureADTokenExchangeUSGov" }) })).toEqual(entraError(401, "invalid_client", 700212));
    });

    it("an identity of another tenant than the app's: AADSTS700236", async () => {
      const entra = await start();
      entra.addFederatedCredential(APP_ID, { name: "foreign", issuer: entraIssuer(CUSTOMER), subject: MI.objectId, audiences: [TOKEN_EXCHANGE_AUDIENCE] });
      expect(await requestToken(entra, HOME, { client_assertion: assertion({ issuerUrl: entraIssuer(CUSTOMER) }) })).toEqual(entraError(400, "invalid_request", 700236));
    });

    it("an expired assertion: AADSTS700024; one it did not sign: AADSTS700027", async () => {
      const entra = await start();
      expect(await requestToken(entra, HOME, { client_assertion: assertion({ lifetimeInSeconds: -60 }) })).toEqual(entraError(401, "invalid_client", 700024));
      const forged = new TokenIssuer().issue({ audience: TOKEN_EXCHANGE_APP_ID, issuerUrl: entraIssuer(HOME), subject: MI.objectId }).token;
      expect(await requestToken(entra, HOME, { client_assertion: forged })).toEqual(entraError(401, "invalid_client", 700027));
      // The Graph issuer's tokens are not assertions the identity made.
      expect((await requestToken(entra, HOME, { client_assertion: graphIssuer.issue({ subject: MI.objectId, issuerUrl: entraIssuer(HOME) }).token })).status).toBe(401);
    });
  });

  describe("which app, in which tenant", () => {
    it("an unknown tenant: 400 invalid_request AADSTS90002", async () => {
      const entra = await start();
      expect(await requestToken(entra, CUSTOMER)).toEqual(entraError(400, "invalid_request", 90002));
    });

    it("an app id no tenant knows: 400 unauthorized_client AADSTS700016", async () => {
      const entra = await start();
      expect(await requestToken(entra, HOME, { client_id: crypto.randomUUID() })).toEqual(entraError(400, "unauthorized_client", 700016));
    });

    it("a single-tenant app asked for in another tenant: AADSTS700016", async () => {
      const entra = await start();
      entra.addTenant(CUSTOMER);
      const single = entra.registerApp({ homeTenantId: HOME });
      expect(() => entra.provision(single.appId, CUSTOMER)).toThrow(/single-tenant/);
      expect(await requestToken(entra, CUSTOMER, { client_id: single.appId })).toEqual(entraError(400, "unauthorized_client", 700016));
    });

    it("no service principal in the tenant (never consented, or deleted): AADSTS7000229 by default, 700016 when configured", async () => {
      const entra = await start();
      entra.addTenant(CUSTOMER);
      expect(await requestToken(entra, CUSTOMER)).toEqual(entraError(401, "invalid_client", 7000229));
      entra.removeServicePrincipal(APP_ID, HOME);
      expect(await requestToken(entra, HOME)).toEqual(entraError(401, "invalid_client", 7000229));

      const older = await start({ missingServicePrincipalError: 700016 });
      older.addTenant(CUSTOMER);
      expect(await requestToken(older, CUSTOMER)).toEqual(entraError(400, "unauthorized_client", 700016));
    });
  });
});

describe("Entra emulator with @azure/identity's ClientAssertionCredential", () => {
  function credential(entra: EntraEmulator, tenant: string, getAssertion: () => Promise<string>): ClientAssertionCredential {
    return new ClientAssertionCredential(tenant, APP_ID, getAssertion, { authorityHost: entra.url, disableInstanceDiscovery: true, retryOptions: { maxRetries: 0 } });
  }

  it("signs in: metadata, then one token POST; the next getToken is answered from MSAL's cache", async () => {
    const entra = await start();
    let assertions = 0;
    const client = credential(entra, HOME, async () => {
      assertions += 1;
      return assertion();
    });

    const token = await client.getToken(GRAPH_SCOPE);
    await client.getToken(GRAPH_SCOPE);

    expect(graphIssuer.verify(token.token)).toMatchObject({ ok: true, claims: { tid: HOME, appid: APP_ID, roles: [READ] } });
    expect(entra.metadataRequests).toEqual([HOME]);
    expect(entra.tokenRequests).toEqual([{ tenant: HOME, clientId: APP_ID, scope: GRAPH_SCOPE, assertionSubject: MI.objectId, status: 200 }]);
    // MSAL asks for the assertion even when its cache answers: it must be cheap.
    expect(assertions).toBeGreaterThanOrEqual(2);
  });

  it("surfaces Entra's error with its code on the error's cause", async () => {
    const entra = await start();
    const client = credential(entra, HOME, async () => assertion({ subject: MI.clientId }));

    const error: unknown = await client.getToken(GRAPH_SCOPE).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(String(error)).toContain("AADSTS700213");
    expect((error as { cause?: unknown }).cause).toMatchObject({ errorCode: "invalid_client", errorNo: 700213, status: 401 });
  });
});

describe("consent as a switch", () => {
  it("revoking a tenant's consent answers its token requests with AADSTS7000229 (or 700016) and leaves other tenants alone; consenting again restores the same service principal", async () => {
    const entra = await start();
    entra.addTenant(CUSTOMER);
    const principal = entra.provision(APP_ID, CUSTOMER, { roles: [READ] });

    entra.setConsentRevoked(APP_ID, CUSTOMER, true);
    const revoked = await requestToken(entra, CUSTOMER);
    const home = await requestToken(entra, HOME);
    expect(revoked.status).toBe(401);
    expect(revoked.body).toMatchObject({ error: "invalid_client", error_codes: [7000229] });
    expect(String(revoked.body["error_description"])).toMatch(new RegExp(`^AADSTS7000229: The client application ${APP_ID} is missing service principal in the tenant ${CUSTOMER}`));
    expect(home.status).toBe(200);
    expect(() => entra.setConsentRevoked(APP_ID, CUSTOMER, true)).toThrow(/no service principal/);

    entra.setConsentRevoked(APP_ID, CUSTOMER, false);
    const again = await requestToken(entra, CUSTOMER);
    expect(again.status).toBe(200);
    expect(graphIssuer.verify(String(again.body["access_token"]))).toMatchObject({ ok: true, claims: { tid: CUSTOMER, oid: principal.objectId, roles: [READ] } });
    expect(() => entra.setConsentRevoked(APP_ID, CUSTOMER, false)).toThrow(/was not revoked/);

    const older = await start({ missingServicePrincipalError: 700016 });
    older.addTenant(CUSTOMER);
    older.provision(APP_ID, CUSTOMER, { roles: [READ] });
    older.setConsentRevoked(APP_ID, CUSTOMER, true);
    expect((await requestToken(older, CUSTOMER)).body).toMatchObject({ error: "unauthorized_client", error_codes: [700016] });
  });
});

import { randomUUID } from "node:crypto";
import { ClientAssertionCredential } from "@azure/identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TenantConsentError, adminConsentUrl, isConsentFailure, readTokenFailure, withConsentDiagnosis } from "../../shared/graph/tenantConsent";
import { EntraEmulator } from "../../local/emulators/entraEmulator";
import { loadTestTls } from "../../local/emulators/tls";
import { GRAPH_AUDIENCE, TOKEN_EXCHANGE_APP_ID, TOKEN_EXCHANGE_AUDIENCE, TokenIssuer, entraIssuer } from "../../local/emulators/tokens";

/* The token endpoint's consent errors as @azure/identity really throws them (MSAL's ServerError as the cause). */

const issuer = new TokenIssuer();
const HOME = randomUUID();
const MI_OBJECT_ID = randomUUID();
const emulators: EntraEmulator[] = [];
afterAll(async () => {
  await Promise.all(emulators.map((e) => e.stop()));
});

async function entraWith(missingServicePrincipalError: 7000229 | 700016): Promise<{ entra: EntraEmulator; appId: string }> {
  const entra = await EntraEmulator.start({ tls: loadTestTls(), assertionIssuer: issuer, tokenIssuer: issuer, missingServicePrincipalError });
  emulators.push(entra);
  const { appId } = entra.registerApp({ homeTenantId: HOME, multiTenant: true });
  entra.addFederatedCredential(appId, { name: "uami", issuer: entraIssuer(HOME), subject: MI_OBJECT_ID, audiences: [TOKEN_EXCHANGE_AUDIENCE] });
  return { entra, appId };
}

function credential(entra: EntraEmulator, tenantId: string, appId: string, subject = MI_OBJECT_ID): ClientAssertionCredential {
  const assertion = async (): Promise<string> => issuer.issue({ audience: TOKEN_EXCHANGE_APP_ID, tenantId: HOME, issuerUrl: entraIssuer(HOME), subject }).token;
  return new ClientAssertionCredential(tenantId, appId, assertion, { authorityHost: entra.url, disableInstanceDiscovery: true, retryOptions: { maxRetries: 0 } });
}

const failureOf = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => undefined, (e: unknown) => e);

describe("a customer tenant's token failures", () => {
  let modern: { entra: EntraEmulator; appId: string };
  let older: { entra: EntraEmulator; appId: string };
  beforeAll(async () => {
    [modern, older] = await Promise.all([entraWith(7000229), entraWith(700016)]);
  });

  it("read AADSTS7000229 (invalid_client) and 700016 (unauthorized_client) as consent missing, and become a TenantConsentError naming the tenant and the consent URL", async () => {
    for (const [{ entra, appId }, code, oauthError] of [[modern, 7000229, "invalid_client"], [older, 700016, "unauthorized_client"]] as const) {
      const tenantId = randomUUID();
      entra.addTenant(tenantId);
      const raw = await failureOf(credential(entra, tenantId, appId).getToken(`${GRAPH_AUDIENCE}/.default`));
      expect(readTokenFailure(raw)).toEqual({ aadsts: code, oauthError });
      expect(isConsentFailure(readTokenFailure(raw))).toBe(true);

      const consentUrl = adminConsentUrl(`${entra.url}/`, tenantId, appId);
      expect(consentUrl).toBe(`${entra.url}/${tenantId}/adminconsent?client_id=${appId}`);
      const diagnosed = await failureOf(withConsentDiagnosis(credential(entra, tenantId, appId), { tenantId, consentUrl, label: "Contoso" }).getToken(`${GRAPH_AUDIENCE}/.default`));
      expect(diagnosed).toBeInstanceOf(TenantConsentError);
      expect(diagnosed).toMatchObject({ tenantId, consentUrl, tenantLabel: "Contoso", status: 401, failure: { aadsts: code } });
      expect((diagnosed as Error).message).toContain(`in tenant Contoso (${tenantId})`);
      expect(readTokenFailure((diagnosed as TenantConsentError).cause)).toEqual({ aadsts: code, oauthError });
    }
  });

  it("names a tenant Entra does not know (AADSTS90002), and lets a fault of ours (a federated credential that does not match: AADSTS700213) through unchanged", async () => {
    const { entra, appId } = modern;
    // Against Microsoft's hosts the token POST answers 90002 as MSAL's ServerError (errorNo, errorCode), like 7000229 above;
    // an emulator host is asked for OIDC metadata first, which fails before any POST: so the error is built here.
    const unknown = randomUUID();
    const consentUrl = adminConsentUrl(entra.url, unknown, appId);
    const serverError = Object.assign(new Error(`invalid_request: Error(s): 90002 - Description: AADSTS90002: Tenant '${unknown}' not found.`), { errorCode: "invalid_request", errorNo: 90002, status: 400 });
    const failing = { getToken: () => Promise.reject(Object.assign(new Error(serverError.message), { name: "AuthenticationRequiredError", cause: serverError })) };
    const notFound = await failureOf(withConsentDiagnosis(failing, { tenantId: unknown, consentUrl }).getToken(`${GRAPH_AUDIENCE}/.default`));
    expect(notFound).toBeInstanceOf(TenantConsentError);
    expect((notFound as Error).message).toBe(`tenant ${unknown} was not found by Microsoft Entra ID (AADSTS90002): the tenant id is wrong or belongs to another cloud`);

    const tenantId = randomUUID();
    entra.addTenant(tenantId);
    entra.provision(appId, tenantId);
    const mismatch = await failureOf(withConsentDiagnosis(credential(entra, tenantId, appId, randomUUID()), { tenantId, consentUrl }).getToken(`${GRAPH_AUDIENCE}/.default`));
    expect(mismatch).not.toBeInstanceOf(TenantConsentError);
    expect(readTokenFailure(mismatch)).toMatchObject({ aadsts: 700213 });
  });
});

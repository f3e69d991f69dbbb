import { afterEach, describe, expect, it } from "vitest";
import { KeyVaultSecrets, SecretUnavailableError } from "../../shared/identity/keyVaultSecrets";
import { KEY_VAULT_AUDIENCE, KeyVaultEmulator } from "../../local/emulators/keyVaultEmulator";
import { loadTestTls } from "../../local/emulators/tls";
import { GRAPH_AUDIENCE, TokenIssuer } from "../../local/emulators/tokens";

const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((part) => part.stop()));
});

async function start() {
  const issuer = new TokenIssuer();
  const vault = await KeyVaultEmulator.start({ tls: loadTestTls(), issuer });
  running.push(vault);
  return { issuer, vault };
}

const failure = (promise: Promise<unknown>): Promise<SecretUnavailableError> =>
  promise.then(
    () => {
      throw new Error("expected the read to fail");
    },
    (error: unknown) => {
      expect(error).toBeInstanceOf(SecretUnavailableError);
      return error as SecretUnavailableError;
    },
  );

describe("Key Vault secrets, read with the app's identity", () => {
  it("reads a secret with a token for Key Vault's audience; a missing secret, a principal without the role and a token for another audience are refused, naming the secret and never a value", async () => {
    const { issuer, vault } = await start();
    vault.setSecret("teams-hook", "https://example.logic.azure.com/workflows/1?sig=s3cr3t");
    const credential = issuer.credential({ audience: KEY_VAULT_AUDIENCE, objectId: "app-identity" });
    const secrets = new KeyVaultSecrets(vault.uri, credential, { emulatorOrigins: [vault.uri] });
    expect(await secrets.read("teams-hook")).toBe("https://example.logic.azure.com/workflows/1?sig=s3cr3t");

    const missing = await failure(secrets.read("other-hook"));
    expect(missing.message).toMatch(/^Key Vault secret 'other-hook' could not be read: HTTP 404 SecretNotFound: it does not exist in the vault/);

    const wrongAudience = await failure(new KeyVaultSecrets(vault.uri, issuer.credential({ audience: GRAPH_AUDIENCE }), { emulatorOrigins: [vault.uri] }).read("teams-hook"));
    expect(wrongAudience.message).toContain("HTTP 401 Unauthorized: the app's identity needs the Key Vault Secrets User role on the vault (AKV10022: Invalid audience.");

    vault.forbid("app-identity");
    const forbidden = await failure(secrets.read("teams-hook"));
    expect(forbidden.message).toContain("HTTP 403 ForbiddenByRbac: the app's identity needs the Key Vault Secrets User role");
    for (const error of [missing, wrongAudience, forbidden]) expect(error.message).not.toContain("s3cr3t");
    expect(vault.reads.map((r) => r.status)).toEqual([200, 404, 401, 403]);
  });

  it("sends no token to a host that is not a Key Vault of a known cloud (nor a trusted emulator)", async () => {
    const { issuer, vault } = await start();
    const credential = issuer.credential({ audience: KEY_VAULT_AUDIENCE });
    const error = await failure(new KeyVaultSecrets(vault.uri, credential).read("teams-hook"));
    expect(error.message).toContain("is not a Key Vault host");
    expect(credential.calls).toBe(0);
    expect(vault.reads).toEqual([]);
  });
});

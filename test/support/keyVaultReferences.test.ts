import { describe, expect, it } from "vitest";
import { parseReference, resolveKeyVaultReferences, type StandInVault } from "./keyVaultReferences";

const vault: StandInVault = {
  host: "kv-restorewatch.vault.azure.net",
  secrets: { "teams-webhook-url": "https://teams.example/current" },
  versions: { "teams-webhook-url": { "0123456789abcdef0123456789abcdef": "https://teams.example/pinned" } },
};
const VERSION = "0123456789abcdef0123456789abcdef";

function resolveOne(reference: string, vaults: StandInVault | StandInVault[] = vault): { value: string; status?: string } {
  const result = resolveKeyVaultReferences({ SETTING: reference }, vaults);
  return { value: result.settings["SETTING"] as string, ...(result.unresolved[0] ? { status: result.unresolved[0].status } : {}) };
}

describe("Key Vault references in app settings", () => {
  describe("resolve", () => {
    it.each([
      ["SecretUri, unversioned", "@Microsoft.KeyVault(SecretUri=https://kv-restorewatch.vault.azure.net/secrets/teams-webhook-url)", "https://teams.example/current"],
      ["SecretUri, unversioned with trailing slash", "@Microsoft.KeyVault(SecretUri=https://kv-restorewatch.vault.azure.net/secrets/teams-webhook-url/)", "https://teams.example/current"],
      ["SecretUri, versioned", `@Microsoft.KeyVault(SecretUri=https://kv-restorewatch.vault.azure.net/secrets/teams-webhook-url/${VERSION})`, "https://teams.example/pinned"],
      ["SecretUri, versioned with trailing slash", `@Microsoft.KeyVault(SecretUri=https://kv-restorewatch.vault.azure.net/secrets/teams-webhook-url/${VERSION}/)`, "https://teams.example/pinned"],
      ["SecretUri, host and secret name in another case", "@Microsoft.KeyVault(SecretUri=https://KV-RestoreWatch.vault.azure.net/secrets/Teams-Webhook-Url)", "https://teams.example/current"],
      ["VaultName/SecretName", "@Microsoft.KeyVault(VaultName=kv-restorewatch;SecretName=teams-webhook-url)", "https://teams.example/current"],
      ["VaultName/SecretName/SecretVersion", `@Microsoft.KeyVault(VaultName=kv-restorewatch;SecretName=teams-webhook-url;SecretVersion=${VERSION})`, "https://teams.example/pinned"],
      ["VaultName/SecretName in another order", "@Microsoft.KeyVault(SecretName=teams-webhook-url;VaultName=kv-restorewatch)", "https://teams.example/current"],
    ])("%s", (_form, reference, expected) => {
      expect(resolveOne(reference)).toEqual({ value: expected });
    });

    it("finds the vault among several, and resolves every reference while leaving other settings alone", () => {
      const other: StandInVault = { host: "kv-other.vault.azure.net", secrets: { a: "from-other" } };
      const settings = {
        PLAIN: "value",
        LOOKS_LIKE_ONE: "see @Microsoft.KeyVault(SecretUri=https://kv-other.vault.azure.net/secrets/a)",
        FIRST: "@Microsoft.KeyVault(SecretUri=https://kv-other.vault.azure.net/secrets/a)",
        SECOND: "@Microsoft.KeyVault(VaultName=kv-restorewatch;SecretName=teams-webhook-url)",
      };
      const result = resolveKeyVaultReferences(settings, [vault, other]);
      expect(result).toEqual({
        settings: { PLAIN: "value", LOOKS_LIKE_ONE: settings.LOOKS_LIKE_ONE, FIRST: "from-other", SECOND: "https://teams.example/current" },
        resolved: ["FIRST", "SECOND"],
        unresolved: [],
      });
      expect(settings.FIRST).toMatch(/^@Microsoft/); // the input is not changed
    });
  });

  describe("leave the literal reference as the value, and report why, when", () => {
    it.each([
      ["the vault is unknown or unreachable", "@Microsoft.KeyVault(SecretUri=https://kv-gone.vault.azure.net/secrets/teams-webhook-url)", "VaultNotFound"],
      ["VaultName names an unknown vault", "@Microsoft.KeyVault(VaultName=kv-gone;SecretName=teams-webhook-url)", "VaultNotFound"],
      ["the secret is missing", "@Microsoft.KeyVault(SecretUri=https://kv-restorewatch.vault.azure.net/secrets/nope)", "SecretNotFound"],
      ["the version is missing", "@Microsoft.KeyVault(SecretUri=https://kv-restorewatch.vault.azure.net/secrets/teams-webhook-url/ffffffffffffffffffffffffffffffff)", "SecretVersionNotFound"],
      ["the URI is not a secret's", "@Microsoft.KeyVault(SecretUri=https://kv-restorewatch.vault.azure.net/keys/teams-webhook-url)", "InvalidSyntax"],
      ["the URI has too many segments", "@Microsoft.KeyVault(SecretUri=https://kv-restorewatch.vault.azure.net/secrets/a/b/c)", "InvalidSyntax"],
      ["the URI is not https", "@Microsoft.KeyVault(SecretUri=http://kv-restorewatch.vault.azure.net/secrets/teams-webhook-url)", "InvalidSyntax"],
      ["the URI is not a URI", "@Microsoft.KeyVault(SecretUri=not a uri)", "InvalidSyntax"],
      ["SecretName is missing", "@Microsoft.KeyVault(VaultName=kv-restorewatch)", "InvalidSyntax"],
      ["a key is unknown", "@Microsoft.KeyVault(VaultName=kv-restorewatch;SecretName=teams-webhook-url;Version=1)", "InvalidSyntax"],
      ["SecretUri is mixed with VaultName", "@Microsoft.KeyVault(SecretUri=https://kv-restorewatch.vault.azure.net/secrets/teams-webhook-url;VaultName=kv-restorewatch)", "InvalidSyntax"],
      ["the closing parenthesis is missing", "@Microsoft.KeyVault(SecretUri=https://kv-restorewatch.vault.azure.net/secrets/teams-webhook-url", "InvalidSyntax"],
      ["the prefix differs in case (kept literal: App Service's handling is not documented)", "@microsoft.keyvault(SecretUri=https://kv-restorewatch.vault.azure.net/secrets/teams-webhook-url)", "InvalidSyntax"],
      ["a key differs in case", "@Microsoft.KeyVault(secreturi=https://kv-restorewatch.vault.azure.net/secrets/teams-webhook-url)", "InvalidSyntax"],
    ])("%s", (_why, reference, status) => {
      expect(resolveOne(reference)).toEqual({ value: reference, status });
    });

    it("the identity may not read the vault", () => {
      const reference = "@Microsoft.KeyVault(SecretUri=https://kv-restorewatch.vault.azure.net/secrets/teams-webhook-url)";
      expect(resolveOne(reference, { ...vault, accessDenied: true })).toEqual({ value: reference, status: "AccessToKeyVaultDenied" });
    });

    it("and name the setting in the report", () => {
      const result = resolveKeyVaultReferences({ OK: "x", TEAMS_WEBHOOK_URL: "@Microsoft.KeyVault(VaultName=kv-gone;SecretName=s)" }, vault);
      expect(result.unresolved).toEqual([{ setting: "TEAMS_WEBHOOK_URL", reference: "@Microsoft.KeyVault(VaultName=kv-gone;SecretName=s)", status: "VaultNotFound" }]);
      expect(result.resolved).toEqual([]);
      expect(result.settings).toEqual({ OK: "x", TEAMS_WEBHOOK_URL: "@Microsoft.KeyVault(VaultName=kv-gone;SecretName=s)" });
    });
  });

  it("parseReference reads the vault host, secret and version", () => {
    expect(parseReference("@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net:8443/secrets/s/v1)")).toEqual({ host: "kv.vault.azure.net:8443", secretName: "s", version: "v1" });
    expect(parseReference("@Microsoft.KeyVault(VaultName=kv;SecretName=s;SecretVersion=)")).toEqual({ host: "kv.vault.azure.net", secretName: "s" });
    expect(parseReference("plain")).toBeUndefined();
  });
});

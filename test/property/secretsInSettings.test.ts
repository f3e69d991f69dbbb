import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { runCli } from "../../shared/cli/main";
import { loadConfig, readChannelsConfig, readGraphConfig, readIdentityConfig, readStateConfig, type Env } from "../../shared/config/config";
import { readEmulatorOrigins } from "../../shared/config/emulatorOrigins";
import { SETTINGS } from "../../shared/config/settings";
import { errorMessage } from "../../shared/domain/errors";

/**
 * No error quotes a secret. Configuration errors reach the logs (Application Insights in Azure), and a
 * key, a signature or a SAS pasted into the wrong setting, or a malformed one in the right setting,
 * must not be repeated there. Every setting gets secret-bearing values; whatever loadConfig, the
 * section readers or the CLI say about them, the secret is not in it.
 */
const runs = (numRuns: number) => ({ numRuns, seed: 20261202 });

/** What a key or signature looks like: base64 or base64url, 20 to 88 characters. */
const secret = fc.stringMatching(/^[A-Za-z0-9+/_-]{20,88}={0,2}$/).filter((s) => /[0-9]/.test(s) && /[A-Za-z]/.test(s));

/** The forms a secret arrives in, pasted whole or in part. */
const secretBearing = (key: string): fc.Arbitrary<string> =>
  fc.constantFrom(
    key,
    `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${key};EndpointSuffix=core.windows.net`,
    `AccountKey=${key}`,
    `endpoint=https://acs.communication.azure.com/;accesskey=${key}`,
    `endpoint=https://acs.communication.azure.com/;accesskey=${key};extra`,
    `https://acct.table.core.windows.net/?sv=2022-11-02&ss=t&srt=sco&sp=rwdlacu&se=2026-12-31T00:00:00Z&sig=${encodeURIComponent(key)}`,
    `https://prod-1.westus.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=${encodeURIComponent(key)}`,
    `https://prod-1.westus.logic.azure.com:444/workflows/abc/triggers/manual/paths/invoke?sig=${key}`,
    `http://contoso.webhook.office.com/webhookb2/${key}`,
    `eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.${key}.${key}`,
    `SharedAccessSignature sr=x&sig=${key}&se=1`,
    `${key},failed`,
    `5/1m,${key}`,
    `user:${key}@host`,
    `https://user:${key}@graph.microsoft.com`,
    ` ${key} `,
  );

const BASE: Env = { AzureWebJobsStorage: "UseDevelopmentStorage=true", ALERT_OUTBOX_DIR: ".local/outbox" };
const NAMES = [...SETTINGS.map((s) => s.name), "AzureWebJobsStorage__tableServiceUri", "STATE_STORAGE__tableServiceUri", "AzureWebJobsStorage__credential", "AzureWebJobsStorage__clientId"];

/** Everything the code says about these settings: each reader's error, or nothing when it accepts them. */
async function allOutput(env: Env): Promise<string[]> {
  const said: string[] = [];
  const attempt = (read: () => unknown): void => {
    try {
      read();
    } catch (error) {
      said.push(errorMessage(error), error instanceof Error ? (error.stack ?? "") : "");
    }
  };
  attempt(() => loadConfig(env));
  attempt(() => loadConfig(env, { requireChannel: false }));
  attempt(() => readGraphConfig(env));
  attempt(() => readIdentityConfig(env));
  attempt(() => readStateConfig(env));
  attempt(() => readChannelsConfig(env));
  attempt(() => readEmulatorOrigins(env));
  // The CLI, as an operator sees it. Only commands that stop before any network call: Graph comes
  // first and the credential gives no token (storage and ACS settings here may name real Azure hosts).
  for (const args of [["poll", "--dry-run"], ["grant-graph-permission", "--principal-id", "5b0e2d7c-4a41-4f0e-9d7b-3e1c6a2f8b90"]]) {
    await runCli(args, { out: (line) => said.push(line), err: (line) => said.push(line), env, processEnv: env, credential: { getToken: async () => null } });
  }
  return said;
}

describe("no error quotes a secret", () => {
  it.each(NAMES.map((name) => [name]))("%s: secret-bearing values never appear in what the code says", async (name) => {
    await fc.assert(
      fc.asyncProperty(
        secret.chain((key) => secretBearing(key).map((value) => ({ key, value }))),
        async ({ key, value }) => {
          const said = await allOutput({ ...BASE, [name]: value });
          for (const line of said) expect(line, `${name}=${value}`).not.toContain(key);
        },
      ),
      runs(40),
    );
  });
});

import { afterAll, beforeAll } from "vitest";
import { startAzuriteTable, type AzuriteTable, type StartAzuriteOptions } from "../../local/emulators/azurite";

/**
 * Azurite's Table service for the tests of one file (or one describe block): started before them,
 * stopped after. The returned handle reads through to the running instance, so tests use it as the
 * table itself: `const azurite = useAzurite();` then `azurite.connectionString` inside a test.
 */
export function useAzurite(options: StartAzuriteOptions = {}): AzuriteTable {
  let started: AzuriteTable | undefined;
  beforeAll(async () => {
    started = await startAzuriteTable(options);
  }, 60_000);
  afterAll(async () => {
    await started?.stop();
  });
  return new Proxy({} as AzuriteTable, {
    get(_target, key) {
      if (!started) throw new Error("Azurite is not running yet: use it inside a test or a beforeAll/beforeEach hook declared after useAzurite()");
      return started[key as keyof AzuriteTable];
    },
  });
}

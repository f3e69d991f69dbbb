import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { ConfigError } from "../domain/errors";
import type { Env } from "../config/config";

/**
 * The settings the CLI runs with: the environment, plus the `Values` of local.settings.json in the
 * working folder when present (as Core Tools does, the environment wins).
 */
export function loadCliEnvironment(cwd: string, env: NodeJS.ProcessEnv): Env {
  const file = path.join(cwd, "local.settings.json");
  if (!existsSync(file)) return { ...env };
  let values: unknown;
  try {
    values = (JSON.parse(readFileSync(file, "utf8")) as { Values?: unknown }).Values;
  } catch (error) {
    throw new ConfigError("local.settings.json", `is not valid JSON: ${(error as Error).message}`);
  }
  if (values !== undefined && (typeof values !== "object" || values === null || Array.isArray(values))) {
    throw new ConfigError("local.settings.json", "'Values' must be an object of strings");
  }
  const fromFile = Object.fromEntries(Object.entries((values ?? {}) as Record<string, unknown>).filter(([, v]) => typeof v === "string")) as Record<string, string>;
  return { ...fromFile, ...env };
}

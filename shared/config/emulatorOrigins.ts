import { ConfigError } from "../domain/errors";
import type { Env } from "./config";

export const EMULATOR_ORIGINS_SETTING = "RESTOREWATCH_EMULATOR_ORIGINS";

const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * Origins on this machine that may receive the app's or the operator's tokens besides Microsoft's own
 * hosts: local emulators of Graph and Entra ID. Read from the process environment only, never from
 * local.settings.json (a settings file found in a checkout must not be able to send an administrator's
 * token elsewhere), and only https origins on a loopback address are accepted. Empty in Azure.
 */
export function readEmulatorOrigins(processEnv: Env): readonly string[] {
  const raw = processEnv[EMULATOR_ORIGINS_SETTING]?.trim() ?? "";
  if (raw === "") return [];
  return raw.split(",").map((item, index) => {
    let url: URL;
    try {
      url = new URL(item.trim());
    } catch {
      throw new ConfigError(EMULATOR_ORIGINS_SETTING, `item ${index + 1} is not a URL`);
    }
    if (url.protocol !== "https:" || !LOOPBACK_HOST.test(url.hostname) || url.username !== "" || url.password !== "" || (url.pathname !== "/" && url.pathname !== "")) {
      throw new ConfigError(EMULATOR_ORIGINS_SETTING, `item ${index + 1} must be an https origin on this machine (https://127.0.0.1:<port>, https://localhost:<port>)`);
    }
    return url.origin;
  });
}

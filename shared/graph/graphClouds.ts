import { ConfigError } from "../domain/errors";

/**
 * Microsoft Graph in each national cloud (global, which includes GCC; US Government L4; US Government
 * L5 / DoD; China, operated by 21Vianet). A token is only ever sent to one of these, or to an emulator
 * origin the process environment names (see readEmulatorOrigins). The scope must name the same host.
 */
export const GRAPH_CLOUDS = [
  { name: "global", origin: "https://graph.microsoft.com" },
  { name: "usGovernment", origin: "https://graph.microsoft.us" },
  { name: "usGovernmentDoD", origin: "https://dod-graph.microsoft.us" },
  { name: "china", origin: "https://microsoftgraph.chinacloudapi.cn" },
] as const;

export interface GraphTarget {
  /** The origin every request goes to, and the only one a token is sent to. */
  readonly origin: string;
  /** The app-only scope of that cloud (an emulator poses as the global one). */
  readonly scope: string;
}

/** Where GRAPH_ENDPOINT points, once it is known to be Microsoft Graph or an emulator the process trusts. */
export function graphTarget(endpoint: string, emulatorOrigins: readonly string[]): GraphTarget {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new ConfigError("GRAPH_ENDPOINT", "is not a URL");
  }
  const cloud = GRAPH_CLOUDS.find((c) => c.origin === url.origin);
  if (cloud && url.pathname.replace(/\/+$/, "") === "") return { origin: cloud.origin, scope: `${cloud.origin}/.default` };
  if (emulatorOrigins.includes(url.origin)) return { origin: url.origin, scope: `${GRAPH_CLOUDS[0].origin}/.default` };
  throw new ConfigError(
    "GRAPH_ENDPOINT",
    `must be Microsoft Graph of a national cloud (${GRAPH_CLOUDS.map((c) => c.origin).join(", ")}); tokens are sent nowhere else. For a local emulator, name its origin in RESTOREWATCH_EMULATOR_ORIGINS in the process environment (not in local.settings.json)`,
  );
}

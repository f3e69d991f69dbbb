/**
 * APPLICATIONINSIGHTS_CONNECTION_STRING (`InstrumentationKey=…;IngestionEndpoint=https://…/;…`) and
 * APPLICATIONINSIGHTS_AUTHENTICATION_STRING (`Authorization=AAD;ClientId=<managed identity>`), read as
 * the Application Insights SDKs read them: keys case-insensitive, `;`-separated, unknown keys ignored.
 */
export interface IngestionTarget {
  readonly instrumentationKey: string;
  /** The ingestion origin and path prefix, without a trailing slash (`https://westeurope-5.in.applicationinsights.azure.com`). */
  readonly ingestionEndpoint: string;
}

export interface IngestionAuthentication {
  /** Entra ID (the v2.1 endpoint with a bearer token); false: the instrumentation key alone (v2). */
  readonly aad: boolean;
  /** The user-assigned managed identity to sign in with; absent: the system-assigned one. */
  readonly clientId?: string;
}

/** The SDKs' default when a connection string names no IngestionEndpoint. */
export const DEFAULT_INGESTION_ENDPOINT = "https://dc.services.visualstudio.com";
const IKEY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function keyValues(text: string): Map<string, string> {
  const pairs = new Map<string, string>();
  for (const part of text.split(";")) {
    const at = part.indexOf("=");
    if (at <= 0) continue;
    pairs.set(part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim());
  }
  return pairs;
}

/** The target of a connection string; throws a message naming the setting (never quoting it) when it is unusable. */
export function parseConnectionString(text: string): IngestionTarget {
  const pairs = keyValues(text);
  const instrumentationKey = pairs.get("instrumentationkey") ?? "";
  if (!IKEY.test(instrumentationKey)) throw new Error("APPLICATIONINSIGHTS_CONNECTION_STRING has no valid InstrumentationKey (a GUID)");
  const raw = pairs.get("ingestionendpoint") || DEFAULT_INGESTION_ENDPOINT;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error("APPLICATIONINSIGHTS_CONNECTION_STRING has an IngestionEndpoint that is not a URL");
  }
  if (url.protocol !== "https:") throw new Error("APPLICATIONINSIGHTS_CONNECTION_STRING's IngestionEndpoint must be https");
  if (url.search !== "" || url.username !== "" || url.password !== "") throw new Error("APPLICATIONINSIGHTS_CONNECTION_STRING's IngestionEndpoint must be a plain https URL");
  return { instrumentationKey, ingestionEndpoint: `${url.origin}${url.pathname.replace(/\/+$/, "")}` };
}

/** Absent or empty: the instrumentation key alone. `Authorization=AAD` (any case) turns Entra ID on. */
export function parseAuthenticationString(text: string | undefined): IngestionAuthentication {
  const pairs = keyValues(text ?? "");
  const aad = (pairs.get("authorization") ?? "").toLowerCase() === "aad";
  const clientId = pairs.get("clientid");
  return { aad, ...(aad && clientId && { clientId }) };
}

/** Application Insights' own ingestion hosts (public and sovereign clouds): the only ones a token goes to, emulators aside. */
export function isMicrosoftIngestionHost(hostname: string): boolean {
  return /(^|\.)(applicationinsights\.azure\.(com|us|cn)|services\.visualstudio\.com)$/i.test(hostname);
}

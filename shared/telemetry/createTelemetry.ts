import type { TokenCredential } from "@azure/core-auth";
import { errorMessage } from "../domain/errors";
import type { Logger } from "../domain/logger";
import { isMicrosoftIngestionHost, parseAuthenticationString, parseConnectionString, type IngestionAuthentication } from "./connectionString";
import { IngestionExporter } from "./ingestion";
import { TelemetryRecorder } from "./recorder";

export interface CreateTelemetryOptions {
  /** The app settings (APPLICATIONINSIGHTS_CONNECTION_STRING, APPLICATIONINSIGHTS_AUTHENTICATION_STRING, WEBSITE_SITE_NAME). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The credential for Entra ingestion, from the authentication string's identity (shared/identity builds it). */
  readonly credentialFor: (auth: IngestionAuthentication) => TokenCredential;
  /** Emulator origins trusted with tokens (readEmulatorOrigins); none in Azure. */
  readonly emulatorOrigins?: readonly string[];
  readonly log: Pick<Logger, "warn">;
}

/**
 * The recorder of this instance, from its settings. No connection string: records go nowhere. An
 * unusable one is a warning, not a failed run: telemetry never stops the alerts.
 */
export function createTelemetry(options: CreateTelemetryOptions): TelemetryRecorder {
  const { env, log } = options;
  const connectionString = env["APPLICATIONINSIGHTS_CONNECTION_STRING"]?.trim();
  if (!connectionString) return new TelemetryRecorder();
  const roleName = env["WEBSITE_SITE_NAME"]?.trim() || "restorewatch";
  try {
    const target = parseConnectionString(connectionString);
    const auth = parseAuthenticationString(env["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]);
    const origin = new URL(target.ingestionEndpoint).origin;
    // The managed identity's token goes to Application Insights' own hosts only (or a trusted local emulator).
    if (auth.aad && !isMicrosoftIngestionHost(new URL(origin).hostname) && !(options.emulatorOrigins ?? []).includes(origin)) {
      throw new Error(`its IngestionEndpoint host ${new URL(origin).host} is not an Application Insights host; no token is sent there`);
    }
    const exporter = new IngestionExporter(target, auth.aad ? { credential: options.credentialFor(auth) } : {});
    return new TelemetryRecorder({ exporter, instrumentationKey: target.instrumentationKey, roleName });
  } catch (error) {
    log.warn(`telemetry off: APPLICATIONINSIGHTS_CONNECTION_STRING unusable: ${errorMessage(error)}`);
    return new TelemetryRecorder();
  }
}

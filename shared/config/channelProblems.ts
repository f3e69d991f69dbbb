import { ConfigError } from "../domain/errors";

/**
 * A configured alert channel that cannot be used: left out of runs while the others carry on, its
 * alerts held in the outbox until it works. Never carries a setting's value (it may be a secret).
 */
export interface DisabledChannel {
  /** The channel's key, as in the alert records ("email", "teams"). */
  readonly name: string;
  /** The app setting at fault. */
  readonly setting: string;
  /** What is wrong, beginning with the setting's name. */
  readonly reason: string;
  /** What the operator should do. */
  readonly fix: string;
  /** Refused by the service at send time (not by reading the settings): only a delivery proves it works again. */
  readonly refusedAtSend?: true;
}

/** App Service's Key Vault reference syntax; a reference it could not resolve reaches the app as this text. */
const KEY_VAULT_REFERENCE = /^@Microsoft\.KeyVault\(/i;

/** A ConfigError that means the setting is an unresolved Key Vault reference. */
export class UnresolvedReferenceError extends ConfigError {
  constructor(setting: string) {
    super(setting, 'is a Key Vault reference that did not resolve (the setting still holds "@Microsoft.KeyVault(...)")');
    this.name = "UnresolvedReferenceError";
  }
}

/** Throws UnresolvedReferenceError for the first of these settings that still holds a Key Vault reference. */
export function failIfUnresolvedReference(read: (name: string) => string | undefined, settings: readonly string[]): void {
  const unresolved = settings.find((name) => KEY_VAULT_REFERENCE.test(read(name) ?? ""));
  if (unresolved !== undefined) throw new UnresolvedReferenceError(unresolved);
}

/** The channel `name` disabled by this configuration error, with what to do about it. */
export function disabledChannel(name: string, error: ConfigError): DisabledChannel {
  const fix =
    error instanceof UnresolvedReferenceError
      ? `Check that the function app's identity has the Key Vault Secrets User role on the vault and that the secret named in ${error.setting} exists (the portal shows the reference's status under the app's Environment variables); then restart the function app (App Service otherwise resolves the reference again within 24 hours).`
      : `Correct the app setting ${error.setting} (the function app restarts when a setting changes).`;
  return { name, setting: error.setting, reason: error.message, fix: `${fix} ${HELD}` };
}

/** A channel whose setting was refused at send time (e.g. ACS: sender domain not linked). */
export function refusedChannel(name: string, setting: string, error: string): DisabledChannel {
  return { name, setting, refusedAtSend: true, reason: `${setting} was refused by the channel: ${error}`, fix: `Correct ${setting} or the service it names (for email: link the sender's domain to the Communication Services resource). ${HELD}` };
}

const HELD = "Alerts for this channel are held and go out once it works.";

/** Where an alert stands on a channel, and what a send of it came to. */

/** Where one alert stands on one channel. */
export type DeliveryState = "pending" | "retrying" | "delivered" | "deadLettered" | "silenced";

export interface ChannelDelivery {
  readonly state: DeliveryState;
  readonly attempts: number;
  /** ISO time before which a retrying alert is not sent again. */
  readonly nextAttemptAt?: string;
  readonly deliveredAt?: string;
  /** The channel's id for the message (ACS operation id, HTTP status for Teams, file name). */
  readonly messageId?: string;
  readonly lastError?: string;
}

/** Result of one send of a group of alerts (one message, or one digest) on one channel. */
export type SendOutcome =
  | { readonly kind: "delivered"; readonly messageId?: string }
  /** Transient: try again later, no sooner than retryAfterInMs when the channel said so. */
  | { readonly kind: "retry"; readonly error: string; readonly retryAfterInMs?: number }
  /**
   * Permanent: retrying cannot help (bad request, unlinked domain, deleted flow). With `setting`, the
   * channel's configuration is what was refused: the delivery step holds the alerts (no attempt
   * counted) and disables the channel for the run, until that setting is fixed.
   */
  | { readonly kind: "deadLetter"; readonly error: string; readonly setting?: string };

import type { Alert } from "../alerts/alert";
import type { HealthNotice } from "../alerts/healthNotice";
import type { RateLimit } from "./rateLimit";

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
  /** Permanent: retrying cannot help (bad request, unlinked domain, deleted flow). */
  | { readonly kind: "deadLetter"; readonly error: string };

export interface SendContext {
  /** Stable id of this group of alerts on this channel, the same on every retry (idempotency key). */
  readonly groupKey: string;
  readonly log: (message: string) => void;
  readonly abortSignal?: AbortSignal;
}

export interface AlertChannel {
  /** Stable key stored in the alert record ("email", "teams", "file"). */
  readonly name: string;
  /** Sends one message about these alerts: one alert, or a digest when there are several. */
  send(alerts: readonly Alert[], context: SendContext): Promise<SendOutcome>;
  /** Sends restorewatch's own health notice ("cannot see your restore sessions", "recovered"). */
  sendNotice(notice: HealthNotice, context: SendContext): Promise<SendOutcome>;
  /** The channel's sending limit, kept across runs by the delivery step; absent: none. */
  readonly rateLimit?: RateLimit;
  /** Messages one send makes (email: one per 50 recipients); 1 when absent. */
  readonly messagesPerSend?: number;
}

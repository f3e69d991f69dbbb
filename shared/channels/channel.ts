import type { SendOutcome } from "../domain/delivery";
import type { Alert } from "../domain/alert";
import type { HealthNotice } from "../alerts/healthNotice";
import type { RateLimit } from "../config/rateLimit";

export interface SendContext {
  /** Stable id of this group of alerts on this channel, the same on every retry (idempotency key). */
  readonly groupKey: string;
  readonly log: (message: string) => void;
  readonly abortSignal?: AbortSignal;
}

export interface AlertChannel {
  /** Stable key stored in the alert record ("email", "teams", "file"; a route's receiver: "email:route-<name>"). */
  readonly name: string;
  /**
   * The send log entry whose rate limit this channel spends (letters, digits, '_'); its name when absent.
   * Every email receiver spends one budget ("email": ACS limits the subscription), each Teams receiver its own.
   */
  readonly budgetKey?: string;
  /** Sends one message about these alerts: one alert, or a digest when there are several. */
  send(alerts: readonly Alert[], context: SendContext): Promise<SendOutcome>;
  /** Sends restorewatch's own health notice ("cannot see your restore sessions", "recovered"). */
  sendNotice(notice: HealthNotice, context: SendContext): Promise<SendOutcome>;
  /** The channel's sending limit, kept across runs by the delivery step; absent: none. */
  readonly rateLimit?: RateLimit;
  /** Messages one send makes (email: one per 50 recipients); 1 when absent. */
  readonly messagesPerSend?: number;
}

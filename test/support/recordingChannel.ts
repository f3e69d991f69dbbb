import type { Alert } from "../../shared/domain/alert";
import type { HealthNotice } from "../../shared/alerts/healthNotice";
import type { AlertChannel, SendContext } from "../../shared/channels/channel";
import type { SendOutcome } from "../../shared/domain/delivery";
import type { RateLimit } from "../../shared/config/rateLimit";

/**
 * A channel for pipeline tests that records what it was asked to send. The real channels (ACS Email,
 * Teams) are tested against their emulators; this one isolates the pipeline's own decisions.
 */
export class RecordingChannel implements AlertChannel {
  readonly sent: { alerts: Alert[]; groupKey: string }[] = [];
  readonly notices: HealthNotice[] = [];
  /** Every send attempt (alerts or notice), whatever its outcome. */
  attempts = 0;
  private scripted: SendOutcome[] = [];

  constructor(
    readonly name: string = "recording",
    readonly rateLimit?: RateLimit,
  ) {}

  /** The next sends answer with these outcomes, in order; then "delivered" again. */
  answerNext(...outcomes: SendOutcome[]): void {
    this.scripted.push(...outcomes);
  }

  async send(alerts: readonly Alert[], context: SendContext): Promise<SendOutcome> {
    this.attempts++;
    const outcome = this.scripted.shift() ?? { kind: "delivered", messageId: `msg-${this.sent.length + 1}` };
    if (outcome.kind === "delivered") this.sent.push({ alerts: [...alerts], groupKey: context.groupKey });
    return outcome;
  }

  async sendNotice(notice: HealthNotice, _context: SendContext): Promise<SendOutcome> {
    this.attempts++;
    const outcome = this.scripted.shift() ?? { kind: "delivered", messageId: `notice-${this.notices.length + 1}` };
    if (outcome.kind === "delivered") this.notices.push(notice);
    return outcome;
  }

  /** Ids of every alert delivered so far, in order. */
  deliveredIds(): string[] {
    return this.sent.flatMap((s) => s.alerts.map((a) => a.id));
  }
}

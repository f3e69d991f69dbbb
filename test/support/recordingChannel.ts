import type { Alert } from "../../shared/alerts/alert";
import type { AlertChannel, SendContext, SendOutcome } from "../../shared/channels/channel";

/**
 * A channel for pipeline tests that records what it was asked to send. The real channels (ACS Email,
 * Teams) are tested against their emulators; this one isolates the pipeline's own decisions.
 */
export class RecordingChannel implements AlertChannel {
  readonly sent: { alerts: Alert[]; groupKey: string }[] = [];
  private scripted: SendOutcome[] = [];

  constructor(readonly name: string = "recording") {}

  /** The next sends answer with these outcomes, in order; then "delivered" again. */
  answerNext(...outcomes: SendOutcome[]): void {
    this.scripted.push(...outcomes);
  }

  async send(alerts: readonly Alert[], context: SendContext): Promise<SendOutcome> {
    const outcome = this.scripted.shift() ?? { kind: "delivered", messageId: `msg-${this.sent.length + 1}` };
    if (outcome.kind === "delivered") this.sent.push({ alerts: [...alerts], groupKey: context.groupKey });
    return outcome;
  }

  /** Ids of every alert delivered so far, in order. */
  deliveredIds(): string[] {
    return this.sent.flatMap((s) => s.alerts.map((a) => a.id));
  }
}

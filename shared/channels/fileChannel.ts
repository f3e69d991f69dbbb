import { mkdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Alert } from "../domain/alert";
import { renderHealthEmail, type HealthNotice } from "../alerts/healthNotice";
import { renderEmail } from "../alerts/renderEmail";
import { errorMessage } from "../domain/errors";
import type { AlertChannel, SendContext } from "./channel";
import type { SendOutcome } from "../domain/delivery";

/**
 * Writes each message into a folder for the local run: `<time>-<groupKey>.json` (the alerts), `.html`
 * (the email body) and `.txt` (subject and plain text). The time is the earliest recordedAt of the
 * alerts, so a retry of the same group rewrites the same files.
 */
export class FileChannel implements AlertChannel {
  readonly name = "file";

  constructor(private readonly dir: string) {}

  async send(alerts: readonly Alert[], context: SendContext): Promise<SendOutcome> {
    return this.write(fileBaseName(alerts, context.groupKey), alerts, renderEmail(alerts), context);
  }

  async sendNotice(notice: HealthNotice, context: SendContext): Promise<SendOutcome> {
    const stamp = notice.at.replace(/\.\d{3}Z$/, "Z").replace(/[-:]/g, "");
    return this.write(`${stamp}-health-${notice.kind}${notice.channel ? `-${notice.channel}` : ""}`, notice, renderHealthEmail(notice), context);
  }

  private async write(baseName: string, data: unknown, email: { subject: string; html: string; plainText: string }, context: SendContext): Promise<SendOutcome> {
    try {
      await mkdir(this.dir, { recursive: true });
      await writeAtomically(path.join(this.dir, `${baseName}.json`), `${JSON.stringify(data, null, 2)}\n`);
      await writeAtomically(path.join(this.dir, `${baseName}.html`), email.html);
      await writeAtomically(path.join(this.dir, `${baseName}.txt`), `Subject: ${email.subject}\n\n${email.plainText}`);
    } catch (error) {
      return { kind: "retry", error: `writing ${baseName} to the outbox folder failed: ${errorMessage(error)}` };
    }
    context.log(`file: wrote ${baseName}.{json,html,txt} to ${this.dir}`);
    return { kind: "delivered", messageId: baseName };
  }
}

/** `20260714T110233Z-<groupKey>`, safe on every file system. */
export function fileBaseName(alerts: readonly Alert[], groupKey: string): string {
  const times = alerts.map((alert) => Date.parse(alert.recordedAt)).filter((time) => !Number.isNaN(time));
  const earliest = times.length > 0 ? new Date(Math.min(...times)) : new Date(0);
  const stamp = earliest.toISOString().replace(/\.\d{3}Z$/, "Z").replace(/[-:]/g, "");
  const key = groupKey.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 100);
  return `${stamp}-${key}`;
}

/** Write then rename, so a crash never leaves half a file under the final name. */
async function writeAtomically(file: string, content: string): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, content, "utf8");
  await rename(temporary, file);
}

import type { TokenCredential } from "@azure/core-auth";
import { TableClient } from "@azure/data-tables";
import type { AlertChannel } from "../../shared/channels/channel";
import { EmailChannel, type EmailChannelOptions } from "../../shared/channels/emailChannel";
import { TeamsChannel } from "../../shared/channels/teamsChannel";
import { validateTeamsWebhookUrl } from "../../shared/config/teamsWebhookUrl";
import { runPoll, type PollDeps, type PollSummary } from "../../shared/pipeline/poll";
import { AcsEmailEmulator } from "../../local/emulators/acsEmailEmulator";
import type { EmulatedArtifact, EmulatedSession } from "../../local/emulators/graph/graphEmulator";
import { TeamsReceiver } from "../../local/emulators/teamsReceiver";
import type { AzuriteTable } from "../../local/emulators/azurite";
import { FaultProxy } from "../support/faultProxy";
import { readRows, startHarness, type Harness, type HarnessOptions } from "../support/pipelineHarness";
import { loadTestTls } from "../../local/emulators/tls";

/** A sender on a custom domain: ACS's managed-domain limit (5 a minute) would hold alerts back across the runs of a test. */
export const SENDER = "alerts@contoso.com";
export const RECIPIENTS = ["backup-admins@contoso.com"];

/**
 * Settings every fault test runs with. HEALTH_ALERT_AFTER is high so that several failed runs in a
 * row raise no health notice (the invariant checks ignore notices anyway); no stuck alerts while the
 * test clock jumps ahead.
 */
export const FAULT_ENV: Readonly<Record<string, string>> = { HEALTH_ALERT_AFTER: "100", ALERT_STUCK_AFTER: "off", DELIVERY_MAX_ATTEMPTS: "10" };

/**
 * Channel timings for in-process runs: fast polling, and deadlines generous enough that a loaded CI
 * machine never trips them by accident; tests of a timeout shorten them (FaultRigOptions).
 */
export const EMAIL_OPTIONS: EmailChannelOptions = { pollIntervalInMs: 10, operationWaitInMs: 10_000, requestTimeoutInMs: 15_000 };
export const TEAMS_TIMEOUT_IN_MS = 10_000;

/**
 * Table client retries as the SDK does them (3 retries on 5xx, 408 and network errors), with short
 * delays so an outage costs milliseconds instead of the SDK's default 0.8 s, 1.6 s, 3.2 s.
 */
const TABLE_RETRY = { maxRetries: 3, retryDelayInMs: 20, maxRetryDelayInMs: 200 } as const;

export interface FaultRig {
  readonly harness: Harness;
  readonly proxy: FaultProxy;
  readonly acs: AcsEmailEmulator;
  readonly teams: TeamsReceiver;
  readonly channels: readonly AlertChannel[];
  /** Settings for the real CLI in a child process (the table through the proxy). */
  readonly env: Record<string, string>;
  /** The test clock: each run happens at `now`; advance() moves it (delivery backoff without sleeping). */
  now: Date;
  advance(ms: number): Date;
  /** A fresh set of parts, as a new function instance builds them, with the table reached through the proxy. */
  deps(overrides?: { credential?: TokenCredential; now?: Date }): PollDeps;
  run(overrides?: { credential?: TokenCredential; now?: Date }): Promise<PollSummary>;
  /** Every row of the state table, read straight from Azurite (not through the proxy). */
  rows(): Promise<Record<string, unknown>[]>;
  stop(): Promise<void>;
}

export interface FaultRigOptions extends HarnessOptions {
  readonly acsRunningPolls?: number;
  /** Deadline of the email channel's requests (a test of an ACS timeout shortens it). */
  readonly emailRequestTimeoutInMs?: number;
  /** Deadline of a Teams post (a test of a Teams timeout shortens it). */
  readonly teamsTimeoutInMs?: number;
}

/** Azurite behind a fault proxy, the Graph, ACS and Teams emulators, and the real pipeline with the real channels. */
export async function startFaultRig(azurite: AzuriteTable, options: FaultRigOptions = {}): Promise<FaultRig> {
  const proxy = await FaultProxy.start({ port: azurite.port });
  const tls = loadTestTls();
  const acs = await AcsEmailEmulator.start({ tls, retryAfterSeconds: 0, runningPolls: options.acsRunningPolls ?? 0 });
  const teams = await TeamsReceiver.start({ tls });
  const storage = proxy.connectionStringFor(azurite.connectionString);
  const { acsRunningPolls: _polls, emailRequestTimeoutInMs: _email, teamsTimeoutInMs: _teams, ...harnessOptions } = options;
  const harness = await startHarness(azurite, { ...harnessOptions, env: { ...FAULT_ENV, AzureWebJobsStorage: storage, ...options.env } });
  const channels: AlertChannel[] = [
    new EmailChannel({ connectionString: acs.connectionString, from: SENDER, to: RECIPIENTS }, { ...EMAIL_OPTIONS, ...(options.emailRequestTimeoutInMs && { requestTimeoutInMs: options.emailRequestTimeoutInMs }) }),
    new TeamsChannel({ webhookUrl: validateTeamsWebhookUrl(teams.url, ["127.0.0.1"]) }, { timeoutInMs: options.teamsTimeoutInMs ?? TEAMS_TIMEOUT_IN_MS }),
  ];
  const table = (): TableClient => TableClient.fromConnectionString(storage, harness.tableName, { allowInsecureConnection: true, retryOptions: TABLE_RETRY });
  const env: Record<string, string> = {
    ...harness.env,
    ACS_CONNECTION_STRING: acs.connectionString,
    ALERT_EMAIL_FROM: SENDER,
    ALERT_EMAIL_TO: RECIPIENTS.join(","),
    TEAMS_WEBHOOK_URL: teams.url,
    TEAMS_WEBHOOK_ALLOWED_HOSTS: "127.0.0.1",
  };
  const rig: FaultRig = {
    harness,
    proxy,
    acs,
    teams,
    channels,
    env,
    now: new Date(),
    advance(ms) {
      rig.now = new Date(rig.now.getTime() + ms);
      return rig.now;
    },
    deps(overrides = {}) {
      const at = overrides.now ?? rig.now;
      return { ...harness.deps({ channels, now: () => at, ...(overrides.credential && { credential: overrides.credential }) }), table: table() };
    },
    run: (overrides = {}) => runPoll(rig.deps(overrides), { log: harness.log }),
    rows: () => readRows(harness.table()),
    async stop() {
      await harness.stop();
      await Promise.all([proxy.stop(), acs.stop(), teams.stop()]);
    },
  };
  return rig;
}

/** A failed mailbox, site or drive, as Graph lists it. */
export function failedArtifact(id: string): EmulatedArtifact {
  return { id, status: "failed", name: `Restored ${id}`, error: { code: "ArtifactCannotBeRestored", message: `Restore of ${id} failed.` } };
}

/** Sessions in flight (to fail later) and completed ones (never alerted), spread over the workloads. */
export function seedSessions(rig: FaultRig, inFlight: number, completed = 2): EmulatedSession[] {
  const workloads = ["exchange", "sharePoint", "oneDrive"] as const;
  const sessions = Array.from({ length: inFlight }, (_, i) =>
    rig.harness.graph.createSession({ workload: workloads[i % 3] ?? "exchange", status: "active", artifacts: [{ id: `a${i}`, status: "inProgress" }] }),
  );
  for (let i = 0; i < completed; i++) rig.harness.graph.createSession({ workload: workloads[i % 3] ?? "exchange", status: "completed", artifacts: [{ id: `c${i}`, status: "succeeded" }] });
  return sessions;
}

/** Makes these sessions fail in Graph; returns the alert ids restorewatch must record for them. */
export function failSessions(rig: FaultRig, sessions: readonly EmulatedSession[]): string[] {
  for (const session of sessions) rig.harness.graph.updateSession(session.id, { status: "failed", artifacts: [failedArtifact(`${session.id.slice(0, 8)}-item`)] });
  return sessions.map((session) => `${session.id}_failed`);
}

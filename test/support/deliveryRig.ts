import { expect } from "vitest";
import type { AlertChannel } from "../../shared/channels/channel";
import { EmailChannel } from "../../shared/channels/emailChannel";
import { TeamsChannel } from "../../shared/channels/teamsChannel";
import { runPoll, type PollOptions, type PollSummary } from "../../shared/pipeline/poll";
import { loadConfig, type Config } from "../../shared/config/config";
import { Outbox } from "../../shared/state/outbox";
import { newTableCounters } from "../../shared/state/tableClient";
import { teamsMessageProblems } from "../alerts/adaptiveCardCheck";
import { ACS_AUDIENCE, AcsEmailEmulator } from "../../local/emulators/acsEmailEmulator";
import type { AzuriteTable } from "../../local/emulators/azurite";
import { TEST_TENANT_ID, TokenIssuer } from "../../local/emulators/tokens";
import { TeamsReceiver } from "../../local/emulators/teamsReceiver";
import { loadTestTls } from "../../local/emulators/tls";
import { startHarness, type Harness, type HarnessOptions } from "./pipelineHarness";
import type { TelemetryRecorder } from "../../shared/telemetry/recorder";
import type { SecretReader } from "../../shared/identity/keyVaultSecrets";

/**
 * The whole path an admin depends on, for a test to drive: Graph emulator → pipeline → Azurite outbox
 * → the real ACS Email and Teams channels → the ACS emulator and the Workflows receiver, with a clock
 * the test moves. Every card the rig received is checked, when it stops, to parse cleanly and fit Teams.
 */
export const CUSTOM_SENDER = "alerts@contoso.com";

export interface Rig {
  readonly h: Harness;
  readonly acs: AcsEmailEmulator;
  readonly teams: TeamsReceiver;
  readonly clock: { now: number };
  readonly acsCredential: ReturnType<TokenIssuer["credential"]>;
  readonly env: Record<string, string>;
  poll(options?: PollOptions): Promise<PollSummary>;
  /** A failed SharePoint (by default) session with failed sites. */
  fail(workload?: "exchange" | "sharePoint" | "oneDrive"): string;
  /** Email sends the ACS emulator accepted (repeats of an operation id not counted) and Teams posts it answered 2xx. */
  delivered(): { emails: number; teamsPosts: number };
  deliveries(): Promise<Map<string, Record<string, { state: string; attempts: number; lastError?: string }>>>;
  /**
   * The settings as a restarted app would read them: these changes over the rig's env (undefined
   * removes a setting). Later polls build their channels from this configuration.
   */
  reconfigure(changes: Record<string, string | undefined>): Config;
  /** The configuration later polls run with. */
  config(): Config;
}

export interface DeliveryRigOptions {
  readonly sender?: string;
  readonly managedDomainLimits?: boolean;
  readonly env?: Record<string, string>;
  /** The harness's Graph emulator options and the roles of its tokens. */
  readonly harness?: Omit<HarnessOptions, "env">;
  /** Takes the run's records and every channel's, Graph's and Table Storage's dependencies. */
  readonly telemetry?: TelemetryRecorder;
  /** Reads routes' Teams webhooks (a KeyVaultSecrets on the Key Vault emulator, with a token for its audience). */
  readonly routeSecrets?: SecretReader;
}

export async function startDeliveryRig(azurite: AzuriteTable, running: { stop(): Promise<void> }[], options: DeliveryRigOptions = {}): Promise<Rig> {
  // Bearer auth for ACS: the emulator's rate windows follow this clock, and HMAC would check x-ms-date against it.
  const clock = { now: Date.now() };
  const tls = loadTestTls();
  const acsIssuer = new TokenIssuer();
  const acs = await AcsEmailEmulator.start({ tls, issuer: acsIssuer, retryAfterSeconds: 0, managedDomainLimits: options.managedDomainLimits ?? false, now: () => clock.now });
  const teams = await TeamsReceiver.start({ tls });
  running.push(acs, teams);
  const env = {
    ACS_ENDPOINT: acs.endpoint,
    ALERT_EMAIL_FROM: options.sender ?? CUSTOM_SENDER,
    ALERT_EMAIL_TO: "backup-admins@contoso.com",
    TEAMS_WEBHOOK_URL: teams.url,
    TEAMS_WEBHOOK_ALLOWED_HOSTS: "127.0.0.1",
    ...options.env,
  };
  const h = await startHarness(azurite, { ...options.harness, env });
  running.push(h);
  // Every card any test of this file produced must parse cleanly and fit Teams' limit.
  running.push({
    stop: async () => {
      for (const post of teams.posts) {
        expect(teamsMessageProblems(post.body)).toEqual([]);
        expect(post.bytes).toBeLessThan(28 * 1024);
      }
    },
  });
  const acsCredential = acsIssuer.credential({ audience: ACS_AUDIENCE });
  let config = h.config;
  const channels = (): AlertChannel[] => {
    const { email, teams: teamsConfig } = config.channels;
    const recorded = options.telemetry ? { dependencies: options.telemetry } : {};
    return [
      ...(email ? [new EmailChannel(email, { credential: acsCredential, pollIntervalInMs: 10, operationWaitInMs: 2_000, requestTimeoutInMs: 5_000, ...recorded })] : []),
      ...(teamsConfig ? [new TeamsChannel(teamsConfig, { timeoutInMs: 2_000, ...recorded })] : []),
    ];
  };
  let sequence = 0;
  return {
    h,
    acs,
    teams,
    clock,
    acsCredential,
    env: h.env,
    poll: (pollOptions) =>
      runPoll({ ...h.deps({ config, channels: channels(), now: () => new Date(clock.now), ...(options.telemetry && { telemetry: options.telemetry }) }), ...(options.routeSecrets && { routeSecrets: options.routeSecrets }) }, { log: h.log, ...pollOptions }),
    reconfigure: (changes) => {
      const env: Record<string, string> = { ...h.env };
      for (const [name, value] of Object.entries(changes)) {
        if (value === undefined) delete env[name];
        else env[name] = value;
      }
      config = loadConfig(env, { requireChannel: false });
      return config;
    },
    config: () => config,
    fail: (workload = "sharePoint") => {
      sequence++;
      const session = h.graph.createSession({
        workload,
        status: "failed",
        artifacts: [
          { id: `item-${sequence}-a`, status: "failed", name: `Item ${sequence} A`, error: { code: "ArtifactCannotBeRestored", message: `Item ${sequence} A failed.` } },
          { id: `item-${sequence}-b`, status: "succeeded" },
        ],
      });
      return session.id;
    },
    delivered: () => ({ emails: acs.messages.length, teamsPosts: teams.posts.filter((p) => typeof p.answeredWith === "number" && p.answeredWith < 300).length }),
    deliveries: async () => {
      const outbox = new Outbox(h.table(), TEST_TENANT_ID, newTableCounters());
      return new Map((await outbox.listAll()).alerts.map((stored) => [stored.alert.id, stored.deliveries as Record<string, { state: string; attempts: number; lastError?: string }>]));
    },
  };
}


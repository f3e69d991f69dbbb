import { Outbox } from "../../state/outbox";
import { RunMetaStore } from "../../state/runMeta";
import { DEPLOYMENT_PARTITION } from "../../domain/tenant";
import { TenantLeases, type FanoutRow } from "../../state/tenantLease";
import type { CliCommand } from "./command";
import { EXIT } from "./exitCodes";
import { openState } from "./stateAccess";
import { channelStates, formatChannelState } from "./channelStates";

export const statusCommand: CliCommand = {
  name: "status",
  usage: "status [--json]",
  summary: "last runs, channels, pending and dead-lettered alerts",
  help: `Shows the tenant's last run and last success, consecutive failed runs, each alert channel (usable,
or disabled with the setting at fault, as the app's last run found it or these settings say, and its
alerts pending or held), and every alert not yet
delivered on all channels (retrying or dead-lettered), with its attempts and last error, the
alert rows that failed re-validation (quarantined: never sent), and, with tenants recorded, each
tenant poll that ended in the poison queue (tenant-poll-poison).

  --json   print it as JSON

Settings: the state storage (AzureWebJobsStorage or STATE_STORAGE, STATE_TABLE), AZURE_CLIENT_ID for
identity-based storage, GRAPH_TENANT_ID (else the tenant of your sign-in); the channel settings, if
set, add the channels configured here.`,
  options: { json: { type: "boolean" } },
  async run({ values }, io) {
    const { table, tenantId, counters } = await openState(io);
    const { meta: own } = await new RunMetaStore(table, tenantId, counters).read();
    // With many tenants, what was told of the channels is the deployment's (channelHealth): shown first.
    const { meta: deployment } = await new RunMetaStore(table, DEPLOYMENT_PARTITION, counters).read();
    const remembered = [...(deployment.disabledChannels ?? []), ...(own.disabledChannels ?? []).filter((m) => !deployment.disabledChannels?.some((d) => d.name === m.name))];
    const meta = remembered.length > 0 ? { ...own, disabledChannels: remembered } : own;
    const { alerts, untrusted } = await new Outbox(table, tenantId, counters).listAll();
    const open = alerts.filter((s) => Object.values(s.deliveries).some((d) => d.state !== "delivered" && d.state !== "silenced"));
    const quarantined = untrusted.map((row) => ({ rowKey: row.rowKey, reason: row.reason, quarantined: row.quarantined !== undefined }));
    const { channels, settingsError } = channelStates(io.env, meta, alerts);
    const poisoned = (await new TenantLeases(table).list()).filter((row) => row.poisonAt !== undefined);
    if (values["json"]) {
      const tenantPollPoison = poisoned.map(({ etag: _etag, ...row }) => row);
      io.out(JSON.stringify({ tenantId, meta, channels, ...(settingsError !== undefined && { channelSettingsError: settingsError }), alerts: open.map((s) => ({ id: s.alert.id, recordedAt: s.alert.recordedAt, deliveries: s.deliveries })), quarantined, ...(poisoned.length > 0 && { tenantPollPoison }) }, null, 2));
      return EXIT.ok;
    }
    io.out(`tenant ${tenantId}: last run ${meta.lastRunAt ?? "never"}, last success ${meta.lastSuccessAt ?? "never"}, consecutive failures ${meta.consecutiveFailures}${meta.lastError ? ` (last error: ${meta.lastError})` : ""}`);
    io.out(`channels:${channels.length === 0 ? " none configured here or named by an alert" : ""}`);
    for (const channel of channels) io.out(formatChannelState(channel));
    if (settingsError !== undefined) io.out(`  (the channel settings here cannot be read: ${settingsError})`);
    io.out(`${alerts.length} alert record(s); ${open.length} not delivered everywhere:`);
    for (const stored of open) {
      const channels = Object.entries(stored.deliveries)
        .map(([name, d]) => `${name}=${d.state}${d.attempts ? `(${d.attempts} attempts${d.nextAttemptAt ? `, next ${d.nextAttemptAt}` : ""}${d.lastError ? `, ${d.lastError}` : ""})` : ""}`)
        .join(" ");
      io.out(`  ${stored.alert.id}  recorded ${stored.alert.recordedAt}  ${channels}`);
    }
    if (quarantined.length > 0) {
      io.out(`${quarantined.length} alert row(s) quarantined: they failed re-validation and are never sent (someone or something wrote them; look before you delete them):`);
      for (const row of quarantined) io.out(`  ${row.rowKey}  ${row.reason}${row.quarantined ? "" : " (quarantined on the next run)"}`);
    }
    if (poisoned.length > 0) io.out(`${poisoned.length} tenant poll(s) in tenant-poll-poison (failed every try):`);
    for (const row of poisoned) io.out(formatPoison(row));
    return EXIT.ok;
  },
};

function formatPoison(row: FanoutRow): string {
  const since = row.lastPolledAt !== undefined && row.lastPolledAt > (row.poisonAt ?? "") ? `; polled successfully since, at ${row.lastPolledAt}` : "";
  return `  tenant ${row.tenantId}  cycle ${row.poisonCycle ?? "?"}  poisoned ${row.poisonAt ?? "?"} after ${row.poisonDequeueCount !== undefined ? `${row.poisonDequeueCount} tries` : "every try failed"}${row.lastError ? `, last error: ${row.lastError}` : ""}${row.poisonNotifiedAt ? "" : " (health notice not sent yet)"}${since}`;
}

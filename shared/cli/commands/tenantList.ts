import type { TableClient } from "@azure/data-tables";
import type { WatchedTenant } from "../../domain/tenant";
import { RunMetaStore, type RunMeta } from "../../state/runMeta";
import { newTableCounters } from "../../state/tableClient";
import type { CliCommand } from "./command";
import { EXIT } from "./exitCodes";
import { openTenants } from "./tenantAccess";

/** Run rows read at once: one point read per tenant. */
const READ_CONCURRENCY = 8;

interface TenantLine {
  readonly tenant: WatchedTenant;
  /** The tenant's run row; absent: never run (or not readable: `error`). */
  readonly meta?: RunMeta;
  readonly error?: string;
}

export const tenantListCommand: CliCommand = {
  name: "tenant list",
  usage: "tenant list [--json]",
  summary: "the watched tenants: label, id, paused, last run and its outcome",
  help: `Lists the recorded customer tenants by id: label, tenant id, active or paused, and from each
tenant's run row its last run and outcome (ok, or failed with the error and the failures in a row).
With no tenant recorded, restorewatch watches its home tenant only (restorewatch status).

  --json   print it as JSON

Settings: the state storage (AzureWebJobsStorage or STATE_STORAGE, STATE_TABLE; AZURE_CLIENT_ID for
identity-based storage).`,
  options: { json: { type: "boolean" } },
  async run({ values }, io) {
    const { table, tenants } = await openTenants(io);
    const lines = await withRunMeta(table, await tenants.list());
    if (values["json"]) {
      io.out(JSON.stringify(lines.map(({ tenant, meta, error }) => ({ ...tenant, ...(meta && { lastRun: meta }), ...(error !== undefined && { lastRunUnreadable: error }) })), null, 2));
      return EXIT.ok;
    }
    if (lines.length === 0) {
      io.out("no tenant recorded: restorewatch watches its home tenant only (add one with restorewatch tenant add <tenantId> --name <label>)");
      return EXIT.ok;
    }
    const width = Math.min(40, Math.max(5, ...lines.map((l) => l.tenant.name.length)));
    io.out(`${"LABEL".padEnd(width)}  ${"TENANT ID".padEnd(36)}  ${"STATE".padEnd(6)}  LAST RUN`);
    for (const line of lines) io.out(`${line.tenant.name.padEnd(width)}  ${line.tenant.tenantId}  ${(line.tenant.paused ? "paused" : "active").padEnd(6)}  ${lastRun(line)}`);
    return EXIT.ok;
  },
};

/** Each tenant with its run row, a few reads at a time. */
async function withRunMeta(table: TableClient, tenants: readonly WatchedTenant[]): Promise<TenantLine[]> {
  const lines: TenantLine[] = [];
  const counters = newTableCounters();
  for (let i = 0; i < tenants.length; i += READ_CONCURRENCY) {
    const batch = tenants.slice(i, i + READ_CONCURRENCY);
    lines.push(
      ...(await Promise.all(
        batch.map(async (tenant): Promise<TenantLine> => {
          try {
            const { meta } = await new RunMetaStore(table, tenant.tenantId, counters).read();
            return meta.lastRunAt === undefined ? { tenant } : { tenant, meta };
          } catch (error) {
            return { tenant, error: error instanceof Error ? error.message : String(error) };
          }
        }),
      )),
    );
  }
  return lines;
}

function lastRun(line: TenantLine): string {
  if (line.error !== undefined) return `(run row unreadable: ${line.error.slice(0, 200)})`;
  const meta = line.meta;
  if (!meta?.lastRunAt) return "never";
  if (meta.consecutiveFailures === 0) return `${meta.lastRunAt} ok`;
  return `${meta.lastRunAt} failed (${meta.consecutiveFailures} in a row${meta.lastError ? `: ${meta.lastError.slice(0, 200)}` : ""})`;
}

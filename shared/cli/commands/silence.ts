import { KNOWN_WORKLOADS } from "../../domain/restoreSession";
import { SilenceStore } from "../../state/silences";
import type { CliCommand } from "./command";
import { EXIT, UsageError } from "./exitCodes";
import { openState } from "./stateAccess";

export const silenceCommand: CliCommand = {
  name: "silence",
  usage: "silence --workload <exchange|sharePoint|oneDrive> --until <ISO time> [--session <id>] [--comment <text>]",
  summary: "record matching alerts without sending them, until a time",
  help: `Adds a silence: until --until, alerts of the workload (and of --session, when given) are recorded with
the silence named in the record, but not sent. Give --workload, --session or both.

  --workload <w>    exchange, sharePoint or oneDrive (any case)
  --until <time>    ISO time, e.g. 2026-12-01T00:00:00Z
  --session <id>    one restore session only
  --comment <text>  why (kept with the silence)

Settings: as for status (the state storage and the tenant).`,
  options: { workload: { type: "string" }, until: { type: "string" }, session: { type: "string" }, comment: { type: "string" } },
  async run({ values }, io) {
    const until = values["until"] as string | undefined;
    const sessionId = values["session"] as string | undefined;
    const comment = values["comment"] as string | undefined;
    // Case-insensitive, as admins type it: sharepoint, SharePoint, onedrive...
    const workloadArg = values["workload"] as string | undefined;
    const workload = workloadArg === undefined ? undefined : KNOWN_WORKLOADS.find((name) => name.toLowerCase() === workloadArg.toLowerCase());
    if (workloadArg !== undefined && workload === undefined) throw new UsageError(`--workload must be one of ${KNOWN_WORKLOADS.join(", ")}`);
    if (workload === undefined && sessionId === undefined) throw new UsageError("silence needs --workload and/or --session");
    if (until === undefined || Number.isNaN(Date.parse(until))) throw new UsageError("--until must be an ISO time, e.g. 2026-12-01T00:00:00Z");
    const now = io.now?.() ?? new Date();
    if (Date.parse(until) <= now.getTime()) throw new UsageError("--until is in the past");
    const { table, tenantId, counters } = await openState(io);
    const created = await new SilenceStore(table, tenantId, counters).add(
      {
        until: new Date(until).toISOString(),
        ...(workload !== undefined && { workload }),
        ...(sessionId !== undefined && { sessionId }),
        ...(comment !== undefined && { comment }),
        createdBy: io.env["USER"] ?? "cli",
      },
      now,
    );
    io.out(`silence ${created.id} until ${created.until}: matching alerts are recorded but not sent`);
    return EXIT.ok;
  },
};

import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMMANDS, runCli } from "../../shared/cli/main";
import { createDirectoryState, directoryRoutes } from "../../local/emulators/graph/directoryRoutes";
import { GraphEmulator } from "../../local/emulators/graph/graphEmulator";
import { TokenIssuer } from "../../local/emulators/tokens";
import { startCli } from "../faults/cliProcess";
import { loadTestTls } from "../../local/emulators/tls";

async function cli(args: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (l) => out.push(l), err: (l) => err.push(l), env });
  return { code, out: out.join("\n"), err };
}

describe("restorewatch --help", () => {
  it.each(COMMANDS.map((c) => [c.name]))("%s --help prints its usage and the settings it reads, and exits 0, with no setting at all", async (name) => {
    for (const args of [[name, "--help"], [name, "-h"], ["help", name]]) {
      const { code, out, err } = await cli(args);
      expect({ code, err }).toEqual({ code: 0, err: [] });
      expect(out).toMatch(new RegExp(`^usage: restorewatch ${name}`));
      expect(out).toMatch(/Settings|Signs in as you/);
    }
  });

  it("lists every command; no command is usage (64), help is 0; an unknown option names the command's usage", async () => {
    const list = await cli(["help"]);
    expect(list.code).toBe(0);
    for (const command of COMMANDS) expect(list.out).toContain(`  ${command.name}`);
    expect((await cli([])).code).toBe(64);
    const bad = await cli(["status", "--colour"]);
    expect(bad.code).toBe(64);
    expect(bad.err).toEqual([expect.stringMatching(/^restorewatch: Unknown option '--colour' \(usage: restorewatch status \[--json\]\)$/)]);
    const missing = await cli(["retry"]);
    expect(missing).toMatchObject({ code: 64, err: [expect.stringContaining("usage: restorewatch retry <alertId>")] });
  });

  it("a command names the one setting it misses, in one line, and reads no other", async () => {
    // status needs the state storage only: no channel, no Graph setting.
    const status = await cli(["status"], { ALERT_ON_STATUSES: "not-read-by-status", GRAPH_MAX_RETRIES: "not-read-either" });
    expect(status.code).toBe(2);
    expect(status.err).toEqual(["restorewatch: AzureWebJobsStorage no state storage: set AzureWebJobsStorage to a connection string, or AzureWebJobsStorage__tableServiceUri for an identity-based connection"]);
    // test-alert needs a channel, not the state storage.
    const testAlert = await cli(["test-alert"]);
    expect(testAlert.code).toBe(2);
    expect(testAlert.err).toEqual([expect.stringMatching(/^restorewatch: ALERT_EMAIL_TO no alert channel is configured/)]);
  });

  it("grant-graph-permission takes exactly one of --principal-id and --app-id", async () => {
    for (const args of [[], ["--app-id"], ["--principal-id", "a", "--app-id", "b"], ["--object-id", "a"], ["a"]]) {
      const { code, err } = await cli(["grant-graph-permission", ...args]);
      expect({ code, args }).toEqual({ code: 64, args });
      expect(err).toEqual([expect.stringContaining("usage: restorewatch grant-graph-permission --principal-id <objectId> | --app-id <clientId>")]);
    }
  });

  it("grant-graph-permission grants only the permissions restorewatch uses", async () => {
    const { code, err } = await cli(["grant-graph-permission", "--principal-id", "5b0e2d7c-4a41-4f0e-9d7b-3e1c6a2f8b90", "--role", "Mail.Read"]);
    expect({ code, err }).toEqual({ code: 64, err: ["restorewatch: --role must be one of BackupRestore-Restore.Read.All, User.Read.All, Directory.Read.All"] });
  });

  it("takes --name value and --name=value alike", async () => {
    const spaced = await cli(["silence", "--workload", "exchange", "--until", "2000-01-01T00:00:00Z"]);
    const joined = await cli(["silence", "--workload=exchange", "--until=2000-01-01T00:00:00Z"]);
    // Both reach the same check (a time in the past), past argument parsing.
    expect(spaced).toEqual(joined);
    expect(joined.err).toEqual(["restorewatch: --until is in the past"]);
  });
});

describe("grant-graph-permission from a fresh shell", () => {
  const issuer = new TokenIssuer();
  const identity = { id: "5b0e2d7c-4a41-4f0e-9d7b-3e1c6a2f8b90", appId: "0f6a3c1e-2d4b-4c8a-9e7f-1b2d3c4e5f60", displayName: "id-restorewatch-fresh" };
  let graph: GraphEmulator;
  let bin: string;
  let azCalls: string;

  beforeAll(async () => {
    graph = await GraphEmulator.start({ tls: loadTestTls(), issuer, routes: [directoryRoutes(createDirectoryState([identity]))] });
    // The operator's `az login`: AzureCliCredential runs `az account get-access-token`; this az answers
    // as the Azure CLI does, with a token for a Privileged Role Administrator.
    bin = mkdtempSync(path.join(tmpdir(), "restorewatch-az-"));
    azCalls = path.join(bin, "calls.log");
    const { token, claims } = issuer.issue({ scp: "Application.Read.All AppRoleAssignment.ReadWrite.All" });
    const answer = JSON.stringify({ accessToken: token, expiresOn: new Date(claims.exp * 1000).toISOString(), expires_on: claims.exp, tenant: claims.tid, tokenType: "Bearer" });
    writeFileSync(path.join(bin, "az"), `#!/bin/sh\necho "$*" >> '${azCalls}'\ncat <<'JSON'\n${answer}\nJSON\n`);
    chmodSync(path.join(bin, "az"), 0o755);
  });
  afterAll(async () => {
    await graph.stop();
  });

  it("needs only the operator's sign-in: no storage, no channel, no local.settings.json", async () => {
    // PATH (with the az above), the test CA, GRAPH_ENDPOINT naming the emulator and the opt-in that
    // lets a token go to it; nothing else.
    const settings = { PATH: `${bin}:${process.env["PATH"] ?? ""}`, GRAPH_ENDPOINT: graph.url, RESTOREWATCH_EMULATOR_ORIGINS: graph.url };
    const first = startCli(["grant-graph-permission", `--principal-id=${identity.id}`], settings);
    expect(await first.exited, first.output()).toEqual({ code: 0, signal: null });
    expect(first.output()).toMatch(/^assigned \(assignment [\w-]+\)$/m);
    expect(readFileSync(azCalls, "utf8")).toMatch(/account get-access-token .*--resource https:\/\/graph\.microsoft\.com/);

    const again = startCli(["grant-graph-permission", "--principal-id", identity.id], settings);
    expect(await again.exited, again.output()).toEqual({ code: 0, signal: null });
    expect(again.output()).toMatch(/^already assigned \(assignment [\w-]+\); nothing to do$/m);
    expect(graph.requests.filter((r) => r.method === "POST")).toHaveLength(1);
    expect(graph.requests.every((r) => r.authorized)).toBe(true);

    // On request, the optional directory read that lets alerts name mailbox and OneDrive owners.
    const directory = startCli(["grant-graph-permission", "--principal-id", identity.id, "--role", "user.read.all"], settings);
    expect(await directory.exited, directory.output()).toEqual({ code: 0, signal: null });
    expect(directory.output()).toMatch(/app role User\.Read\.All is df021288-bdef-4463-88db-98f22de89214/);
    expect(directory.output()).toMatch(/^assigned \(assignment [\w-]+\)$/m);
    expect(graph.requests.filter((r) => r.method === "POST")).toHaveLength(2);
  }, 60_000);
});

import { mkdtempSync, writeFileSync } from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmailChannel } from "../../shared/channels/emailChannel";
import { createGraphApi } from "../../shared/graph/graphClient";
import { graphTarget } from "../../shared/graph/graphClouds";
import { listRestoreSessions } from "../../shared/graph/restoreSource";
import { GraphEmulator } from "../../local/emulators/graph/graphEmulator";
import type { GraphRoute } from "../../local/emulators/graph/graphRoutes";
import { ACS_AUDIENCE, AcsEmailEmulator } from "../../local/emulators/acsEmailEmulator";
import { TokenIssuer } from "../../local/emulators/tokens";
import { makeAlert } from "../alerts/alertFixtures";
import { startCli } from "../faults/cliProcess";
import { loadTestTls } from "../../local/emulators/tls";

/**
 * Tokens go only where they belong: Microsoft Graph of a national cloud (or an emulator the process
 * environment names), and ACS's configured endpoint. A listener stands in for a host that must never
 * see one: it records every request, and each test checks it received none.
 */
interface Listener {
  readonly url: string;
  readonly requests: { method: string; path: string; authorization?: string }[];
  stop(): Promise<void>;
}

async function startListener(): Promise<Listener> {
  const tls = loadTestTls();
  const requests: Listener["requests"] = [];
  const server = https.createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    requests.push({ method: req.method ?? "", path: req.url ?? "", ...(req.headers.authorization && { authorization: req.headers.authorization }) });
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"value":[]}');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("the operator's and the app's Graph token", () => {
  let listener: Listener;
  let bin: string;
  beforeAll(async () => {
    listener = await startListener();
    // The operator's `az login`: a token for a Privileged Role Administrator, as AzureCliCredential gets it.
    bin = mkdtempSync(path.join(tmpdir(), "restorewatch-az-"));
    const { token, claims } = new TokenIssuer().issue({ scp: "Application.Read.All AppRoleAssignment.ReadWrite.All" });
    writeFileSync(path.join(bin, "az"), `#!/bin/sh\ncat <<'JSON'\n${JSON.stringify({ accessToken: token, expiresOn: new Date(claims.exp * 1000).toISOString(), expires_on: claims.exp, tokenType: "Bearer" })}\nJSON\n`, { mode: 0o755 });
  });
  afterAll(async () => {
    await listener.stop();
  });

  /** A checkout whose local.settings.json points Graph at the listener, and even tries to opt in to it. */
  function checkoutNaming(url: string): string {
    const dir = mkdtempSync(path.join(tmpdir(), "restorewatch-checkout-"));
    const values = { GRAPH_ENDPOINT: url, RESTOREWATCH_EMULATOR_ORIGINS: url, AzureWebJobsStorage: "UseDevelopmentStorage=true", ALERT_OUTBOX_DIR: ".local/outbox" };
    writeFileSync(path.join(dir, "local.settings.json"), JSON.stringify({ IsEncrypted: false, Values: values }));
    return dir;
  }

  it.each([
    ["grant-graph-permission (the administrator's token)", ["grant-graph-permission", "--principal-id", "5b0e2d7c-4a41-4f0e-9d7b-3e1c6a2f8b90"]],
    ["poll (the app's token)", ["poll", "--once", "--dry-run"]],
  ])("%s: a listener named in local.settings.json receives nothing; the command names GRAPH_ENDPOINT and exits 2", async (_name, args) => {
    const cli = startCli(args, { PATH: `${bin}:${process.env["PATH"] ?? ""}` }, { cwd: checkoutNaming(listener.url) });
    expect(await cli.exited, cli.output()).toEqual({ code: 2, signal: null });
    expect(cli.output()).toMatch(/^restorewatch: GRAPH_ENDPOINT must be Microsoft Graph of a national cloud .* RESTOREWATCH_EMULATOR_ORIGINS in the process environment \(not in local\.settings\.json\)$/m);
    expect(listener.requests).toEqual([]);
  }, 60_000);

  it("the same host named in the process environment's opt-in is trusted: that is how the emulators work", async () => {
    const cli = startCli(["grant-graph-permission", "--principal-id", "5b0e2d7c-4a41-4f0e-9d7b-3e1c6a2f8b90"], { PATH: `${bin}:${process.env["PATH"] ?? ""}`, RESTOREWATCH_EMULATOR_ORIGINS: listener.url }, { cwd: checkoutNaming(listener.url) });
    await cli.exited;
    // It reached the listener (which is no Graph, so the grant itself fails), with the operator's token.
    expect(listener.requests.length).toBeGreaterThan(0);
    expect(listener.requests[0]?.authorization).toMatch(/^Bearer /);
    listener.requests.length = 0;
  }, 60_000);

  it("only Microsoft Graph of a national cloud, with that cloud's scope; an emulator origin only when listed", () => {
    expect(graphTarget("https://graph.microsoft.com", [])).toEqual({ origin: "https://graph.microsoft.com", scope: "https://graph.microsoft.com/.default" });
    expect(graphTarget("https://graph.microsoft.us/", [])).toEqual({ origin: "https://graph.microsoft.us", scope: "https://graph.microsoft.us/.default" });
    expect(graphTarget("https://dod-graph.microsoft.us", []).scope).toBe("https://dod-graph.microsoft.us/.default");
    expect(graphTarget("https://microsoftgraph.chinacloudapi.cn", []).scope).toBe("https://microsoftgraph.chinacloudapi.cn/.default");
    for (const endpoint of ["https://graph.microsoft.com.evil.example", "https://evil.example", "https://graph.microsoft.de", "https://canary.graph.microsoft.com", "https://127.0.0.1:8443", "https://graph.microsoft.com/relay"]) {
      expect(() => graphTarget(endpoint, []), endpoint).toThrow(/^GRAPH_ENDPOINT must be Microsoft Graph of a national cloud/);
    }
    expect(graphTarget("https://127.0.0.1:8443", ["https://127.0.0.1:8443"])).toEqual({ origin: "https://127.0.0.1:8443", scope: "https://graph.microsoft.com/.default" });
  });
});

describe("the app's Graph token follows no link off Graph", () => {
  it("an @odata.nextLink to another host is refused, and that host receives nothing", async () => {
    const listener = await startListener();
    const issuer = new TokenIssuer();
    const elsewhere: GraphRoute = (request) =>
      request.path === "/solutions/backupRestore/restoreSessions" ? { status: 200, body: { value: [], "@odata.nextLink": `${listener.url}/v1.0/solutions/backupRestore/restoreSessions?$skiptoken=x` } } : undefined;
    const graph = await GraphEmulator.start({ tls: loadTestTls(), issuer, routes: [elsewhere] });
    try {
      const api = createGraphApi({ endpoint: graph.url, emulatorOrigins: [graph.url], credential: issuer.credential({ roles: ["BackupRestore-Restore.Read.All"] }), maxRetries: 0, timeoutInMs: 5_000, counters: { requests: 0, bytesRead: 0, throttled: 0 } });
      const pages = listRestoreSessions(api);
      const error = await (async () => {
        for await (const _ of pages) void _;
      })().catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "UnexpectedLink" });
      expect(listener.requests).toEqual([]);
    } finally {
      await Promise.all([graph.stop(), listener.stop()]);
    }
  });
});

describe("the ACS token", () => {
  it("goes to the configured endpoint only: an operation-location on another origin is not followed", async () => {
    const listener = await startListener();
    const issuer = new TokenIssuer();
    const acs = await AcsEmailEmulator.start({ tls: loadTestTls(), issuer, retryAfterSeconds: 0, runningPolls: 1, operationLocationOrigin: listener.url });
    try {
      const credential = issuer.credential({ audience: ACS_AUDIENCE });
      const channel = new EmailChannel({ endpoint: acs.endpoint, from: "alerts@contoso.com", to: ["admins@contoso.com"] }, { credential, pollIntervalInMs: 10 });
      const first = await channel.send([makeAlert()], { groupKey: "g1", log: () => undefined });
      expect(first).toMatchObject({ kind: "retry", error: expect.stringContaining(`pointed to ${listener.url}`) });
      expect(listener.requests).toEqual([]);
      // The next attempt looks the operation up at the configured endpoint and finds it sent: no second email.
      const second = await channel.send([makeAlert()], { groupKey: "g1", log: () => undefined });
      expect(second.kind).toBe("delivered");
      expect(acs.messages).toHaveLength(1);
      expect(listener.requests).toEqual([]);
    } finally {
      await Promise.all([acs.stop(), listener.stop()]);
    }
  });
});

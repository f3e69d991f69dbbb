import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { ManagedIdentityEndpoint } from "../../local/emulators/managedIdentityEndpoint";
import { useAzurite } from "../support/useAzurite";
import { tableRequests } from "../support/faultProxy";
import { READ_ROLE } from "../support/pipelineHarness";
import { startCli, type CliProcess } from "./cliProcess";
import { failSessions, seedSessions, startFaultRig, type FaultRig } from "./faultRig";
import { alertRecords, expectNoStateAheadOfAlerts, expectRecovered } from "./invariants";

const azurite = useAzurite();
let rig: FaultRig | undefined;
let identity: ManagedIdentityEndpoint | undefined;
let cli: CliProcess | undefined;
afterEach(async () => {
  await cli?.kill();
  rig?.proxy.releaseHeld(false);
  await rig?.stop();
  await identity?.stop();
  rig = undefined;
  identity = undefined;
  cli = undefined;
});

/**
 * A tenant with a baseline (recorded in-process) and three sessions that have since failed, and the
 * real CLI about to run `poll --once` in a child process with the function's settings: the table
 * through the fault proxy, Graph through the app's managed identity (IDENTITY_ENDPOINT, as App Service
 * provides it), ACS by connection string and the Teams webhook.
 */
async function tenantWithFailures(): Promise<{ r: FaultRig; expected: string[]; childEnv: Record<string, string> }> {
  rig = await startFaultRig(azurite, { graph: { pageSize: 2 } });
  const clientId = randomUUID();
  identity = await ManagedIdentityEndpoint.start({ issuer: rig.harness.issuer, roles: [READ_ROLE], clientId });
  const sessions = seedSessions(rig, 3);
  await rig.run();
  const expected = failSessions(rig, sessions);
  const childEnv = { ...rig.env, AZURE_CLIENT_ID: clientId, IDENTITY_ENDPOINT: identity.endpoint, IDENTITY_HEADER: identity.secret };
  return { r: rig, expected, childEnv };
}

/** Waits for the wire to show the child reached a point; fails with its output if it exited first. */
async function reached<T>(point: Promise<T>, child: CliProcess): Promise<T> {
  const exitedEarly = child.exited.then(({ code, signal }) => {
    throw new Error(`the CLI exited (code ${code}, signal ${signal}) before reaching the kill point:\n${child.output()}`);
  });
  return Promise.race([point, exitedEarly]);
}

async function killAt(child: CliProcess): Promise<void> {
  const { signal } = await child.kill();
  expect(signal).toBe("SIGKILL");
}

/** Events on the emulators that have none to await: polled briefly. */
async function until(condition: () => boolean, what: string, child: CliProcess): Promise<void> {
  for (let waited = 0; !condition(); waited += 20) {
    if (child.child.exitCode !== null) throw new Error(`the CLI exited before ${what}:\n${child.output()}`);
    if (waited > 30_000) throw new Error(`timed out waiting until ${what}:\n${child.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("the process killed (SIGKILL) in the middle of a run", () => {
  it("after listing, before recording: nothing was written, the next run records and sends everything once", async () => {
    const { r, expected, childEnv } = await tenantWithFailures();
    const before = await r.rows();
    r.proxy.rule(tableRequests.batchWith("alert_"), { kind: "hold" }, { times: 1 });
    cli = startCli(["poll", "--once"], childEnv);
    await reached(r.proxy.next(tableRequests.batchWith("alert_"), "held", 30_000), cli);
    await killAt(cli);
    r.proxy.releaseHeld(false);

    const after = await r.rows();
    expect(after).toEqual(before);
    expect(r.harness.graph.requests.filter((q) => q.path.includes("RestoreArtifacts"))).toHaveLength(3);
    expect(identity?.requests.some((q) => q.clientId === childEnv["AZURE_CLIENT_ID"] && q.headerOk)).toBe(true);

    r.advance(5 * 60_000);
    expect((await r.run()).alertsRecorded).toBe(3);
    await expectRecovered(r, expected);
  });

  it("after recording the alerts, before sending: the next run sends the recorded alerts once", async () => {
    const { r, expected, childEnv } = await tenantWithFailures();
    r.proxy.rule(tableRequests.batchWith("alert_"), { kind: "holdResponse" }, { times: 1 });
    cli = startCli(["poll", "--once"], childEnv);
    await reached(r.proxy.next(tableRequests.batchWith("alert_"), "held", 30_000), cli);
    await killAt(cli);
    r.proxy.releaseHeld(false);

    const mid = await r.rows();
    expectNoStateAheadOfAlerts(mid);
    const records = alertRecords(mid);
    expect([...records.keys()].sort()).toEqual([...expected].sort());
    expect([...records.values()].every((record) => record.pending)).toBe(true);
    expect(r.acs.messages.length + r.teams.posts.length).toBe(0);

    r.advance(5 * 60_000);
    const summary = await r.run();
    expect(summary).toMatchObject({ alertsRecorded: 0, delivery: { alertsDelivered: 3 } });
    await expectRecovered(r, expected);
  });

  it("while ACS holds the accepted send's answer: the next run finds the operation and does not email again", async () => {
    const { r, expected, childEnv } = await tenantWithFailures();
    r.acs.failNext(1, { hangMs: 60_000 });
    cli = startCli(["poll", "--once"], childEnv);
    await until(() => r.acs.messages.length === 1, "ACS accepted the email", cli);
    await killAt(cli);

    const mid = await r.rows();
    expectNoStateAheadOfAlerts(mid);
    expect([...alertRecords(mid).values()].every((record) => record.deliveries["email"]?.state === "pending")).toBe(true);
    expect(r.teams.posts).toHaveLength(0);

    r.advance(5 * 60_000);
    await r.run();
    expect(r.acs.requests.filter((q) => q.method === "POST")).toHaveLength(1);
    await expectRecovered(r, expected);
  });

  it("between sending and marking sent: email is not sent again; Teams may repeat (the documented window)", async () => {
    const { r, expected, childEnv } = await tenantWithFailures();
    // The delivery marks are written after every channel had its turn: holding the first one parks the
    // process with the email accepted and the Teams post answered, nothing marked.
    r.proxy.rule(tableRequests.deliveryMarks(), { kind: "hold" }, { times: 1 });
    cli = startCli(["poll", "--once"], childEnv);
    await reached(r.proxy.next(tableRequests.deliveryMarks(), "held", 30_000), cli);
    expect(r.acs.messages).toHaveLength(1);
    expect(r.teams.posts.map((post) => post.answeredWith)).toEqual([202]);
    await killAt(cli);
    r.proxy.releaseHeld(false);

    const mid = await r.rows();
    expectNoStateAheadOfAlerts(mid);
    expect([...alertRecords(mid).values()].every((record) => record.pending && record.deliveries["email"]?.state === "pending")).toBe(true);

    r.advance(5 * 60_000);
    await r.run();
    // ACS was asked for the operation of the same group and recipients, and found it done.
    expect(r.acs.requests.filter((q) => q.method === "POST")).toHaveLength(1);
    expect(r.acs.messages).toHaveLength(1);
    await expectRecovered(r, expected, { teamsRepeatWindows: 1 });
  });
});

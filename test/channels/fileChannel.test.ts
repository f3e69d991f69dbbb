import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SendContext } from "../../shared/channels/channel";
import { fileBaseName, FileChannel } from "../../shared/channels/fileChannel";
import { makeAlert, makeDigest } from "../alerts/alertFixtures";

describe("FileChannel", () => {
  let dir: string;
  const lines: string[] = [];
  const context = (groupKey: string): SendContext => ({ groupKey, log: (line) => lines.push(line) });

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "restorewatch-outbox-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("writes the alerts, the email HTML and the text under <time>-<groupKey>", async () => {
    const alerts = [makeAlert()];
    const outcome = await new FileChannel(path.join(dir, "outbox")).send(alerts, context("3f2a1b9c"));
    expect(outcome).toEqual({ kind: "delivered", messageId: "20260714T110500Z-3f2a1b9c" });
    const folder = path.join(dir, "outbox");
    expect((await readdir(folder)).sort()).toEqual(["20260714T110500Z-3f2a1b9c.html", "20260714T110500Z-3f2a1b9c.json", "20260714T110500Z-3f2a1b9c.txt"]);
    expect(JSON.parse(await readFile(path.join(folder, "20260714T110500Z-3f2a1b9c.json"), "utf8"))).toEqual(alerts);
    expect(await readFile(path.join(folder, "20260714T110500Z-3f2a1b9c.html"), "utf8")).toMatch(/^<!DOCTYPE html>/);
    expect(await readFile(path.join(folder, "20260714T110500Z-3f2a1b9c.txt"), "utf8")).toMatch(/^Subject: \[restorewatch\] SharePoint restore failed: 3 of 5 sites\n\n/);
  });

  it("is idempotent per group: a retry overwrites the same files", async () => {
    const channel = new FileChannel(dir);
    const digest = makeDigest(3);
    const first = await channel.send(digest, context("group"));
    const second = await channel.send([...digest].reverse(), context("group"));
    expect(second).toEqual(first);
    expect(await readdir(dir)).toHaveLength(3);
  });

  it("keeps group keys file-system safe", () => {
    expect(fileBaseName([makeAlert()], "../../etc/passwd")).toBe("20260714T110500Z-______etc_passwd");
  });

  it("retries when the folder path is a file", async () => {
    const blocker = path.join(dir, "not-a-folder");
    await new FileChannel(dir).send([makeAlert()], context("x"));
    const [someFile] = await readdir(dir);
    const outcome = await new FileChannel(path.join(dir, someFile ?? blocker)).send([makeAlert()], context("group"));
    expect(outcome).toMatchObject({ kind: "retry", error: expect.stringMatching(/writing .* failed: .*(EEXIST|ENOTDIR)/) });
  });
});

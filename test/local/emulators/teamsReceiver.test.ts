import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadTestTls } from "../../../local/emulators/tls";
import { TEAMS_MAX_POST_BYTES, TeamsReceiver } from "../../../local/emulators/teamsReceiver";

const CARD = { type: "message", attachments: [{ contentType: "application/vnd.microsoft.card.adaptive", contentUrl: null, content: { type: "AdaptiveCard", version: "1.4", body: [] } }] };

describe("TeamsReceiver", () => {
  let receiver: TeamsReceiver;

  beforeEach(async () => {
    receiver = await TeamsReceiver.start({ tls: loadTestTls() });
  });
  afterEach(() => receiver.stop());

  const post = (body: string, url = receiver.url, signal?: AbortSignal): Promise<Response> =>
    fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body, ...(signal && { signal }) });

  it("has a Workflows-shaped URL with a sig, answers 202 with a run id and records the post", async () => {
    expect(receiver.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/workflows\/[0-9a-f]{32}\/triggers\/manual\/paths\/invoke\?api-version=1&.*sig=[\w-]+$/);
    const response = await post(JSON.stringify(CARD));
    expect(response.status).toBe(202);
    expect(response.headers.get("x-ms-workflow-run-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(receiver.posts).toEqual([{ body: CARD, bytes: JSON.stringify(CARD).length, contentType: "application/json", answeredWith: 202 }]);
  });

  it("refuses a missing or wrong sig and an unknown workflow, recording nothing", async () => {
    const noSig = new URL(receiver.url);
    noSig.searchParams.delete("sig");
    expect((await post("{}", noSig.href)).status).toBe(401);
    const wrongSig = new URL(receiver.url);
    wrongSig.searchParams.set("sig", "guess");
    expect((await post("{}", wrongSig.href)).status).toBe(401);
    expect((await post("{}", receiver.url.replace(receiver.workflowId, "0".repeat(32)))).status).toBe(404);
    expect(receiver.unauthorized).toBe(2);
    expect(receiver.posts).toHaveLength(0);
  });

  it("answers 400 to invalid JSON and 413 above about 28 KB", async () => {
    expect((await post("{not json")).status).toBe(400);
    const large = JSON.stringify({ ...CARD, padding: "x".repeat(TEAMS_MAX_POST_BYTES) });
    const tooLarge = await post(large);
    expect(tooLarge.status).toBe(413);
    expect(await tooLarge.text()).toContain("Request Entity Too Large");
  });

  it("answers scripted responses in order, then 202 again", async () => {
    receiver.respondWith(1, { status: 429, retryAfterSeconds: 9, body: "slow down" });
    receiver.respondWith(1, { status: 500 });
    const throttled = await post(JSON.stringify(CARD));
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get("retry-after")).toBe("9");
    expect(await throttled.text()).toBe("slow down");
    expect((await post(JSON.stringify(CARD))).status).toBe(500);
    expect((await post(JSON.stringify(CARD))).status).toBe(202);
    expect(receiver.posts.map((p) => p.answeredWith)).toEqual([429, 500, 202]);
  });

  it("hangs when told, and stop() closes the hanging socket", async () => {
    receiver.respondWith(1, { hang: true });
    const pending = post(JSON.stringify(CARD)).then(
      (response) => response.status,
      (error: unknown) => error,
    );
    await expect.poll(() => receiver.posts.length).toBe(1);
    expect(receiver.posts[0]?.answeredWith).toBe("hang");
    await receiver.stop();
    expect(await pending).toBeInstanceOf(Error);
    receiver = await TeamsReceiver.start({ tls: loadTestTls() });
  });
});

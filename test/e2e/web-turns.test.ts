import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { scriptLlm, startTestApp, type TestApp } from "../support/app.js";
import { lastUserText } from "../support/scripted-llm.js";
import { waitFor } from "../support/wait.js";

interface Event {
  type: string;
  messageId: string;
  thread: string;
  text?: string;
  failed?: boolean;
  error?: string;
}

/** Honest turn results over HTTP and the WebSocket: done means stored, failed says so, the same id sent again. */
describe("web console turns", () => {
  let t: TestApp;
  /** Model calls by the user text they answered. */
  const calls = new Map<string, number>();
  beforeAll(async () => {
    t = await startTestApp();
    scriptLlm(t.llm, async (request) => {
      const text = lastUserText(request);
      calls.set(text, (calls.get(text) ?? 0) + 1);
      if (/slow/.test(text)) await sleep(400);
      return { content: `Answer to ${text}` };
    });
  });
  afterAll(() => t.stop());

  async function watch(channel: string) {
    const ws = new WebSocket(`${t.app.url.replace("http", "ws")}/api/events?channel=${channel}`, { headers: t.auth });
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    const events: Event[] = [];
    ws.on("message", (data) => events.push(JSON.parse(String(data))));
    return { events, ws };
  }

  const history = async (thread: string) =>
    (await t.get(`/api/threads/${thread}/messages`)).json as { id: string; role: string; text: string; failed?: boolean }[];

  it("reports a failed turn as failed, and the same id sent again runs it again", async () => {
    const { events, ws } = await watch("turns");
    t.llm.mock.nextRequestError(500, { message: "upstream exploded", type: "server_error" });
    const body = { channel: "turns", user: "ada", text: "flaky one", id: "turn-fail-1" };
    const failed = await t.post("/api/chat", body);
    expect(failed.status).toBe(200);
    expect(failed.json).toMatchObject({ failed: true, reply: { text: expect.stringMatching(/^⚠️ I could not answer/) } });
    await waitFor(() => events.some((e) => e.type === "message.done"));
    expect(events.find((e) => e.type === "message.done")).toMatchObject({
      messageId: failed.json.reply.id,
      failed: true,
      error: expect.any(String),
    });
    expect((await history(failed.json.thread)).map((m) => [m.role, m.failed ?? false])).toEqual([
      ["user", false],
      ["assistant", true],
    ]);

    const again = await t.post("/api/chat", body);
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ thread: failed.json.thread, reply: { text: "Answer to ada: flaky one" } });
    expect(again.json.failed).toBeUndefined();
    expect((await history(failed.json.thread)).map((m) => [m.role, m.text.slice(0, 20)])).toEqual([
      ["user", "flaky one"],
      ["assistant", "⚠️ I could not answe"],
      ["assistant", "Answer to ada: flaky"],
    ]);
    ws.close();
  });

  it("answers a successful send sent again with the same reply, without a second turn", async () => {
    const body = { channel: "turns", user: "ada", text: "once only", id: "turn-ok-1" };
    const first = await t.post("/api/chat", body);
    const again = await t.post("/api/chat", body);
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ thread: first.json.thread, reply: first.json.reply });
    expect(calls.get("ada: once only")).toBe(1);
    expect(await history(first.json.thread)).toHaveLength(2);
  });

  it("runs one turn for a duplicate sent while the first is running", async () => {
    const body = { channel: "turns", user: "ada", text: "slow duplicate", id: "turn-dup-1" };
    const [a, b] = await Promise.all([t.post("/api/chat", body), t.post("/api/chat", body)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.json.reply).toEqual(b.json.reply);
    expect(calls.get("ada: slow duplicate")).toBe(1);
    expect(await history(a.json.thread)).toHaveLength(2);
  });

  it("sends message.done only when the reply can be read from the thread", async () => {
    const { ws } = await watch("stored");
    // Each done event's reply, read from the thread the moment the event arrives.
    const reads: Promise<boolean>[] = [];
    ws.on("message", (data) => {
      const event = JSON.parse(String(data)) as Event;
      if (event.type === "message.done")
        reads.push(history(event.thread).then((messages) => messages.some((m) => m.id === event.messageId && m.text === event.text)));
    });
    let thread: string | undefined;
    for (const text of ["first", "second", "third"]) {
      const { json } = await t.post("/api/chat", { channel: "stored", user: "ada", text, ...(thread && { thread }) });
      thread = json.thread;
    }
    await waitFor(() => reads.length === 3);
    expect(await Promise.all(reads)).toEqual([true, true, true]);
    ws.close();
  });
});

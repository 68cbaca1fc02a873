import { randomUUID } from "node:crypto";
import type { ChatCompletionRequest } from "@copilotkit/aimock";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scriptLlm, startTestApp, type TestApp } from "../support/app.js";
import { scratchPostgresUrl } from "../support/databases.js";
import { lastUserText, memoryText } from "../support/scripted-llm.js";

describe("messages that arrive together in one thread", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.stop());

  it("answers each with the history up to its own message, and the later one sees the earlier exchange", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let holding = false;
    t.llm.mock.clearFixtures();
    t.llm.mock.addFixture({
      match: { predicate: () => true },
      response: async (request: ChatCompletionRequest) => {
        const text = lastUserText(request);
        // The "hold on" turn keeps the thread busy until both questions are stored behind it.
        if (text === "ada: hold on") {
          holding = true;
          await gate;
        }
        return { content: `Answer to ${text}` };
      },
    });

    const opener = await t.post("/api/chat", { channel: "order", user: "ada", text: "hello" });
    const thread: string = opener.json.thread;
    const held = t.post("/api/chat", { channel: "order", user: "ada", text: "hold on", thread });
    await waitUntil(async () => holding);
    const [one, two] = [
      t.post("/api/chat", { channel: "order", user: "ada", text: "first question", thread }),
      t.post("/api/chat", { channel: "order", user: "ada", text: "second question", thread }),
    ];
    await waitUntil(async () => (await userTexts(thread)).length === 4);
    release();
    const replies = await Promise.all([held, one, two]);
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200]);

    // Arrival order is whichever the server stored first.
    const [, , earlier, later] = await userTexts(thread);
    const sent = ["hold on", "first question", "second question"];
    const replyTo = (text: string): string => replies[sent.indexOf(text)]!.json.reply.text;
    expect(replyTo("hold on")).toBe("Answer to ada: hold on");
    expect(replyTo(earlier!)).toBe(`Answer to ada: ${earlier}`);
    expect(replyTo(later!)).toBe(`Answer to ada: ${later}`);

    const prompts = t.llm.mock
      .getRequests()
      // The conversation alone: instructions, and what a turn may remember of the one before, aside.
      .map((r) =>
        (r.body as ChatCompletionRequest).messages
          .filter((m) => m.role !== "system" && !(typeof m.content === "string" && m.content.startsWith("What you remember")))
          .map((m) => m.content),
      );
    const promptFor = (text: string) => prompts.find((p) => p.at(-1) === `ada: ${text}`)!;
    expect(promptFor(earlier!)).toEqual([
      "ada: hello",
      "Answer to ada: hello",
      "ada: hold on",
      "Answer to ada: hold on",
      `ada: ${earlier}`,
    ]);
    // The thread in the order it was stored, with the message being answered last.
    expect(promptFor(later!)).toEqual([
      "ada: hello",
      "Answer to ada: hello",
      "ada: hold on",
      `ada: ${earlier}`,
      "Answer to ada: hold on",
      `Answer to ada: ${earlier}`,
      `ada: ${later}`,
    ]);
  });

  it("recalls, for a message queued behind a running turn, what that turn remembered", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let holding = false;
    // The fact is stored only after the question has arrived behind this turn.
    scriptRememberingModel(t, async () => {
      holding = true;
      await gate;
    });

    const opener = await t.post("/api/chat", { channel: "recall-order", user: "ada", text: "hello" });
    const thread: string = opener.json.thread;
    const telling = t.post("/api/chat", { channel: "recall-order", user: "ada", text: "the codename is Bluefin", thread });
    await waitUntil(async () => holding);
    const asking = t.post("/api/chat", { channel: "recall-order", user: "ada", text: "what is the codename?", thread });
    await waitUntil(async () => (await userTexts(thread)).length === 3);
    release();
    expect((await Promise.all([telling, asking])).map((r) => r.status)).toEqual([200, 200]);

    expect(questionMemories(t)).toContain("The release codename is Bluefin");
  });

  async function userTexts(thread: string): Promise<string[]> {
    const { json } = await t.get(`/api/threads/${thread}/messages`);
    return (json as { role: string; text: string }[]).filter((m) => m.role === "user").map((m) => m.text);
  }
});

describe("on Postgres, a message whose store is overtaken by a later one of its thread", () => {
  let t: TestApp;
  let scratch: { url: string; drop(): Promise<void> };
  beforeAll(async () => {
    scratch = await scratchPostgresUrl();
    t = await startTestApp({ DATABASE_URL: scratch.url });
  });
  afterAll(async () => {
    await t?.stop();
    await scratch?.drop();
  });

  it("answers with what the overtaking turn remembered, not with a recall taken before it", async () => {
    scriptRememberingModel(t);
    const opener = await t.post("/api/chat", { channel: "overtaken", user: "ada", text: "hello" });
    const thread: string = opener.json.thread;

    // Another session holds the question's delivery record uncommitted: its store waits for it.
    const sql = postgres(scratch.url, { max: 2, onnotice: () => undefined });
    const holder = await sql.reserve();
    try {
      const questionId = randomUUID();
      await holder`begin`;
      await holder`insert into processed_events (platform, event_id) values ('web', ${questionId})`;
      const asking = t.post("/api/chat", { channel: "overtaken", user: "ada", text: "what is the codename?", thread, id: questionId });
      await waitUntil(async () => (await sql`select 1 from pg_stat_activity where wait_event_type = 'Lock'`).length > 0);
      const telling = await t.post("/api/chat", { channel: "overtaken", user: "ada", text: "the codename is Bluefin", thread });
      expect(telling.status).toBe(200);
      await holder`rollback`;
      expect((await asking).status).toBe(200);
    } finally {
      holder.release();
      await sql.end();
    }

    expect(questionMemories(t)).toContain("The release codename is Bluefin");
  });
});

/** Told the codename, the model stores it with remember (once `hold` resolves); otherwise it echoes. */
function scriptRememberingModel(t: TestApp, hold?: () => Promise<void>): void {
  scriptLlm(t.llm, async (request) => {
    const text = lastUserText(request);
    const told = request.messages.some((message) => message.role === "tool");
    if (text === "ada: the codename is Bluefin" && !told) {
      await hold?.();
      return { toolCalls: [{ name: "remember", arguments: JSON.stringify({ fact: "The release codename is Bluefin" }) }] };
    }
    return { content: told ? "Noted." : `Answer to ${text}` };
  });
}

/** The memories the model was sent with the question "what is the codename?". */
function questionMemories(t: TestApp): string {
  const question = t.llm.mock
    .getRequests()
    .map((r) => r.body as ChatCompletionRequest)
    .find((body) => lastUserText(body) === "ada: what is the codename?");
  return memoryText(question!);
}

async function waitUntil(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

import type { ChatCompletionRequest } from "@copilotkit/aimock";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConversationStore } from "../../src/agents/conversation/conversation-store.js";
import type { Database } from "../../src/db/client.js";
import { channels } from "../../src/db/schema.js";
import { scriptLlm, startTestApp, type TestApp } from "../support/app.js";
import { scratchPglite } from "../support/databases.js";

describe("the channel cache of the conversation store", () => {
  let database: Database;
  beforeAll(async () => {
    database = await scratchPglite();
  });
  afterAll(() => database?.close());

  // What another process would do: change the row without this store knowing.
  const elsewhere = (id: string, settings: object) => database.db.update(channels).set({ settings }).where(eq(channels.id, id));

  it("reads a channel once, and sees a change made through it at once", async () => {
    const store = new ConversationStore(database.db);
    const first = await store.channel("web", "cached", "cached");
    expect(await store.channel("web", "cached", "cached")).toBe(first);
    expect(await store.getChannel(first.id)).toBe(first);

    await store.updateChannelSettings(first.id, { deniedTools: ["calculator"] });
    expect((await store.channel("web", "cached")).settings).toEqual({ deniedTools: ["calculator"] });
    expect((await store.getChannel(first.id))!.settings).toEqual({ deniedTools: ["calculator"] });
  });

  it("sees another process's change once its TTL is over", async () => {
    const store = new ConversationStore(database.db, { channelTtlMs: 200 });
    const { id } = await store.channel("web", "shared", "shared");
    await elsewhere(id, { model: "other-model" });
    expect((await store.getChannel(id))!.settings).toEqual({});
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect((await store.getChannel(id))!.settings).toEqual({ model: "other-model" });
    expect((await store.channel("web", "shared")).settings).toEqual({ model: "other-model" });
  });

  it("renames a channel when told another name, and keeps its name when told none", async () => {
    const store = new ConversationStore(database.db);
    await store.channel("slack", "C1", "general");
    expect((await store.channel("slack", "C1", "random")).name).toBe("random");
    const fresh = new ConversationStore(database.db);
    expect((await fresh.channel("slack", "C1")).name).toBe("random");
    expect((await fresh.channel("slack", "C2")).name).toBe("C2");
  });
});

describe("a settings change in the app", () => {
  let t: TestApp;
  const requests: ChatCompletionRequest[] = [];
  beforeAll(async () => {
    t = await startTestApp();
    scriptLlm(t.llm, (request) => {
      requests.push(request);
      return { content: "ok" };
    });
  });
  afterAll(() => t.stop());

  const chat = async () => {
    requests.length = 0;
    await t.post("/api/chat", { channel: "tuned", user: "ada", text: "what is 2+2?" });
    const [request] = requests;
    return {
      tools: (request!.tools ?? []).map((spec) => spec.function.name),
      system: String(request!.messages.find((message) => message.role === "system")?.content),
    };
  };
  const listed = async () => (await t.post("/api/commands", { channel: "tuned", user: "ada", command: "/tools", text: "" })).json.text;

  it("is seen by the next chat turn and the next command", async () => {
    const before = await chat();
    expect(before.tools).toContain("calculator");
    expect(before.system).not.toContain("Answer in French.");
    expect(await listed()).toContain("calculator");

    await t.app.conversations.updateChannelSettings("web:tuned", { deniedTools: ["calculator"], systemPrompt: "Answer in French." });

    const after = await chat();
    expect(after.tools).not.toContain("calculator");
    expect(after.system).toContain("Answer in French.");
    expect(await listed()).not.toContain("calculator");
  });
});

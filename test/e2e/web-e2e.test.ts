import { readdirSync, readFileSync } from "node:fs";
import http from "node:http";
import type { ChatCompletionRequest } from "@copilotkit/aimock";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type FakeReply, scriptLlm, startTestApp, type TestApp } from "../support/app.js";
import { lastUserText, memoryText } from "../support/scripted-llm.js";
import { waitFor } from "../support/wait.js";

/** A fake model that behaves like a tool-using assistant, so the real loop, tools and memory are exercised. */
function brain(request: ChatCompletionRequest): FakeReply {
  const last = request.messages.at(-1);
  if (last?.role === "tool") return { content: `Done: ${String(last.content)}` };
  const text = lastUserText(request);
  // Postgres cannot store U+0000; a model may still send it, in its text or a tool's arguments.
  if (/send a nul/i.test(text)) return { content: "Here it is: \u0000." };
  if (/remember a nul/i.test(text))
    return { toolCalls: [{ name: "remember", arguments: JSON.stringify({ fact: "The zero byte is \u0000" }) }] };
  const fact = /remember that (.+)$/i.exec(text);
  if (fact) return { toolCalls: [{ name: "remember", arguments: JSON.stringify({ fact: fact[1] }) }] };
  const sum = /what is ([\d+*/ ().-]+)\?/i.exec(text);
  if (sum) return { toolCalls: [{ name: "calculator", arguments: JSON.stringify({ expression: sum[1] }) }] };
  if (/codename/i.test(text)) {
    const known = /codename is (\w+)/i.exec(memoryText(request));
    return { content: known ? `The release codename is ${known[1]}.` : "I do not know the codename." };
  }
  return { content: `You said: ${text}. This answer streams in several pieces to the console.` };
}

/** The status of a GET whose path goes to the server exactly as written. */
function rawStatus(base: string, path: string, headers: Record<string, string>): Promise<number | undefined> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    http
      .get({ hostname, port, path, headers }, (response) => {
        response.resume();
        resolve(response.statusCode);
      })
      .on("error", reject);
  });
}

describe("web console end to end", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    scriptLlm(t.llm, brain);
  });
  afterAll(() => t.stop());

  it("streams the reply over the WebSocket and returns the final one", async () => {
    const ws = new WebSocket(`${t.app.url.replace("http", "ws")}/api/events?channel=general`, { headers: t.auth });
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    const events: { type: string; messageId: string; delta?: string; text?: string }[] = [];
    ws.on("message", (data) => events.push(JSON.parse(String(data))));

    const { status, json } = await t.post("/api/chat", { channel: "general", user: "ada", text: "hello there" });
    expect(status).toBe(200);
    expect(json.reply.text).toContain("You said: ada: hello there");
    expect(json.thread).toEqual(expect.any(String));
    await waitFor(() => events.some((event) => event.type === "message.done"));
    const deltas = events.filter((event) => event.type === "message.delta");
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.every((event) => event.messageId === json.reply.id)).toBe(true);
    expect(deltas.map((event) => event.delta).join("")).toBe(json.reply.text);
    ws.close();

    const history = await t.get(`/api/threads/${json.thread}/messages`);
    expect(history.json.map((m: { role: string; text: string }) => [m.role, m.text])).toEqual([
      ["user", "hello there"],
      ["assistant", json.reply.text],
    ]);
    expect(history.json[1].id).toBe(json.reply.id);
  });

  it("tells in a Server-Timing header how long of its answer the model took", async () => {
    const started = performance.now();
    const response = await fetch(`${t.app.url}/api/chat`, {
      method: "POST",
      headers: { "content-type": "application/json", ...t.auth },
      body: JSON.stringify({ channel: "general", user: "ada", text: "how long?" }),
    });
    const elapsed = performance.now() - started;
    expect(response.status).toBe(200);
    const llm = Number(/^llm;dur=([\d.]+)$/.exec(response.headers.get("server-timing") ?? "")?.[1]);
    expect(llm).toBeGreaterThan(0);
    expect(llm).toBeLessThanOrEqual(elapsed);
  });

  it("continues a thread with its history in the prompt, another person's message quoted as data", async () => {
    const first = await t.post("/api/chat", { channel: "general", user: "ada", text: "first message" });
    const second = await t.post("/api/chat", { channel: "general", user: "bob", text: "second message", thread: first.json.thread });
    expect(second.json.thread).toBe(first.json.thread);
    const request = t.llm.mock.getRequests().at(-1)!.body as ChatCompletionRequest;
    const contents = request.messages.map((message) => message.content);
    expect(contents).toEqual(
      expect.arrayContaining([
        '<message author="ada" source="earlier message in this thread">first message</message>',
        "bob: second message",
      ]),
    );
  });

  it("runs a calculator tool call round trip", async () => {
    const { json } = await t.post("/api/chat", { channel: "maths", user: "ada", text: "what is (17.5 * 12) / 3?" });
    expect(json.toolCalls).toEqual([{ name: "calculator", ok: true }]);
    expect(json.reply.text).toContain('"result":70');
  });

  it("remembers a fact across a restart, in the same channel only", async () => {
    const told = await t.post("/api/chat", {
      channel: "release",
      user: "ada",
      text: "Please remember that our release codename is Bluefin",
    });
    expect(told.json.toolCalls).toEqual([{ name: "remember", ok: true }]);

    await t.restart();

    const asked = await t.post("/api/chat", { channel: "release", user: "bob", text: "What is our release codename?" });
    expect(asked.json.thread).not.toBe(told.json.thread);
    expect(asked.json.reply.text).toBe("The release codename is Bluefin.");

    const elsewhere = await t.post("/api/chat", { channel: "random", user: "bob", text: "What is our release codename?" });
    expect(elsewhere.json.reply.text).toBe("I do not know the codename.");

    const listed = await t.post("/api/commands", { channel: "release", user: "bob", command: "/memory", text: "" });
    expect(listed.json.text).toContain("our release codename is Bluefin");
    const id = /#(\d+) \[semantic\] our release codename is Bluefin/.exec(listed.json.text)?.[1];
    expect(id).toBeDefined();
    expect(
      (await t.post("/api/commands", { channel: "random", user: "bob", command: "/memory", text: `forget ${id}` })).json.text,
    ).toContain("no memory");
    expect((await t.post("/api/commands", { channel: "release", user: "bob", command: "/memory", text: `forget ${id}` })).json.text).toBe(
      `Forgot memory #${id}. Taught facts can be restored for 30 days (\`/memory forgotten\`).`,
    );
    expect((await t.post("/api/commands", { channel: "release", user: "bob", command: "/memory", text: "forget all" })).json.text).toMatch(
      /^Forgot \d+ memor/,
    );
    expect((await t.post("/api/commands", { channel: "release", user: "bob", command: "/memory", text: "" })).json.text).toContain(
      "nothing",
    );
  });

  it("answers /agent with the assistant's status", async () => {
    const { json } = await t.post("/api/commands", { channel: "general", user: "ada", command: "/agent", text: "" });
    expect(json.text).toContain("Model: fake-model");
    expect(json.text).toMatch(/Turns answered: [1-9]/);
    expect(json.text).toContain("calculator");
  });

  it("serves health, capabilities, channels and the console page", async () => {
    const health = await t.get("/api/health");
    expect(health.status).toBe(200);
    expect(health.json).toMatchObject({ status: "ok", db: "ok", llm: "ok" });
    const capabilities = await t.get("/api/capabilities");
    expect(capabilities.json.tools.map((tool: { name: string }) => tool.name)).toEqual(
      expect.arrayContaining(["calculator", "remember", "recall"]),
    );
    const channels = await t.get("/api/channels");
    expect(channels.json.map((channel: { name: string }) => channel.name)).toEqual(expect.arrayContaining(["general", "maths"]));
    const page = await fetch(`${t.app.url}/`, { headers: t.auth });
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(await page.text()).toContain('src="/console/main.js"');
  });

  it("serves the files of the console page under /console/, and nothing else there", async () => {
    const dir = new URL("../../src/adapters/web/console/", import.meta.url);
    const served = readdirSync(dir).filter((name) => /\.(?:css|js)$/.test(name));
    expect(served).toEqual(expect.arrayContaining(["main.js", "markdown.js", "base.css"]));
    for (const name of served) {
      const response = await fetch(`${t.app.url}/console/${name}`);
      expect(response.status, name).toBe(200);
      const type = name.endsWith(".css") ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8";
      expect(response.headers.get("content-type"), name).toBe(type);
      expect(await response.text(), name).toBe(readFileSync(new URL(name, dir), "utf8"));
    }
    for (const path of ["/console/nope.js", "/console/tsconfig.json", "/console/", "/console/main.js/x", "/console/..%2Fapi.ts"]) {
      const response = await fetch(`${t.app.url}${path}`);
      expect(response.status, path).toBe(404);
      expect(((await response.json()) as { error: string }).error, path).toContain("No route");
    }
    // A raw request line, as fetch would resolve the dots itself.
    expect(await rawStatus(t.app.url, "/console/../adapters/web/api.ts", t.auth)).toBe(404);
  });

  it("rejects bad input with a 400 and a reason on every endpoint", async () => {
    for (const path of ["/api/chat", "/api/commands"]) {
      const malformed = await t.post(path, "{not json");
      expect(malformed.status).toBe(400);
      expect(malformed.json.error).toContain("not valid JSON");
      const missing = await t.post(path, { channel: "general" });
      expect(missing.status).toBe(400);
      expect(missing.json.error).toContain("user");
    }
    const badChannel = await t.post("/api/chat", { channel: "Has Spaces", user: "ada", text: "hi" });
    expect(badChannel.status).toBe(400);
    expect(badChannel.json.error).toContain("channel");
    const unknownThread = await t.post("/api/chat", { channel: "general", user: "ada", text: "hi", thread: "nope" });
    expect(unknownThread.status).toBe(404);
    expect((await t.get("/api/threads/nope/messages")).status).toBe(404);
  });

  it("answers a retried send once, with the same reply", async () => {
    const body = { channel: "general", user: "ada", text: "only once please", id: "client-msg-1" };
    const first = await t.post("/api/chat", body);
    const again = await t.post("/api/chat", body);
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ thread: first.json.thread, reply: first.json.reply });
    const history = await t.get(`/api/threads/${first.json.thread}/messages`);
    expect(history.json).toHaveLength(2);
  });

  it("keeps text holding U+0000, which Postgres cannot store, with the character marked", async () => {
    const said = await t.post("/api/chat", { channel: "nul", user: "ada\u0000", text: "hello\u0000world" });
    expect(said.status).toBe(200);
    const sent = await t.post("/api/chat", { channel: "nul", user: "ada", text: "send a nul", thread: said.json.thread });
    expect(sent.json.reply.text).toBe("Here it is: \uFFFD.");
    const remembered = await t.post("/api/chat", { channel: "nul", user: "ada", text: "remember a nul", thread: said.json.thread });
    expect(remembered.json.toolCalls).toEqual([{ name: "remember", ok: true }]);
    const history = await t.get(`/api/threads/${said.json.thread}/messages`);
    expect(history.json.slice(0, 4).map((m: { author: string; text: string }) => [m.author, m.text])).toEqual([
      ["ada\uFFFD", "hello\uFFFDworld"],
      ["assistant", "You said: ada\uFFFD: hello\uFFFDworld. This answer streams in several pieces to the console."],
      ["ada", "send a nul"],
      ["assistant", "Here it is: \uFFFD."],
    ]);
    const memory = await t.post("/api/commands", { channel: "nul", user: "ada", command: "/memory", text: "" });
    expect(memory.json.text).toContain("The zero byte is \uFFFD");
  });

  it("answers a failure it did not expect with a 500 that names no statement or value", async () => {
    // The database refuses one message (as a full disk or a broken constraint would).
    const refuse = "alter table messages add constraint refuses_one check (content <> 'please fail here')";
    await t.app.database.db.execute(sql.raw(refuse));
    try {
      const { status, json } = await t.post("/api/chat", { channel: "general", user: "ada", text: "please fail here" });
      expect(status).toBe(500);
      expect(json).toEqual({ error: "The bot could not handle this request; its log says why." });
    } finally {
      await t.app.database.db.execute(sql.raw("alter table messages drop constraint refuses_one"));
    }
    // No stored id holds U+0000: such an id is refused before any lookup.
    const unknown = await t.get(`/api/threads/${encodeURIComponent("no\u0000such")}/messages`);
    expect(unknown.status).toBe(400);
    const unknownInChat = await t.post("/api/chat", { channel: "general", user: "ada", text: "hi", thread: "no\u0000such" });
    expect(unknownInChat.status).toBe(400);
  });

  it("keeps the user's message and replies with a readable error when the LLM fails", async () => {
    t.llm.mock.nextRequestError(500, { message: "upstream exploded", type: "server_error" });
    const { status, json } = await t.post("/api/chat", { channel: "general", user: "ada", text: "are you there?" });
    expect(status).toBe(200);
    expect(json.reply.text).toMatch(/^⚠️ I could not answer/);
    const history = await t.get(`/api/threads/${json.thread}/messages`);
    expect(history.json.map((m: { role: string }) => m.role)).toEqual(["user", "assistant"]);
    expect(history.json[0].text).toBe("are you there?");
  });
});

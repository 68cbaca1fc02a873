import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { ChatCompletionRequest } from "@copilotkit/aimock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeReply, scriptLlm, startTestApp, type TestApp } from "../support/app.js";
import { lastUserText } from "../support/scripted-llm.js";

/** A model that calls http_request (external, so it waits for approval) when asked to fetch. */
function brain(request: ChatCompletionRequest): FakeReply {
  const last = request.messages.at(-1);
  if (last?.role === "tool") return { content: `Done: ${String(last.content).slice(0, 80)}` };
  if (/fetch/.test(lastUserText(request))) return { toolCalls: [{ name: "http_request", arguments: { api: "loop", path: "/items" } }] };
  return { content: "Nothing to fetch." };
}

interface Listed {
  id: string;
  tool: string;
  args: unknown;
  asker: { id: string; name: string };
  expiresAt: string;
  state: string;
}

describe("a thread's pending approvals in the web API", () => {
  let t: TestApp;
  /** The REST API http_request calls, on loopback; `hits` says whether a call ran. */
  let api: Server;
  const hits: string[] = [];

  beforeAll(async () => {
    api = createServer((req, res) => {
      hits.push(req.url ?? "");
      res.writeHead(200, { "content-type": "application/json" }).end('{"items":[1,2]}');
    });
    await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
    const { port } = api.address() as AddressInfo;
    t = await startTestApp({
      HTTP_APIS: JSON.stringify([{ name: "loop", baseUrl: `http://127.0.0.1:${port}/v1` }]),
      HTTP_ALLOWED_HOSTS: "127.0.0.1",
    });
    scriptLlm(t.llm, brain);
  });
  afterAll(async () => {
    await t?.stop();
    await new Promise<void>((resolve) => api.close(() => resolve()));
  });

  const approvals = async (thread: string) =>
    (await t.get(`/api/threads/${encodeURIComponent(thread)}/approvals`)) as {
      status: number;
      json: Listed[];
    };

  async function paused(text: string) {
    const { status, json } = await t.post("/api/chat", { channel: "approvals", user: "ada", text });
    expect(status).toBe(200);
    expect(json.reply).toBeUndefined();
    expect(json.pendingApproval).toMatchObject({ tool: "http_request", args: { api: "loop", path: "/items" } });
    return { thread: json.thread as string, id: json.pendingApproval.id as string };
  }

  it("lists a call that waits, and no longer once it is approved", async () => {
    const { thread, id } = await paused("please fetch the items");
    const listed = await approvals(thread);
    expect(listed.status).toBe(200);
    expect(listed.json).toEqual([
      {
        id,
        tool: "http_request",
        args: { api: "loop", path: "/items" },
        asker: { id: "operator", name: "ada" },
        expiresAt: expect.any(String),
        state: "pending",
      },
    ]);
    const expiresIn = Date.parse(listed.json[0]?.expiresAt ?? "") - Date.now();
    expect(expiresIn).toBeGreaterThan(14 * 60_000);
    expect(expiresIn).toBeLessThanOrEqual(15 * 60_000);
    expect(hits).toEqual([]);

    const decided = await t.post(`/api/approvals/${id}`, { approve: true, user: "ada" });
    expect(decided.status).toBe(200);
    expect(decided.json).toMatchObject({ thread, reply: { text: expect.stringContaining("Done:") } });
    expect(hits).toEqual(["/v1/items"]);
    expect((await approvals(thread)).json).toEqual([]);
  });

  it("no longer lists a denied call, and lists only its own thread's", async () => {
    const first = await paused("fetch them once");
    const second = await paused("fetch them twice");
    expect((await approvals(first.thread)).json.map((a) => a.id)).toEqual([first.id]);
    const denied = await t.post(`/api/approvals/${first.id}`, { approve: false });
    expect(denied.status).toBe(200);
    expect((await approvals(first.thread)).json).toEqual([]);
    expect((await approvals(second.thread)).json.map((a) => a.id)).toEqual([second.id]);
  });

  it("answers 404 for an unknown thread, 400 for a bad id and 401 without credentials", async () => {
    const unknown = await approvals("no-such-thread");
    expect(unknown.status).toBe(404);
    expect(unknown.json).toEqual({ error: "No such thread." });
    for (const id of ["a\u0000b", "x".repeat(201)]) {
      const bad = await approvals(id);
      expect(bad.status).toBe(400);
      expect(bad.json).toMatchObject({ error: expect.stringMatching(/^Bad thread id/) });
    }
    const { thread } = await paused("fetch without a login");
    expect((await fetch(`${t.app.url}/api/threads/${thread}/approvals`)).status).toBe(401);
  });
});

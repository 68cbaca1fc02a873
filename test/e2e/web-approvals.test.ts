import type { ChatCompletionRequest } from "@copilotkit/aimock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeReply, scriptLlm, startTestApp, type TestApp } from "../support/app.js";
import { startItemsApi } from "../support/items-api.js";
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
  /** The REST API http_request calls. */
  let api: Awaited<ReturnType<typeof startItemsApi>>;

  beforeAll(async () => {
    api = await startItemsApi();
    t = await startTestApp(api.env);
    scriptLlm(t.llm, brain);
  });
  afterAll(async () => {
    await t?.stop();
    await api?.close();
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
    expect(api.hits).toEqual([]);

    const decided = await t.post(`/api/approvals/${id}`, { approve: true, user: "ada" });
    expect(decided.status).toBe(200);
    expect(decided.json).toMatchObject({ thread, reply: { text: expect.stringContaining("Done:") } });
    expect(api.hits).toEqual(["/v1/items"]);
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

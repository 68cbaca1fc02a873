import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { ChatCompletionRequest } from "@copilotkit/aimock";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scriptLlm, startTestApp, type TestApp } from "../support/app.js";
import { scratchPostgresUrl } from "../support/databases.js";
import { waitFor } from "../support/wait.js";

/** An outside API on loopback: every request that reaches it is a call that ran. */
async function startApi(): Promise<{ server: Server; url: string; hits: string[]; hold: { until?: Promise<void> } }> {
  const hits: string[] = [];
  // While `until` is set, answers wait for it: a call that ran is still running.
  const hold: { until?: Promise<void> } = {};
  const server = createServer(async (req, res) => {
    hits.push(req.url ?? "");
    await hold.until;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ status: "green" }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits, hold };
}

/**
 * Calls the status API once, then answers with what the call returned (or that it was declined);
 * "and now?" is answered at once, and counted in `asked`.
 */
function scriptStatusModel(t: TestApp, asked = { andNow: 0 }): void {
  scriptLlm(t.llm, (request: ChatCompletionRequest) => {
    if (JSON.stringify(request.messages.findLast((message) => message.role === "user")?.content).includes("and now?")) {
      asked.andNow++;
      return "Newer answer";
    }
    const result = request.messages.findLast((message) => message.role === "tool");
    if (result) return `Status: ${typeof result.content === "string" ? result.content : JSON.stringify(result.content)}`;
    return { toolCalls: [{ name: "http_request", arguments: { api: "status", method: "GET", path: "/status" } }] };
  });
}

describe("approvals on Postgres, across restarts and processes", () => {
  let api: Awaited<ReturnType<typeof startApi>>;
  let scratch: { url: string; drop(): Promise<void> };
  let asker: TestApp;
  let other: TestApp;
  let sql: postgres.Sql;

  beforeAll(async () => {
    [api, scratch] = await Promise.all([startApi(), scratchPostgresUrl()]);
    const env = {
      DATABASE_URL: scratch.url,
      HTTP_APIS: JSON.stringify([{ name: "status", baseUrl: api.url }]),
      HTTP_ALLOWED_HOSTS: "127.0.0.1",
    };
    // Two processes of one deployment: the same database, each with its own model server.
    asker = await startTestApp(env);
    other = await startTestApp(env);
    scriptStatusModel(asker);
    scriptStatusModel(other);
    sql = postgres(scratch.url, { max: 1, onnotice: () => undefined });
  });
  afterAll(async () => {
    await sql?.end();
    await asker?.stop();
    await other?.stop();
    await scratch?.drop();
    await new Promise((resolve) => api?.server.close(resolve));
  });

  const ask = async (channel: string) => {
    const before = api.hits.length;
    const paused = await asker.post("/api/chat", { channel, user: "ada", text: "is the service up?" });
    expect(paused.status).toBe(200);
    expect(paused.json.reply).toBeUndefined();
    expect(paused.json.pendingApproval).toMatchObject({ tool: "http_request", args: { api: "status", path: "/status" } });
    expect(api.hits.length).toBe(before);
    return paused.json as { thread: string; pendingApproval: { id: string } };
  };

  it("keeps a decision across a restart between the request and the click", async () => {
    const { thread, pendingApproval } = await ask("restarted");
    await asker.restart();
    scriptStatusModel(asker);
    const before = api.hits.length;
    const decided = await asker.post(`/api/approvals/${pendingApproval.id}`, { approve: true });
    expect(decided.status).toBe(200);
    expect(decided.json).toMatchObject({ thread, toolCalls: [{ name: "http_request", ok: true }] });
    expect(decided.json.reply.text).toContain("green");
    expect(api.hits.length).toBe(before + 1);
    const messages = (await asker.get(`/api/threads/${thread}/messages`)).json as { role: string; text: string }[];
    expect(messages.map((message) => message.role)).toEqual(["user", "assistant", "assistant"]);
    expect(messages[1]?.text).toContain("Waiting for approval to run `http_request`");
  });

  it("lets the process that did not ask take the decision and go on with the turn", async () => {
    const { thread, pendingApproval } = await ask("two-processes");
    const before = api.hits.length;
    const decided = await other.post(`/api/approvals/${pendingApproval.id}`, { approve: true });
    expect(decided.status).toBe(200);
    expect(decided.json.thread).toBe(thread);
    expect(decided.json.reply.text).toContain("green");
    expect(api.hits.length).toBe(before + 1);
    // The second click, in the asking process, finds it decided: nothing runs again.
    const again = await asker.post(`/api/approvals/${pendingApproval.id}`, { approve: true });
    expect(again.status).toBe(409);
    expect(again.json.error).toMatch(/already decided: ✅ Approved by operator at \d\d:\d\d UTC/);
    expect(api.hits.length).toBe(before + 1);
  });

  it("keeps the thread's order between a turn going on in one process and a newer message in another", async () => {
    const { thread, pendingApproval } = await ask("ordered");
    let release: () => void = () => undefined;
    api.hold.until = new Promise<void>((resolve) => {
      release = resolve;
    });
    const asked = { andNow: 0 };
    scriptStatusModel(asker, asked);
    const before = api.hits.length;
    const decided = other.post(`/api/approvals/${pendingApproval.id}`, { approve: true });
    // The approved call runs in the other process and is held there: the turn has not answered yet.
    await waitFor(() => api.hits.length > before, 10_000, "the approved call to run");
    const newer = asker.post("/api/chat", { channel: "ordered", thread, user: "ada", text: "and now?" });
    await waitFor(
      async () => (await sql`select 1 from messages where content = 'and now?'`).length === 1,
      10_000,
      "the newer message to be stored",
    );
    // Given time to overtake, the newer message's turn does not reach the model before the older one answered.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(asked.andNow).toBe(0);
    release();
    api.hold.until = undefined;
    expect((await decided).json.reply.text).toContain("green");
    const newerAnswer = await newer;
    expect(newerAnswer.json, JSON.stringify(newerAnswer.json)).toMatchObject({ reply: { text: "Newer answer" } });
    // Both deliveries settled again: nothing is left for a later message to wait on.
    const deliveries = await sql`select e.outcome from processed_events e join messages m on m.id = e.message_id
      join conversations c on c.id = m.conversation_id where c.external_thread_id = ${thread}`;
    expect(deliveries.map((row) => row.outcome)).toEqual(["ok", "ok"]);
    const messages = (await asker.get(`/api/threads/${thread}/messages`)).json as { role: string; text: string }[];
    expect(messages.map((message) => message.text.replace(/[\s\S]*(Waiting for approval|green|Newer answer)[\s\S]*/, "$1"))).toEqual([
      "is the service up?",
      "Waiting for approval",
      "and now?",
      "green",
      "Newer answer",
    ]);
  });

  it("answers a denial with the model's answer without the call", async () => {
    const { pendingApproval } = await ask("denied");
    const before = api.hits.length;
    const decided = await asker.post(`/api/approvals/${pendingApproval.id}`, { approve: false });
    expect(decided.status).toBe(200);
    expect(decided.json.reply.text).toContain("declined this call");
    expect(decided.json.toolCalls).toEqual([{ name: "http_request", ok: false }]);
    expect(api.hits.length).toBe(before);
  });

  it("refuses unknown, expired and malformed decisions with a clear error", async () => {
    const unknown = await asker.post("/api/approvals/00000000-0000-4000-8000-000000000000", { approve: true });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toMatch(/No approval/);
    const { pendingApproval } = await ask("expired");
    expect((await asker.post(`/api/approvals/${pendingApproval.id}`, { approve: "yes" })).status).toBe(400);
    expect((await asker.post(`/api/approvals/${pendingApproval.id}`, "{")).status).toBe(400);
    await sql`update tool_approvals set expires_at = now() - interval '1 second' where id = ${pendingApproval.id}`;
    const before = api.hits.length;
    const late = await asker.post(`/api/approvals/${pendingApproval.id}`, { approve: true });
    expect(late.status).toBe(410);
    expect(late.json.error).toMatch(/expired/);
    expect(api.hits.length).toBe(before);
  });
});

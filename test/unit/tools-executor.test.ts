import { eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { Background } from "../../src/core/background.js";
import type { Database } from "../../src/db/client.js";
import { toolCalls } from "../../src/db/schema.js";
import { type CallContext, ToolExecutor } from "../../src/tools/executor.js";
import { RetryableToolError } from "../../src/tools/policy.js";
import { createLogger } from "../../src/wiring/log.js";
import { openToolBench, testTool, toolCall } from "../support/tools.js";

let database: Database;
let context: CallContext;
let executor: ToolExecutor;

const echo = testTool({
  name: "echo",
  description: "Returns its arguments.",
  input: z.object({
    text: z.string().min(1),
    options: z.object({ loud: z.boolean() }).optional(),
    note: z.string().optional(),
    headers: z.object({ authorization: z.string().optional(), accept: z.string().optional() }).default({}),
  }),
  policy: { forbiddenArguments: ["headers.authorization"] },
  run: (args) => args,
});

const tally = testTool({
  name: "tally",
  description: "Counts.",
  input: z.object({ n: z.number() }),
  run: ({ n }) => n,
});

beforeAll(async () => {
  ({ database, context } = await openToolBench("tools-executor", { id: "u1", name: "Ann" }));
  executor = new ToolExecutor(database.db, { backoffMs: 1 });
});

afterAll(async () => {
  await database.close();
});

describe("trust", () => {
  it("marks what an external tool returned as untrusted, and nothing else", async () => {
    const fetched = testTool({ name: "fetched", description: "Calls out.", risk: "external", run: () => "a page" });
    expect(await executor.execute(fetched, toolCall("fetched", {}), context)).toMatchObject({ ok: true, untrusted: true });
    const local = testTool({ name: "local", description: "Stays in the bot.", run: () => "an answer" });
    expect((await executor.execute(local, toolCall("local", {}), context)).untrusted).toBeUndefined();
    // A refusal is the bot's own text, even for an external tool.
    const refused = await executor.execute(fetched, toolCall("fetched", "{"), context);
    expect(refused.ok).toBe(false);
    expect(refused.untrusted).toBeUndefined();
  });
});

describe("arguments", () => {
  it("names the field of an invalid argument", async () => {
    const outcome = await executor.execute(echo, toolCall("echo", { text: 42 }), context);
    expect(outcome.ok).toBe(false);
    expect(outcome.content).toMatch(/^Error: invalid arguments for echo: text: .*expected string/);
  });

  it("names a nested field", async () => {
    const outcome = await executor.execute(echo, toolCall("echo", { text: "hi", options: { loud: "yes" } }), context);
    expect(outcome.content).toMatch(/options\.loud: .*expected boolean/);
  });

  it("says when the arguments are not JSON", async () => {
    const outcome = await executor.execute(echo, toolCall("echo", "{text: hi"), context);
    expect(outcome.content).toMatch(/not valid JSON/);
  });

  it("repairs null for an optional field and an object sent as a JSON string", async () => {
    const outcome = await executor.execute(echo, toolCall("echo", { text: "hi", note: null, options: '{"loud": true}' }), context);
    expect(outcome.ok).toBe(true);
    expect(JSON.parse(outcome.content)).toEqual({ text: "hi", options: { loud: true }, headers: {} });
  });

  it("repairs arguments sent as one JSON string", async () => {
    const outcome = await executor.execute(echo, toolCall("echo", JSON.stringify(JSON.stringify({ text: "hi" }))), context);
    expect(outcome.ok).toBe(true);
  });

  it("refuses an unknown tool", async () => {
    const outcome = await executor.execute(undefined, toolCall("nope", {}), context);
    expect(outcome).toEqual({ name: "nope", ok: false, content: 'Error: there is no tool named "nope" in this channel.' });
  });
});

describe("policy", () => {
  it("refuses a forbidden argument, but not its default", async () => {
    const refused = await executor.execute(echo, toolCall("echo", { text: "hi", headers: { authorization: "Bearer x" } }), context);
    expect(refused.content).toBe('Error: the argument "headers.authorization" may not be set for echo.');
    const allowed = await executor.execute(echo, toolCall("echo", { text: "hi", headers: { accept: "text/plain" } }), context);
    expect(allowed.ok).toBe(true);
  });

  it("runs an admin-only tool for admins alone", async () => {
    const secret = testTool({
      name: "secret",
      description: "Admins only.",
      policy: { adminOnly: true },
      run: () => "done",
    });
    expect((await executor.execute(secret, toolCall("secret", {}), context)).content).toBe("Error: secret may only be run by an admin.");
    const admin = await executor.execute(secret, toolCall("secret", {}), { ...context, author: { id: "boss", isAdmin: true } });
    expect(admin).toEqual({ name: "secret", ok: true, content: "done" });
  });

  it("aborts the tool's work through its signal on timeout", async () => {
    let aborted: Promise<unknown> | undefined;
    const slow = testTool({
      name: "slow",
      description: "Waits for its signal.",
      policy: { timeoutMs: 20 },
      run: (_args, { signal }) => {
        aborted = new Promise((resolve) => signal.addEventListener("abort", () => resolve(signal.reason), { once: true }));
        return new Promise(() => undefined);
      },
    });
    const outcome = await executor.execute(slow, toolCall("slow", {}), context);
    expect(outcome.content).toBe("Error: slow timed out after 20 ms.");
    expect(await aborted).toBeInstanceOf(DOMException);
  });

  it("is cancelled by the caller's signal", async () => {
    const slow = testTool({
      name: "slow2",
      description: "Never ends.",
      run: () => new Promise(() => undefined),
    });
    const outcome = await executor.execute(slow, toolCall("slow2", {}), context, AbortSignal.abort());
    expect(outcome.content).toBe("Error: slow2 was cancelled.");
  });

  it("retries a retryable failure, then succeeds", async () => {
    let attempts = 0;
    const flaky = testTool({
      name: "flaky",
      description: "Fails twice.",
      policy: { maxRetries: 2 },
      run: () => {
        attempts += 1;
        if (attempts < 3) throw new RetryableToolError("upstream 503");
        return { attempts };
      },
    });
    const outcome = await executor.execute(flaky, toolCall("flaky", {}), context);
    expect(outcome).toEqual({ name: "flaky", ok: true, content: '{"attempts":3}' });
  });

  it("gives up after its retries, and never retries other failures", async () => {
    let retryable = 0;
    let plain = 0;
    const down = testTool({
      name: "down",
      description: "Always 503.",
      policy: { maxRetries: 1 },
      run: () => {
        retryable += 1;
        throw new RetryableToolError("upstream 503");
      },
    });
    const broken = testTool({
      name: "broken",
      description: "Always wrong.",
      policy: { maxRetries: 3 },
      run: () => {
        plain += 1;
        throw new Error("bad request");
      },
    });
    expect((await executor.execute(down, toolCall("down", {}), context)).content).toBe("Error: down failed: upstream 503");
    expect((await executor.execute(broken, toolCall("broken", {}), context)).content).toBe("Error: broken failed: bad request");
    expect([retryable, plain]).toEqual([2, 1]);
  });

  it("cuts long output with a note", async () => {
    const long = testTool({
      name: "long",
      description: "Much text.",
      policy: { maxOutputChars: 10 },
      run: () => "x".repeat(25),
    });
    const outcome = await executor.execute(long, toolCall("long", {}), context);
    expect(outcome.content).toBe(`${"x".repeat(10)}\n[output cut: 15 more characters not shown]`);
  });
});

describe("audit", () => {
  it("writes a row per call with secrets redacted", async () => {
    const login = testTool({
      name: "login",
      description: "Takes credentials.",
      input: z.object({ user: z.string(), password: z.string(), extra: z.object({ apiKey: z.string() }).optional() }),
      run: ({ user }) => ({ user }),
    });
    const request = toolCall("login", { user: "ann", password: "hunter2", extra: { apiKey: "sk-123" } });
    await executor.execute(login, request, { ...context, conversationId: undefined });
    await executor.execute(undefined, { id: "unknown-1", name: "ghost", arguments: '{"token":"abc"}' }, context);
    const [row] = await database.db.select().from(toolCalls).where(eq(toolCalls.callId, request.id));
    expect(row).toMatchObject({
      channelId: context.channelId,
      conversationId: null,
      toolName: "login",
      arguments: { user: "ann", password: "[redacted]", extra: { apiKey: "[redacted]" } },
      ok: true,
      result: '{"user":"ann"}',
    });
    expect(row!.durationMs).toBeGreaterThanOrEqual(0);
    const [ghost] = await database.db.select().from(toolCalls).where(eq(toolCalls.callId, "unknown-1"));
    expect(ghost).toMatchObject({ toolName: "ghost", ok: false, arguments: { token: "[redacted]" } });
  });

  it("scrubs secrets from the stored result and from arguments that are not JSON, not from what the model gets", async () => {
    // Like an API echoing the request headers, or an MCP tool returning a token in its text.
    const leaky = testTool({
      name: "leaky",
      description: "Echoes secrets.",
      input: z.object({ text: z.boolean() }),
      run: ({ text }) =>
        text
          ? "connected with Authorization: Bearer abc.def-123, key sk-proj-abcdefgh1234 and xoxb-1111-2222-abcd; retry at /login?user=ann&password=hunter2&api_key=k-42"
          : {
              headers: { authorization: "Bearer abc.def-123", "x-api-key": "k-42" },
              session: { token: "t-1", user: "ann" },
              note: "token=t-1",
            },
    });
    const secrets = ["abc.def-123", "sk-proj-abcdefgh1234", "xoxb-1111-2222-abcd", "hunter2", "k-42", "t-1"];
    const stored = async (args: string) => {
      const request = toolCall("leaky", args);
      const outcome = await executor.execute(leaky, request, context);
      const [row] = await database.db.select().from(toolCalls).where(eq(toolCalls.callId, request.id));
      return { outcome, row: row! };
    };

    const json = await stored('{"text": false}');
    expect(JSON.parse(json.outcome.content)).toMatchObject({ headers: { authorization: "Bearer abc.def-123" }, session: { token: "t-1" } });
    expect(JSON.parse(json.row.result!)).toEqual({
      headers: { authorization: "[redacted]", "x-api-key": "[redacted]" },
      session: { token: "[redacted]", user: "ann" },
      note: "token=[redacted]",
    });

    const text = await stored('{"text": true}');
    expect(text.outcome.content).toContain("Bearer abc.def-123");
    expect(text.row.result).toBe(
      "connected with Authorization: Bearer [redacted], key [redacted] and [redacted]; retry at /login?user=ann&password=[redacted]&api_key=[redacted]",
    );

    const broken = await stored('{"text": true, "password": "hunter2", "auth": "Bearer abc.def-123"');
    expect(broken.outcome.ok).toBe(false);
    expect(broken.row.arguments).toBe('{"text": true, "password": "[redacted]", "auth": "Bearer [redacted]"');
    for (const row of [json.row, text.row, broken.row]) for (const secret of secrets) expect(JSON.stringify(row)).not.toContain(secret);
  });

  it("writes rows in the background, in batches, and statistics include them", async () => {
    const background = new Background(createLogger("silent"));
    const batched = new ToolExecutor(database.db, { background });
    const outcomes = await Promise.all(
      [1, 2, 3, -1].map((n) => batched.execute(n < 0 ? undefined : tally, toolCall("tally", { n }), context)),
    );
    expect(outcomes.map((outcome) => outcome.ok)).toEqual([true, true, true, false]);
    const stats = (await batched.stats()).get("tally");
    expect(stats).toMatchObject({ calls: 4, successRate: 0.75 });
    await background.drain();
  });

  it("a row the table refuses costs only itself: the rest of its batch is stored and the failure is logged", async () => {
    const warnings: unknown[] = [];
    const log = createLogger("silent");
    log.warn = ((entry: unknown) => void warnings.push(entry)) as typeof log.warn;
    const background = new Background(log);
    const batched = new ToolExecutor(database.db, { background });
    // A thread deleted while its call ran: the row's conversation no longer exists.
    const contexts = [context, { ...context, conversationId: "deleted-thread" }, context];
    const requests = contexts.map((_, n) => toolCall("tally", { n }));
    await Promise.all(requests.map((request, n) => batched.execute(tally, request, contexts[n]!)));
    await background.drain();
    const stored = await database.db
      .select({ callId: toolCalls.callId })
      .from(toolCalls)
      .where(
        inArray(
          toolCalls.callId,
          requests.map((r) => r.id),
        ),
      );
    expect(stored.map((row) => row.callId).sort()).toEqual([requests[0]!.id, requests[2]!.id].sort());
    expect(warnings).toEqual([
      expect.objectContaining({ task: "tool audit", err: expect.objectContaining({ message: "1 audit row(s) refused" }) }),
    ]);
  });
});

import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { ConversationStore } from "../../src/agents/conversation/conversation-store.js";
import type { Database } from "../../src/db/client.js";
import { defineTool } from "../../src/tools/define.js";
import { type CallContext, ToolExecutor } from "../../src/tools/executor.js";
import { RedisRateLimiter } from "../../src/tools/rate-limiter.js";
import { scratchPglite } from "../support/databases.js";

let database: Database;
let context: CallContext;
let callNumber = 0;

const call = (name: string, args: unknown) => ({
  id: `call-${++callNumber}`,
  name,
  arguments: typeof args === "string" ? args : JSON.stringify(args),
});

beforeAll(async () => {
  database = await scratchPglite();
  const channel = await new ConversationStore(database.db).ensureChannel("web", "tools-executor", "tools-executor");
  context = { channelId: channel.id, author: { id: "u1", name: "Ann" } };
});

afterAll(async () => {
  await database.close();
});

describe("rate limits in Redis", () => {
  const connections: Redis[] = [];
  afterAll(() => {
    for (const redis of connections) redis.disconnect();
  });

  it("are shared by two executors", async () => {
    // The windows are fixed minutes: start at the top of one so the calls cannot straddle two.
    vi.useFakeTimers({ toFake: ["Date"], now: new Date("2026-01-01T00:00:00Z") });
    try {
      const prefix = `quorum:test:${randomBytes(6).toString("hex")}:`;
      const [a, b] = [0, 1].map(() => {
        const redis = new Redis("redis://127.0.0.1:6379", { maxRetriesPerRequest: 0 });
        connections.push(redis);
        return new ToolExecutor(database.db, { limiter: new RedisRateLimiter(redis, undefined, prefix) });
      }) as [ToolExecutor, ToolExecutor];
      const limited = defineTool({
        name: "limited",
        description: "Three a minute.",
        category: "test",
        input: z.object({}),
        policy: { perMinute: 3 },
        run: () => "ok",
      });
      const perChannel = defineTool({
        name: "chatty",
        description: "One a minute per channel.",
        category: "test",
        input: z.object({}),
        policy: { perChannelPerMinute: 1 },
        run: () => "ok",
      });
      const results = [];
      for (const executor of [a, b, a, b, a]) results.push((await executor.execute(limited, call("limited", {}), context)).ok);
      expect(results).toEqual([true, true, true, false, false]);
      expect((await b.execute(limited, call("limited", {}), context)).content).toBe(
        "Error: limited is rate limited (3 calls a minute); try again shortly.",
      );

      const other = await new ConversationStore(database.db).ensureChannel("web", "tools-executor-2", "other");
      expect((await a.execute(perChannel, call("chatty", {}), context)).ok).toBe(true);
      expect((await b.execute(perChannel, call("chatty", {}), context)).content).toMatch(/rate limited in this channel/);
      expect((await b.execute(perChannel, call("chatty", {}), { ...context, channelId: other.id })).ok).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});

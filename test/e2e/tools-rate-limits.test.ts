import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ConversationStore } from "../../src/agents/conversation/conversation-store.js";
import type { Database } from "../../src/db/client.js";
import { type CallContext, ToolExecutor } from "../../src/tools/executor.js";
import { RedisRateLimiter } from "../../src/tools/rate-limiter.js";
import { openToolBench, testTool, toolCall } from "../support/tools.js";

let database: Database;
let context: CallContext;

beforeAll(async () => {
  ({ database, context } = await openToolBench("tools-executor", { id: "u1", name: "Ann" }));
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
      const prefix = `quorum-test-${randomBytes(6).toString("hex")}`;
      const [a, b] = [0, 1].map(() => {
        const redis = new Redis("redis://127.0.0.1:6379", { maxRetriesPerRequest: 0 });
        connections.push(redis);
        return new ToolExecutor(database.db, { limiter: new RedisRateLimiter(redis, prefix) });
      }) as [ToolExecutor, ToolExecutor];
      const limited = testTool({
        name: "limited",
        description: "Three a minute.",
        policy: { perMinute: 3 },
        run: () => "ok",
      });
      const perChannel = testTool({
        name: "chatty",
        description: "One a minute per channel.",
        policy: { perChannelPerMinute: 1 },
        run: () => "ok",
      });
      const results = [];
      for (const executor of [a, b, a, b, a]) results.push((await executor.execute(limited, toolCall("limited", {}), context)).ok);
      expect(results).toEqual([true, true, true, false, false]);
      expect((await b.execute(limited, toolCall("limited", {}), context)).content).toBe(
        "Error: limited is rate limited (3 calls a minute); try again shortly.",
      );

      const other = await new ConversationStore(database.db).ensureChannel("web", "tools-executor-2", "other");
      expect((await a.execute(perChannel, toolCall("chatty", {}), context)).ok).toBe(true);
      expect((await b.execute(perChannel, toolCall("chatty", {}), context)).content).toMatch(/rate limited in this channel/);
      expect((await b.execute(perChannel, toolCall("chatty", {}), { ...context, channelId: other.id })).ok).toBe(true);
      // Every window lives under the bot's REDIS_PREFIX.
      expect((await connections[0]?.keys(`${prefix}:rate:*`))?.length).toBeGreaterThan(0);
    } finally {
      vi.useRealTimers();
    }
  });
});

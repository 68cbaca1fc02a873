import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConversationStore } from "../../src/agents/conversation/conversation-store.js";
import { UsageStore } from "../../src/agents/usage/usage-store.js";
import type { Database } from "../../src/db/client.js";
import { channelUsageDays, llmUsage, projects } from "../../src/db/schema.js";

/**
 * The usage store's tests, run on an engine: PGlite by test/unit/usage-store.test.ts, Postgres by
 * test/e2e/usage-store-postgres.test.ts (which also races two connection pools).
 */
export const usageStoreSuite = (engine: "pglite" | "postgres", open: () => Promise<Database>) =>
  describe(`usage store on ${engine}`, () => {
    let database: Database;
    let store: UsageStore;
    let conversations: ConversationStore;

    beforeAll(async () => {
      database = await open();
      store = new UsageStore(database.db);
      conversations = new ConversationStore(database.db, database);
    }, 60_000);
    afterAll(async () => {
      await database?.close();
    });

    const channel = async (name: string) => (await conversations.ensureChannel("web", name, name)).id;
    const day = async (channelId: string) =>
      (
        await database.db
          .select({ tokens: channelUsageDays.tokens, reserved: channelUsageDays.reserved })
          .from(channelUsageDays)
          .where(eq(channelUsageDays.channelId, channelId))
      )[0];

    it("sums a channel's calls per model over whole UTC days, today by default", async () => {
      const id = await channel("sums");
      await store.record({ channelId: id, messageId: "m1" }, "small", { promptTokens: 100, completionTokens: 20 });
      await store.record({ channelId: id, messageId: "m2" }, "small", { promptTokens: 50, completionTokens: 5 });
      await store.record({ channelId: id, messageId: "m2" }, "large", { promptTokens: 7, completionTokens: 3 });
      // Three days ago: outside today, inside a four-day window.
      await database.db.insert(llmUsage).values({
        channelId: id,
        model: "small",
        promptTokens: 1_000,
        completionTokens: 1,
        createdAt: sql`now() - interval '3 days'`,
      });
      expect(await store.channel(id)).toEqual([
        { model: "large", promptTokens: 7, completionTokens: 3 },
        { model: "small", promptTokens: 150, completionTokens: 25 },
      ]);
      expect(await store.channel(id, 4)).toContainEqual({ model: "small", promptTokens: 1_150, completionTokens: 26 });
      expect(await store.channel(await channel("nothing-yet"))).toEqual([]);
      expect(await day(id)).toEqual({ tokens: 185, reserved: 0 });
    });

    it("records a project's calls under its channel, with the task that spent them", async () => {
      const id = await channel("projects");
      await database.db.insert(projects).values({ id: "p-usage", channelId: id, goal: "g", createdBy: "ann", thread: "t" });
      await store.record({ projectId: "p-usage" }, "small", { promptTokens: 10, completionTokens: 2 });
      await store.record({ projectId: "p-usage", taskKey: "a" }, "small", { promptTokens: 30, completionTokens: 4 });
      expect(await store.project("p-usage")).toEqual([{ model: "small", promptTokens: 40, completionTokens: 6 }]);
      const rows = await database.db
        .select({ channelId: llmUsage.channelId, taskKey: llmUsage.taskKey })
        .from(llmUsage)
        .where(eq(llmUsage.projectId, "p-usage"));
      expect(rows).toEqual(
        expect.arrayContaining([
          { channelId: id, taskKey: null },
          { channelId: id, taskKey: "a" },
        ]),
      );
      expect(await store.channel(id)).toEqual([{ model: "small", promptTokens: 40, completionTokens: 6 }]);
    });

    it("admits what fits beside what was spent and what turns in flight hold, and takes back what they release", async () => {
      const id = await channel("budget");
      expect(await store.reserve(id, 1_200, 1_000)).toBe(false); // more than the whole budget
      expect(await store.reserve(id, 600, 1_000)).toBe(true);
      expect(await store.reserve(id, 600, 1_000)).toBe(false); // the first still holds 600
      // The first turn's call used 100: spent now, and no longer held.
      await store.record({ channelId: id }, "small", { promptTokens: 80, completionTokens: 20 }, 100);
      expect(await day(id)).toEqual({ tokens: 100, reserved: 500 });
      expect(await store.reserve(id, 400, 1_000)).toBe(true); // 100 + 500 + 400
      expect(await store.reserve(id, 1, 1_000)).toBe(false);
      await store.release(id, 500);
      await store.release(id, 400);
      expect(await day(id)).toEqual({ tokens: 100, reserved: 0 });
      await store.release(id, 50); // never below nothing
      expect(await day(id)).toEqual({ tokens: 100, reserved: 0 });
      expect(await store.reserve(id, 900, 1_000)).toBe(true);
    });

    it("lets a reservation lapse once its turn is long dead", async () => {
      const id = await channel("lapsed");
      expect(await store.reserve(id, 900, 1_000)).toBe(true);
      expect(await store.reserve(id, 900, 1_000)).toBe(false);
      await database.db
        .update(channelUsageDays)
        .set({ reservedUntil: sql`now() - interval '1 second'` })
        .where(eq(channelUsageDays.channelId, id));
      expect(await store.reserve(id, 900, 1_000)).toBe(true);
      expect(await day(id)).toEqual({ tokens: 0, reserved: 900 });
    });

    it("of many turns asking at once, admits exactly as many as fit", async () => {
      const id = await channel("race");
      const admitted = await Promise.all(Array.from({ length: 12 }, () => store.reserve(id, 100, 500)));
      expect(admitted.filter(Boolean)).toHaveLength(5);
      expect(await day(id)).toEqual({ tokens: 0, reserved: 500 });
    });
  });

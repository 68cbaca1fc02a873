import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ConversationStore } from "../../src/agents/conversation/conversation-store.js";
import { memoryValue, RECALL_POOL } from "../../src/agents/memory/scoring.js";
import { MemoryStore } from "../../src/agents/memory/store.js";
import type { Database } from "../../src/db/client.js";
import { rowsOf } from "../../src/db/rows.js";

/**
 * The memory store's tests, run on an engine: PGlite by test/unit/memory-store.test.ts, Postgres
 * by test/e2e/memory-store-postgres.test.ts.
 */
export const memoryStoreSuite = (_engine: "pglite" | "postgres", open: () => Promise<Database>) =>
  describe(`memory store on ${_engine}`, () => {
    let database: Database;
    let store: MemoryStore;
    let conversations: ConversationStore;
    let channel: string;
    let other: string;
    let thread: string;
    let otherThread: string;
    let n = 0;

    beforeAll(async () => {
      database = await open();
      conversations = new ConversationStore(database.db);
    }, 60_000);
    afterAll(async () => {
      await database?.close();
    });
    beforeEach(async () => {
      n += 1;
      store = new MemoryStore(database.db, { capacity: 50, relaxed: database.relaxed });
      channel = (await conversations.ensureChannel("web", `general-${n}`, "general")).id;
      other = (await conversations.ensureChannel("web", `random-${n}`, "random")).id;
      thread = (await conversations.openThread(channel, `t1-${n}`, "first")).id;
      otherThread = (await conversations.openThread(channel, `t2-${n}`, "second")).id;
    });

    /** Moves a memory's clock back, as if it had been stored and last used `days` ago. */
    async function age(id: number, days: number): Promise<void> {
      await database.db.execute(
        sql`update memories set created_at = now() - make_interval(days => ${days}), last_accessed_at = now() - make_interval(days => ${days}) where id = ${id}`,
      );
    }

    it("recalls a fact by any word of the question, in its channel only", async () => {
      const fact = await store.remember({ channelId: channel, kind: "semantic", content: "Our release codename is Bluefin" });
      await store.remember({ channelId: channel, kind: "semantic", content: "Lunch is at noon on Fridays" });

      const found = await store.recall({ channelId: channel, query: "what is the codename of the next release?" });
      expect(found.map((m) => m.id)).toEqual([fact.id]);
      expect(await store.recall({ channelId: other, query: "codename release" })).toEqual([]);
      expect(await store.recall({ channelId: channel, query: "nothing matches this" })).toEqual([]);
    });

    it("ranks the memory matching more of the question first, then by importance", async () => {
      const both = await store.remember({
        channelId: channel,
        kind: "semantic",
        content: "The deploy window is Tuesday evening",
        importance: 0.3,
      });
      const one = await store.remember({
        channelId: channel,
        kind: "semantic",
        content: "Nobody deploys without a review",
        importance: 0.9,
      });
      const low = await store.remember({ channelId: channel, kind: "semantic", content: "Deploys need a review", importance: 0.1 });

      const ranked = await store.recall({ channelId: channel, query: "deploy window", limit: 5 });
      expect(ranked[0]!.id).toBe(both.id);
      // Same relevance ("deploy" once): the more important wins.
      expect(ranked.slice(1).map((m) => m.id)).toEqual([one.id, low.id]);
    });

    it("ranks the same through the bounded candidate pool of a store whose channels may outgrow exact scoring", async () => {
      const pooled = new MemoryStore(database.db, { capacity: RECALL_POOL.EXACT_UP_TO + 1, relaxed: database.relaxed });
      const facts = [
        "The deploy window is Tuesday evening",
        "Nobody deploys without a review",
        "Lunch is at noon",
        "Review the deploy checklist on Tuesday",
        "The window cleaner comes Fridays",
      ];
      for (const [i, content] of facts.entries())
        await store.remember({ channelId: channel, kind: "semantic", content, importance: 0.2 + i * 0.1 });
      await store.remember({
        channelId: channel,
        kind: "working",
        content: "Tuesday deploy is on hold in this thread",
        conversationId: thread,
      });
      for (const query of [
        { channelId: channel, query: "deploy window Tuesday", limit: 10 },
        { channelId: channel, query: "review", limit: 2 },
        { channelId: channel, conversationId: thread, query: "Tuesday deploy", limit: 10 },
        { channelId: channel, externalThreadId: `t1-${n}`, query: "Tuesday deploy", limit: 10 },
        { channelId: channel, query: "deploy", kinds: ["semantic" as const], limit: 10 },
      ]) {
        const ids = async (from: MemoryStore) => (await from.recall(query)).map((m) => m.id);
        const exact = await ids(store);
        expect(exact.length).toBeGreaterThan(0);
        expect(await ids(pooled)).toEqual(exact);
      }
      const byExternal = await store.recall({ channelId: channel, externalThreadId: `t1-${n}`, query: "Tuesday deploy", limit: 10 });
      expect(byExternal.map((m) => m.kind)).toContain("working");
    });

    it("ranks a stale memory below a fresh one of equal relevance and importance", async () => {
      const stale = await store.remember({ channelId: channel, kind: "episodic", content: "The office wifi password changed" });
      const fresh = await store.remember({ channelId: channel, kind: "episodic", content: "The office printer moved" });
      await age(stale.id, 30);

      const ranked = await store.recall({ channelId: channel, query: "office" });
      expect(ranked.map((m) => m.id)).toEqual([fresh.id, stale.id]);
    });

    it("keeps working memory to its thread", async () => {
      const note = await store.remember({ channelId: channel, kind: "working", content: "Draft budget is 40k", conversationId: thread });

      expect((await store.recall({ channelId: channel, conversationId: thread, query: "budget" })).map((m) => m.id)).toEqual([note.id]);
      expect(await store.recall({ channelId: channel, conversationId: otherThread, query: "budget" })).toEqual([]);
      expect(await store.recall({ channelId: channel, query: "budget" })).toEqual([]);
      // By the platform's thread id, as a recall that starts before its message is stored asks.
      expect((await store.recall({ channelId: channel, externalThreadId: `t1-${n}`, query: "budget" })).map((m) => m.id)).toEqual([
        note.id,
      ]);
      expect(await store.recall({ channelId: channel, externalThreadId: `t2-${n}`, query: "budget" })).toEqual([]);
      expect(await store.recall({ channelId: channel, externalThreadId: "not stored yet", query: "budget" })).toEqual([]);
      expect(await store.recall({ channelId: other, externalThreadId: `t1-${n}`, query: "budget" })).toEqual([]);
      await expect(store.remember({ channelId: channel, kind: "working", content: "no thread" })).rejects.toThrow(/conversationId/);
    });

    it("bumps a repeated fact instead of storing it twice", async () => {
      const first = await store.remember({ channelId: channel, kind: "semantic", content: "Standup is at 9:30", importance: 0.5 });
      const again = await store.remember({ channelId: channel, kind: "semantic", content: "  Standup is at 9:30  ", importance: 0.5 });

      expect(again.id).toBe(first.id);
      expect(again.importance).toBeCloseTo(0.55);
      expect(again.accessCount).toBe(1);
      expect(await store.count(channel)).toBe(1);
      // Another kind, or another channel, is another memory.
      await store.remember({ channelId: channel, kind: "procedural", content: "Standup is at 9:30" });
      await store.remember({ channelId: other, kind: "semantic", content: "Standup is at 9:30" });
      expect(await store.count(channel)).toBe(2);
    });

    it("stores identical concurrent remembers once", async () => {
      const results = await Promise.all(
        Array.from({ length: 8 }, () => store.remember({ channelId: channel, kind: "semantic", content: "The on-call phone is blue" })),
      );
      expect(new Set(results.map((r) => r.id)).size).toBe(1);
      expect(await store.count(channel)).toBe(1);
    });

    it("marks what it recalls as used", async () => {
      const fact = await store.remember({ channelId: channel, kind: "semantic", content: "The VPN gateway is vpn2" });
      await age(fact.id, 10);

      const [recalled] = await store.recall({ channelId: channel, query: "vpn" });
      expect(recalled!.accessCount).toBe(1);
      expect(Date.now() - recalled!.lastAccessedAt.getTime()).toBeLessThan(60_000);
      const [again] = await store.recall({ channelId: channel, query: "vpn" });
      expect(again!.accessCount).toBe(2);
      expect((await store.list(channel)).find((m) => m.id === fact.id)!.accessCount).toBe(2);
    });

    it("forgets the least valuable memories beyond its capacity", async () => {
      const small = new MemoryStore(database.db, { capacity: 3, relaxed: database.relaxed });
      const keep = await small.remember({ channelId: channel, kind: "procedural", content: "Always tag releases", importance: 0.9 });
      const weak = await small.remember({ channelId: channel, kind: "episodic", content: "Someone said hi", importance: 0.05 });
      await small.remember({ channelId: channel, kind: "semantic", content: "The repo is quorum", importance: 0.6 });
      await small.remember({ channelId: channel, kind: "semantic", content: "CI runs on main", importance: 0.6 });
      await small.remember({ channelId: other, kind: "episodic", content: "Elsewhere", importance: 0.01 });

      const left = await small.list(channel);
      expect(left).toHaveLength(3);
      expect(left.map((m) => m.id)).toContain(keep.id);
      expect(left.map((m) => m.id)).not.toContain(weak.id);
      // Capacity is per channel: the other channel's weak memory stays.
      expect(await small.count(other)).toBe(1);
    });

    it("forgets records of turns before taught facts, and a fact only for a fact, restorably and said", async () => {
      const small = new MemoryStore(database.db, { capacity: 3, relaxed: database.relaxed });
      const teach = (content: string, importance: number) =>
        small.remember({ channelId: channel, kind: "semantic", content, importance, conversationId: thread });
      const weakest = await teach("The wiki lives on Confluence", 0.2);
      // A valuable record of a turn still goes before a weak fact.
      const record = await small.remember({ channelId: channel, kind: "episodic", content: "Ann asked about the wiki", importance: 1 });
      await teach("Payments are owned by Dana", 0.9);
      const third = await teach("Standups are at 9:30", 0.8);
      expect(third.displaced).toEqual([]);
      expect((await small.list(channel)).map((m) => m.id)).not.toContain(record.id);
      expect(await small.count(channel)).toBe(3);

      // Full of facts: a record of a turn is kept beyond them but never pushes one out.
      const overflow = await small.remember({ channelId: channel, kind: "episodic", content: "Bo said hello" });
      expect(overflow.displaced).toEqual([]);
      expect(await small.count(channel)).toBe(4);

      const newest = await teach("Releases ship on Thursdays", 0.7);
      expect(newest.displaced).toEqual([{ id: weakest.id, kind: "semantic", content: "The wiki lives on Confluence" }]);
      expect(small.takeDisplaced(thread)).toEqual(newest.displaced);
      expect(small.takeDisplaced(thread)).toEqual([]);
      const left = (await small.list(channel)).map((m) => m.id);
      expect(left).toHaveLength(3);
      expect(left).toContain(newest.id);
      expect(left).not.toContain(overflow.id);
      expect(await small.recall({ channelId: channel, query: "wiki confluence" })).toEqual([]);

      const [forgotten] = await small.forgotten(channel);
      expect(forgotten!.id).toBe(weakest.id);
      expect(await small.forgotten(other)).toEqual([]);
      expect(await small.restore(other, weakest.id)).toBeNull();
      expect((await small.restore(channel, weakest.id))!.content).toBe("The wiki lives on Confluence");
      expect(await small.forgotten(channel)).toEqual([]);
      expect((await small.recall({ channelId: channel, query: "wiki" })).map((m) => m.id)).toEqual([weakest.id]);
    });

    it("keeps taught facts forgotten by hand restorable, other memories not, and purges after 30 days", async () => {
      const fact = await store.remember({ channelId: channel, kind: "procedural", content: "Tag every release" });
      const chat = await store.remember({ channelId: channel, kind: "episodic", content: "Someone said hi" });
      expect(await store.forget(channel, fact.id)).toBe(true);
      expect(await store.forget(channel, fact.id)).toBe(false);
      expect(await store.forget(channel, chat.id)).toBe(true);
      expect((await store.forgotten(channel)).map((m) => m.id)).toEqual([fact.id]);
      expect(await store.restore(channel, chat.id)).toBeNull();

      // Taught again: the forgotten row comes back rather than a twin.
      const again = await store.remember({ channelId: channel, kind: "procedural", content: "Tag every release" });
      expect(again.id).toBe(fact.id);
      expect(await store.forgotten(channel)).toEqual([]);
      expect(await store.count(channel)).toBe(1);

      expect(await store.forgetAll(channel)).toBe(1);
      await database.db.execute(sql`update memories set forgotten_at = now() - make_interval(days => 31) where id = ${fact.id}`);
      expect(await store.forgotten(channel)).toEqual([]);
      expect(await store.restore(channel, fact.id)).toBeNull();
      // The channel's next write purges it for good.
      await store.remember({ channelId: channel, kind: "semantic", content: "Something new" });
      const rows = rowsOf<{ id: number }>(await database.db.execute(sql`select id from memories where id = ${fact.id}`));
      expect(rows).toEqual([]);
    });

    it("lists most valuable first, by kind when asked, as the SQL and memoryValue agree", async () => {
      await store.remember({ channelId: channel, kind: "episodic", content: "a chat happened", importance: 0.5 });
      await store.remember({ channelId: channel, kind: "procedural", content: "write tests first", importance: 0.8 });
      const old = await store.remember({ channelId: channel, kind: "semantic", content: "the old office", importance: 0.95 });
      await age(old.id, 365);

      const listed = await store.list(channel);
      expect(listed.map((m) => m.content)).toEqual(["write tests first", "a chat happened", "the old office"]);
      const values = listed.map((m) => memoryValue(m));
      expect([...values].sort((a, b) => b - a)).toEqual(values);
      expect((await store.list(channel, { kinds: ["semantic"] })).map((m) => m.id)).toEqual([old.id]);
      expect(await store.list(channel, { kinds: [] })).toEqual([]);
    });

    it("forgets one memory of its own channel, or all of them", async () => {
      const mine = await store.remember({ channelId: channel, kind: "semantic", content: "Fact one" });
      await store.remember({ channelId: channel, kind: "semantic", content: "Fact two" });
      const theirs = await store.remember({ channelId: other, kind: "semantic", content: "Their fact" });

      expect(await store.forget(channel, theirs.id)).toBe(false);
      expect(await store.forget(channel, mine.id)).toBe(true);
      expect(await store.forget(channel, mine.id)).toBe(false);
      expect(await store.forget(channel, -1)).toBe(false);
      expect(await store.forgetAll(channel)).toBe(1);
      expect(await store.count(channel)).toBe(0);
      expect(await store.count(other)).toBe(1);
    });

    it("treats hostile search text as plain words", async () => {
      const fact = await store.remember({ channelId: channel, kind: "semantic", content: "Tables are booked for the offsite" });
      for (const query of ["'; drop table memories; --", '"unterminated', "-tables", "tables & | ! ( ) :*", "\\ \u0000 ☃"]) {
        const found = await store.recall({ channelId: channel, query });
        expect(found.every((m) => m.id === fact.id)).toBe(true);
      }
      expect((await store.recall({ channelId: channel, query: "'; drop tables --" })).map((m) => m.id)).toEqual([fact.id]);
      expect(await store.count(channel)).toBe(1);
    });

    it("rejects empty content and unknown kinds", async () => {
      await expect(store.remember({ channelId: channel, kind: "semantic", content: "   " })).rejects.toThrow(/empty/);
      // @ts-expect-error: a kind from outside that slipped past validation
      await expect(store.remember({ channelId: channel, kind: "gossip", content: "x" })).rejects.toThrow(/Unknown memory kind/);
    });
  });

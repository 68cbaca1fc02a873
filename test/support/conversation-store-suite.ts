import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConversationStore } from "../../src/agents/conversation/conversation-store.js";
import type { Database } from "../../src/db/client.js";
import { rowsOf } from "../../src/db/rows.js";

/**
 * The conversation store's tests, run on an engine: PGlite by test/unit/conversation-store.test.ts,
 * Postgres by test/e2e/conversation-store-postgres.test.ts.
 */
export const conversationStoreSuite = (_engine: "pglite" | "postgres", open: () => Promise<Database>) =>
  describe(`conversation store on ${_engine}`, () => {
    let database: Database;
    let store: ConversationStore;
    let channel: string;

    beforeAll(async () => {
      database = await open();
      store = new ConversationStore(database.db, database);
      channel = (await store.ensureChannel("web", "store", "store")).id;
    }, 60_000);
    afterAll(async () => {
      await database?.close();
    });

    const delivery = (eventId: string, thread: string, content: string) => ({
      platform: "web" as const,
      eventId,
      channelId: channel,
      externalThreadId: thread,
      author: "ada",
      content,
    });

    it("stores a delivery once, in the thread it opens (and says so), and flushes it to disk", async () => {
      const first = await store.receive(delivery("e1", "t1", "hello"));
      expect(first).toMatchObject({ seq: expect.any(Number), opened: true });
      await store.flush();
      expect(await store.receive(delivery("e1", "t1", "hello"))).toBeUndefined();
      const again = await store.receive(delivery("e2", "t1", "again"));
      expect(again!.conversationId).toBe(first!.conversationId);
      expect(again!.seq).toBeGreaterThan(first!.seq);
      expect(again!.opened).toBe(false);
      expect((await store.messages(first!.conversationId)).map((m) => m.content)).toEqual(["hello", "again"]);
    });

    it.runIf(_engine === "postgres")("flushes the WAL past a message it received without waiting for the disk", async () => {
      await store.receive(delivery("e4", "t3", "keep me"));
      const lsn = (rows: unknown) => rowsOf<{ lsn: string }>(rows)[0]!.lsn;
      const written = lsn(await database.db.execute(sql`select pg_current_wal_insert_lsn()::text as lsn`));
      await store.flush();
      const flushed = rowsOf<{ ok: boolean }>(
        await database.db.execute(sql`select pg_current_wal_flush_lsn() >= ${written}::pg_lsn as ok`),
      );
      expect(flushed[0]!.ok).toBe(true);
    });

    it("shows a reply stored without waiting for the disk to the next read at once", async () => {
      const received = await store.receive(delivery("e3", "t2", "question"));
      await store.addMessage({ conversationId: received!.conversationId, role: "assistant", author: "assistant", content: "answer" });
      const history = await store.history(received!.conversationId, received!.seq, 10);
      expect(history.map((m) => [m.role, m.content])).toEqual([
        ["user", "question"],
        ["assistant", "answer"],
      ]);
    });

    it("gives a turn in a direct conversation the channel's last day, across its threads, up to its message", async () => {
      const dm = (await store.ensureChannel("web", "store-dm", "DM with ada")).id;
      const said = (eventId: string, thread: string, content: string) =>
        store.receive({ ...delivery(eventId, thread, content), channelId: dm });
      const answer = (conversationId: string, content: string, error?: string) =>
        store.addMessage({ conversationId, role: "assistant", author: "assistant", content, ...(error ? { error } : {}) });
      const old = (await said("dm1", "old", "last week's question"))!;
      await answer(old.conversationId, "last week's answer");
      await database.db.execute(
        sql`update messages set created_at = now() - interval '3 days' where conversation_id = ${old.conversationId}`,
      );
      await database.db.execute(sql`update conversations set updated_at = now() - interval '3 days' where id = ${old.conversationId}`);
      const first = (await said("dm2", "a", "my name is ada"))!;
      await answer(first.conversationId, "hello ada");
      const failed = (await said("dm3", "b", "this one failed"))!;
      await answer(failed.conversationId, "⚠️ I could not answer", "timeout");
      const asked = (await said("dm4", "c", "what is my name?"))!;
      await said("dm5", "d", "a message queued behind it");
      const history = await store.recentInChannel(dm, asked.conversationId, asked.seq, 24 * 3_600_000, 10);
      // Failed turns are not fed back (their replies); the message that failed is still what was said.
      expect(history.map((m) => m.content)).toEqual(["what is my name?", "this one failed", "hello ada", "my name is ada"]);
      expect((await store.recentInChannel(dm, asked.conversationId, asked.seq, 24 * 3_600_000, 2)).map((m) => m.content)).toEqual([
        "what is my name?",
        "this one failed",
      ]);
    });
  });

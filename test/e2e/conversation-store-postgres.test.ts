import { describe, expect, it } from "vitest";
import { ConversationStore } from "../../src/agents/conversation/conversation-store.js";
import { conversationStoreSuite } from "../support/conversation-store-suite.js";
import { scratchPostgres } from "../support/databases.js";

conversationStoreSuite("postgres", scratchPostgres);

describe("conversation store on Postgres without prepared statements (DATABASE_PREPARE=off)", () => {
  it("stores and reads a thread", async () => {
    const database = await scratchPostgres({ prepare: false });
    try {
      const store = new ConversationStore(database.db, database);
      const channel = (await store.ensureChannel("web", "unprepared", "unprepared")).id;
      const received = await store.receive({
        platform: "web",
        eventId: "u1",
        channelId: channel,
        externalThreadId: "t",
        author: "ada",
        content: "hi",
      });
      await store.flush();
      await store.addMessage({ conversationId: received!.conversationId, role: "assistant", author: "assistant", content: "hello" });
      expect((await store.history(received!.conversationId, received!.seq, 10)).map((m) => m.content)).toEqual(["hi", "hello"]);
    } finally {
      await database.close();
    }
  });
});

describe("a new channel's first messages at once on Postgres", () => {
  it("each gets the channel's row, whichever inserted it", async () => {
    const database = await scratchPostgres();
    try {
      // Processes of their own, each without the row cached: every one inserts, over its own connection.
      const stores = Array.from({ length: 8 }, () => new ConversationStore(database.db, database));
      for (let round = 0; round < 10; round++) {
        const rows = await Promise.all(stores.map((store) => store.ensureChannel("slack", `C${round}`, `general-${round}`)));
        expect(new Set(rows.map((row) => row.id))).toEqual(new Set([`slack:C${round}`]));
      }
    } finally {
      await database.close();
    }
  });
});

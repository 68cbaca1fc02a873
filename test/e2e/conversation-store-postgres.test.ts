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

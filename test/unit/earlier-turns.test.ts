import { describe, expect, it } from "vitest";
import type { ConversationStore } from "../../src/agents/conversation/conversation-store.js";
import { afterEarlierTurns } from "../../src/agents/conversation/earlier-turns.js";

/** A store whose earlier turns are `ahead` until asked once, counting what it was asked. */
function store(ahead: string[]) {
  const asked: unknown[] = [];
  const conversations = {
    unsettledBefore: async (at: unknown) => {
      asked.push(at);
      return asked.length === 1 ? ahead : [];
    },
  } as unknown as ConversationStore;
  return { conversations, asked };
}

describe("afterEarlierTurns", () => {
  it("waits for the turns of the thread's earlier messages", async () => {
    const { conversations, asked } = store(["m1"]);
    let awaited: string[] = [];
    await afterEarlierTurns(conversations, { conversationId: "c1", seq: 5 }, (ids) => {
      awaited = ids;
      return Promise.resolve();
    });
    expect(awaited).toEqual(["m1"]);
    expect(asked).toHaveLength(2);
  });

  it("asks nothing for the message that opened its thread", async () => {
    const { conversations, asked } = store(["m1"]);
    await afterEarlierTurns(conversations, { conversationId: "c1", seq: 5, opened: true });
    expect(asked).toHaveLength(0);
  });

  it("still asks for a DM's top-level message, whose earlier turns are in the channel's other threads", async () => {
    const { conversations, asked } = store([]);
    await afterEarlierTurns(conversations, { conversationId: "c1", seq: 5, opened: true, channelId: "slack:D1" });
    expect(asked).toHaveLength(1);
  });
});

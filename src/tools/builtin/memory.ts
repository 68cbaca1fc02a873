import { z } from "zod";
import { authorName } from "../../core/thread.js";
import type { MemoryKind } from "../../db/schema.js";
import { defineTool, type Tool } from "../define.js";

interface MemoryFact {
  id: number;
  kind: MemoryKind;
  content: string;
}

/** What the memory tools need of a channel's memory; the assistant's memory store provides it. */
export interface ChannelMemory {
  remember(input: {
    channelId: string;
    kind: MemoryKind;
    content: string;
    /** Who taught it, shown with the memory when it is recalled. */
    author?: string;
    importance?: number;
    /** The thread it was taught in: working memory belongs to it, and it is told of facts forced out to make room. */
    conversationId?: string;
  }): Promise<MemoryFact & { displaced: MemoryFact[] }>;
  recall(query: { channelId: string; conversationId?: string; query: string; limit?: number }): Promise<MemoryFact[]>;
  forget(channelId: string, id: number): Promise<boolean>;
}

/** `remember`, `recall` and `forget`, scoped to the calling channel (and thread, for working memory). */
export function memoryTools(store: ChannelMemory): Tool[] {
  const remember = defineTool({
    name: "remember",
    description:
      "Store a fact, decision or preference this channel told you, so you know it in later conversations. Use `semantic` for facts, `procedural` for how the team likes things done, `working` for notes about the current thread only.",
    category: "memory",
    risk: "write",
    input: z.object({
      fact: z.string().min(1).max(2_000).describe("The fact, stated on its own so it makes sense later"),
      kind: z.enum(["semantic", "procedural", "working"]).default("semantic"),
      importance: z.number().min(0).max(1).optional().describe("0 to 1; how much this matters"),
    }),
    run: async ({ fact, kind, importance }, context) => {
      if (kind === "working" && !context.conversationId)
        throw new Error("working memory belongs to a thread; use it inside a conversation");
      const record = await store.remember({
        channelId: context.channelId,
        kind,
        content: fact,
        author: authorName(context.author),
        importance,
        conversationId: context.conversationId,
      });
      const forgotten = record.displaced.map(({ id, content }) => ({ id, content }));
      return {
        remembered: record.content,
        id: record.id,
        kind: record.kind,
        ...(forgotten.length ? { forgottenToMakeRoom: forgotten } : {}),
      };
    },
  });

  const recall = defineTool({
    name: "recall",
    description: "Search what this channel taught you before, by words of the question.",
    category: "memory",
    risk: "read",
    input: z.object({
      query: z.string().min(1).max(500),
      limit: z.number().int().min(1).max(20).default(5),
    }),
    run: async ({ query, limit }, context) => {
      const found = await store.recall({ channelId: context.channelId, conversationId: context.conversationId, query, limit });
      return found.map((memory) => ({ id: memory.id, kind: memory.kind, content: memory.content }));
    },
  });

  const forget = defineTool({
    name: "forget",
    description: "Delete one memory of this channel by its id (from recall), when someone says it is wrong or asks you to forget it.",
    category: "memory",
    risk: "write",
    input: z.object({ id: z.number().int().positive().describe("The memory's id, as recall returned it") }),
    run: async ({ id }, context) => {
      if (!(await store.forget(context.channelId, id))) throw new Error(`this channel has no memory with id ${id}`);
      return { forgotten: id };
    },
  });

  return [remember, recall, forget];
}

import type { MemoryKind } from "../../db/schema.js";

export type { MemoryKind };

/** One stored memory as the store hands it out. */
export interface MemoryRecord {
  id: number;
  kind: MemoryKind;
  content: string;
  /** Who taught it; null for memories stored before authors were kept. */
  author: string | null;
  /** 0..1; how much the memory matters regardless of age. */
  importance: number;
  accessCount: number;
  createdAt: Date;
  lastAccessedAt: Date;
  /** The thread a working memory belongs to; null for the durable kinds. */
  conversationId: string | null;
}

export interface RememberInput {
  channelId: string;
  kind: MemoryKind;
  content: string;
  /**
   * Who taught it: the speaker's name, or "assistant" for what the bot keeps itself. Shown to the
   * model with the memory, so that it is read as someone's words, not as an instruction.
   */
  author?: string;
  /** 0..1; defaults per kind (see DEFAULT_IMPORTANCE). */
  importance?: number;
  /**
   * Required for working memory, which belongs to one thread. For the durable kinds only the
   * thread told of facts the write displaced (see MemoryStore.takeDisplaced): a fact learned in a
   * thread outlives the thread.
   */
  conversationId?: string;
}

export interface RecallQuery {
  channelId: string;
  /** Free user text; any word of it may match (OR semantics). */
  query: string;
  /** The working memory of this thread is included only when given. */
  conversationId?: string;
  /**
   * The same, by the platform's id of the thread, for a recall that starts while the message that
   * may open the thread is still being stored (a thread not stored yet has no working memory).
   */
  externalThreadId?: string;
  kinds?: MemoryKind[];
  /** Default 5, at most 100. */
  limit?: number;
}

export interface ListOptions {
  /** Default 50, at most 1000. */
  limit?: number;
  kinds?: MemoryKind[];
}

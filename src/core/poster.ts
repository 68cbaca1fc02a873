import type { ThreadRef } from "./thread.js";

export interface PostedMessage {
  id: string;
}

/** A reply being written: text arrives in pieces, then the reply is finished or fails. */
export interface ReplyStream {
  append(delta: string): void;
  /** Publishes the whole final text, which replaces whatever was streamed. */
  finish(text: string): Promise<PostedMessage>;
}

/** How anything (the assistant, a worker) writes into a platform's thread. */
export interface Poster {
  post(to: ThreadRef, text: string): Promise<PostedMessage>;
  update(to: ThreadRef, messageId: string, text: string): Promise<void>;
  /** `replyId` is the id the reply is stored under; a platform that can choose its message ids uses it. */
  stream(to: ThreadRef, options?: { replyId?: string }): ReplyStream;
}

import type { Platform, ThreadRef } from "./thread.js";

export interface PostedMessage {
  id: string;
}

/** Why a turn failed: a short kind such as "timeout", "rate_limited" or "internal". */
export interface ReplyFailure {
  error: string;
}

/** A reply being written: text arrives in pieces, then the reply is finished or fails. */
export interface ReplyStream {
  append(delta: string): void;
  /**
   * Publishes the whole final text, which replaces whatever was streamed; called once the reply is
   * stored. `failure` marks the text of a turn that failed, for platforms that show it as such.
   */
  finish(text: string, failure?: ReplyFailure): Promise<PostedMessage>;
}

export interface OpenedThread {
  thread: string;
  /** The first message, posted in the new thread (or as its parent, where the platform threads that way). */
  messageId: string;
}

/** How anything (the assistant, a worker) writes into a platform's thread. */
export interface Poster {
  /** Starts a thread in a channel with `text` as its first message; `title` names it where threads have names. */
  openThread(to: Omit<ThreadRef, "thread">, title: string, text: string): Promise<OpenedThread>;
  post(to: ThreadRef, text: string): Promise<PostedMessage>;
  update(to: ThreadRef, messageId: string, text: string): Promise<void>;
  /** `replyId` is the id the reply is stored under; a platform that can choose its message ids uses it. */
  stream(to: ThreadRef, options?: { replyId?: string }): ReplyStream;
}

/** The poster of each platform this process can write to. */
export type PosterFor = (platform: Platform) => Poster | undefined;

/** Project events for the web console's browsers; other platforms see only the thread itself. */
export interface ProjectEvents {
  progress(to: ThreadRef, projectId: string, text: string): void;
  done(to: ThreadRef, projectId: string, text: string): void;
}

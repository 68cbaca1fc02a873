import type { Platform, ThreadRef } from "./thread.js";

export interface PostedMessage {
  id: string;
}

/** Why a turn failed: a short kind such as "timeout", "rate_limited" or "internal". */
export interface ReplyFailure {
  error: string;
  /**
   * The turn threw before its reply could be stored, so the text is not in the thread's stored
   * history: a platform whose thread is that history (the web console) shows nothing, its caller
   * is told otherwise; a chat platform shows the text like any other.
   */
  unstored?: boolean;
}

/** A reply being written: text arrives in pieces, then the reply is finished or fails. */
export interface ReplyStream {
  append(delta: string): void;
  /**
   * Publishes the whole final text, which replaces whatever was streamed; called once the reply is
   * stored. `failure` marks the text of a turn that failed, for platforms that show it as such.
   */
  finish(text: string, failure?: ReplyFailure): Promise<PostedMessage>;
  /**
   * The answer's text is all there; `finish` follows once the reply is stored. A stream that has
   * shown nothing yet waits for it rather than show the same text live: one write, not two.
   */
  complete?(): void;
}

export interface OpenedThread {
  thread: string;
  /** The first message, posted in the new thread (or as its parent, where the platform threads that way). */
  messageId: string;
}

/** A tool call waiting for a person's yes, as a thread shows it (arguments with secrets hidden). */
export interface ApprovalPrompt {
  id: string;
  tool: string;
  args: unknown;
  /** Who asked: they, or an admin, may decide. */
  asker: { id: string; name: string };
  expiresAt: Date;
}

/** What became of an approval: decided by a person, or expired (counts as denied). */
export interface ApprovalOutcomeView {
  state: "approved" | "denied" | "expired";
  /** The person's name; absent when it expired. */
  by?: string;
  at: Date;
}

/** How anything (the assistant, a worker) writes into a platform's thread. */
export interface Poster {
  /**
   * Starts a thread in a channel with `text` as its first message; `title` names it where threads
   * have names. `storedId`, here and in `post`, is the id the message is stored under; a platform
   * that chooses its own message ids (the console) uses it, so its edits and a reload find one message.
   */
  openThread(to: Omit<ThreadRef, "thread">, title: string, text: string, options?: { storedId?: string }): Promise<OpenedThread>;
  post(to: ThreadRef, text: string, options?: { storedId?: string }): Promise<PostedMessage>;
  update(to: ThreadRef, messageId: string, text: string): Promise<void>;
  /** `replyId` is the id the reply is stored under; a platform that can choose its message ids uses it. */
  stream(to: ThreadRef, options?: { replyId?: string }): ReplyStream;
  /** Posts the prompt with Approve and Deny buttons; its id is what `showDecision` updates. */
  askApproval(to: ThreadRef, prompt: ApprovalPrompt): Promise<PostedMessage>;
  /** Replaces the prompt's buttons with who decided and when. */
  showDecision(to: ThreadRef, messageId: string, prompt: ApprovalPrompt, outcome: ApprovalOutcomeView): Promise<void>;
}

/** The poster of each platform this process can write to. */
export type PosterFor = (platform: Platform) => Poster | undefined;

/** Project events for the web console's browsers; other platforms see only the thread itself. */
export interface ProjectEvents {
  progress(to: ThreadRef, projectId: string, text: string): void;
  done(to: ThreadRef, projectId: string, text: string): void;
}

/** Where a turn writes: its reply, and the prompt of a call that waits for a person. */
export interface TurnOutput {
  to: ThreadRef;
  stream: ReplyStream;
  askApproval(prompt: ApprovalPrompt): Promise<PostedMessage>;
}

/** A turn's output into `to` through `poster`, its reply stored under `replyId`. */
export function turnOutput(poster: Poster, to: ThreadRef, replyId: string): TurnOutput {
  return { to, stream: poster.stream(to, { replyId }), askApproval: (prompt) => poster.askApproval(to, prompt) };
}

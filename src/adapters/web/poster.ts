import { randomUUID } from "node:crypto";
import type { ApprovalOutcomeView, ApprovalPrompt, OpenedThread, PostedMessage, Poster, ReplyStream } from "../../core/poster.js";
import type { ThreadRef } from "../../core/thread.js";
import type { ConsoleEvents } from "./events.js";

/** The console's Poster: replies are events to the browsers; the thread itself lives in the database. */
export class WebPoster implements Poster {
  constructor(private readonly hub: ConsoleEvents) {}

  /** Console threads are ids of our own choosing. */
  async openThread(to: Omit<ThreadRef, "thread">, _title: string, text: string, options?: { storedId?: string }): Promise<OpenedThread> {
    const thread = randomUUID();
    const { id } = await this.post({ ...to, thread }, text, options);
    return { thread, messageId: id };
  }

  async post(to: ThreadRef, text: string, options?: { storedId?: string }) {
    const id = options?.storedId ?? randomUUID();
    this.hub.publish({ type: "message.done", channel: to.channel, thread: to.thread, messageId: id, text });
    return { id };
  }

  async update(to: ThreadRef, messageId: string, text: string) {
    this.hub.publish({ type: "message.done", channel: to.channel, thread: to.thread, messageId, text });
  }

  /** The browsers show the buttons; the approval's id is the prompt's id. */
  async askApproval(to: ThreadRef, prompt: ApprovalPrompt): Promise<PostedMessage> {
    this.hub.publish({ type: "approval.requested", channel: to.channel, thread: to.thread, approval: prompt });
    return { id: prompt.id };
  }

  async showDecision(to: ThreadRef, _messageId: string, prompt: ApprovalPrompt, outcome: ApprovalOutcomeView): Promise<void> {
    this.hub.publish({ type: "approval.decided", channel: to.channel, thread: to.thread, id: prompt.id, ...outcome });
  }

  stream(to: ThreadRef, options?: { replyId?: string }): ReplyStream {
    const messageId = options?.replyId ?? randomUUID();
    const base = { channel: to.channel, thread: to.thread, messageId };
    return {
      append: (delta) => this.hub.publish({ type: "message.delta", ...base, delta }),
      finish: async (text, failure) => {
        // message.done means stored; the sender learns of a turn that threw from its request.
        if (failure?.unstored) return { id: messageId };
        this.hub.publish({ type: "message.done", ...base, text, ...(failure && { failed: true, error: failure.error }) });
        return { id: messageId };
      },
    };
  }
}

import type { WebClient } from "@slack/web-api";
import { LRUCache } from "lru-cache";
import type { Logger } from "pino";
import { approvalText, decisionText } from "../../core/approval-text.js";
import type { ApprovalOutcomeView, ApprovalPrompt, OpenedThread, PostedMessage, Poster, ReplyStream } from "../../core/poster.js";
import type { ThreadRef } from "../../core/thread.js";
import { EditStream } from "../edit-stream.js";
import { APPROVAL_BLOCK, APPROVE_ACTION, DENY_ACTION } from "./approval-actions.js";
import { slackEditable } from "./editable.js";
import { slackDate, toMrkdwn } from "./format.js";
import { SlackMessages } from "./messages.js";
import { SlackNativeStream } from "./reply-stream.js";

/**
 * Threads whose last asker is kept: a reply streams right after its message arrives, so only the
 * busiest threads matter. No TTL: what is kept is replaced by the next message, not changed elsewhere.
 */
const RECIPIENTS_KEPT = 10_000;

export interface SlackPosterOptions {
  editIntervalMs?: number;
  messageLimit?: number;
}

/** Writes into Slack threads; any process can build one from the bot token alone. */
export class SlackPoster implements Poster {
  readonly #messages: SlackMessages;
  readonly #recipients = new LRUCache<string, { user: string; team?: string }>({ max: RECIPIENTS_KEPT });
  #native = true;

  constructor(
    private readonly client: WebClient,
    private readonly log: Logger,
    private readonly options: SlackPosterOptions = {},
  ) {
    this.#messages = new SlackMessages(client, options.messageLimit);
  }

  /** Remembers who asked in a thread: Slack streams to a named recipient outside DMs. */
  noteRecipient(to: ThreadRef, user: string, team: string | undefined): void {
    this.#recipients.set(`${to.channel}/${to.thread}`, { user, team });
  }

  /** A top-level message whose replies are the thread: its `ts` is the thread's. */
  async openThread(to: Omit<ThreadRef, "thread">, _title: string, text: string): Promise<OpenedThread> {
    const [first] = await this.#messages.post(to.channel, undefined, text);
    return { thread: first!, messageId: first! };
  }

  async post(to: ThreadRef, text: string): Promise<PostedMessage> {
    const [first] = await this.#messages.post(to.channel, to.thread || undefined, text);
    return { id: first ?? "" };
  }

  async update(to: ThreadRef, messageId: string, text: string): Promise<void> {
    await this.#messages.replace(to.channel, to.thread || undefined, messageId, text);
  }

  /** A Block Kit message with Approve and Deny buttons whose value is the approval's id. */
  async askApproval(to: ThreadRef, prompt: ApprovalPrompt): Promise<PostedMessage> {
    const text = toMrkdwn(approvalText(prompt));
    const posted = await this.client.chat.postMessage({
      channel: to.channel,
      thread_ts: to.thread,
      text,
      blocks: [
        { type: "section", text: { type: "mrkdwn", text } },
        {
          type: "actions",
          block_id: APPROVAL_BLOCK,
          elements: [
            {
              type: "button",
              action_id: APPROVE_ACTION,
              style: "primary",
              text: { type: "plain_text", text: "Approve" },
              value: prompt.id,
            },
            { type: "button", action_id: DENY_ACTION, style: "danger", text: { type: "plain_text", text: "Deny" }, value: prompt.id },
          ],
        },
      ],
    });
    return { id: posted.ts ?? "" };
  }

  /** The buttons give way to who decided and when, in each reader's own time zone. */
  async showDecision(to: ThreadRef, messageId: string, prompt: ApprovalPrompt, outcome: ApprovalOutcomeView): Promise<void> {
    const text = toMrkdwn(approvalText(prompt));
    const decided = decisionText(outcome, slackDate(outcome.at));
    await this.client.chat.update({
      channel: to.channel,
      ts: messageId,
      text: `${text}\n${decided}`,
      blocks: [
        { type: "section", text: { type: "mrkdwn", text } },
        { type: "context", elements: [{ type: "mrkdwn", text: decided }] },
      ],
    });
  }

  stream(to: ThreadRef): ReplyStream {
    const editable = slackEditable(this.client, this.#messages, to.channel, to.thread);
    const edits = () => new EditStream(editable, this.options.editIntervalMs ?? 1_000, this.log);
    if (!this.#native) return edits();
    return new SlackNativeStream(
      this.client,
      editable,
      { channel: to.channel, threadTs: to.thread, recipient: this.#recipients.get(`${to.channel}/${to.thread}`) },
      {
        refuse: (reason) => {
          if (this.#native) this.log.warn({ reason }, "Slack refused native streaming; answers stream by editing one message from now on");
          this.#native = false;
        },
        fallback: edits,
        appendChars: 256,
        flushMs: 400,
      },
      this.log,
    );
  }
}

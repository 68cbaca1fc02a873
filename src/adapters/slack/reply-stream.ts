import type { WebClient } from "@slack/web-api";
import type { Logger } from "pino";
import type { PostedMessage, ReplyStream } from "../../core/poster.js";
import type { EditableMessage, EditStream } from "../edit-stream.js";
import { SLACK_MESSAGE_LIMIT } from "./format.js";
import { slackErrorCode } from "./web-api-error.js";

export interface NativeStreamTarget {
  channel: string;
  threadTs: string;
  /** Who asked; Slack needs it to stream outside a DM. */
  recipient?: { user: string; team?: string };
}

export interface NativeStreamSettings {
  /** Called when the workspace refuses native streaming, so the poster stops trying. */
  refuse: (reason: string) => void;
  /** The edit-based stream to continue with when refused. */
  fallback: () => EditStream;
  /** Buffered text is sent once it is this long, or after `flushMs`. */
  appendChars: number;
  flushMs: number;
}

/**
 * An answer streamed with Slack's chat.startStream / appendStream / stopStream. If the workspace
 * refuses them, the answer continues as one edited message. The final text replaces what was
 * streamed when it differs, and long answers continue in follow-up messages.
 */
export class SlackNativeStream implements ReplyStream {
  #text = "";
  #sent = "";
  #ts: string | undefined;
  #fallback: EditStream | undefined;
  #failed = false;
  #timer: NodeJS.Timeout | undefined;
  #queued = false;
  /** chat.startStream is due or sent: text until it answers waits for the next append, not a second start. */
  #starting = false;
  /** Set by complete(): the text is all there, so a stream not started yet is not started. */
  #complete = false;
  #work: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: WebClient,
    private readonly editable: EditableMessage,
    private readonly target: NativeStreamTarget,
    private readonly settings: NativeStreamSettings,
    private readonly log: Logger,
  ) {}

  append(delta: string): void {
    this.#text += delta;
    if (this.#fallback) {
      this.#fallback.append(delta);
      return;
    }
    // Past most of one message, live text stops; finish() posts the rest as follow-ups.
    if (this.#text.length > SLACK_MESSAGE_LIMIT * 0.8 || this.#timer || this.#queued) return;
    const pending = this.#text.length - this.#sent.length;
    if (this.#ts !== undefined && pending >= this.settings.appendChars) {
      this.#flushSoon();
      return;
    }
    if (this.#ts === undefined && this.#starting) return;
    // The stream starts a timer's turn after the first text: an answer complete by then is posted as one message.
    this.#starting = true;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#flushSoon();
      },
      this.#ts === undefined ? 0 : this.settings.flushMs,
    );
  }

  complete(): void {
    this.#complete = true;
    if (this.#fallback) this.#fallback.complete();
    else if (this.#ts === undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  async finish(text: string): Promise<PostedMessage> {
    clearTimeout(this.#timer);
    await this.#work;
    if (this.#fallback) return this.#fallback.finish(text);
    const { channel } = this.target;
    if (this.#ts === undefined || this.#failed) return { id: await this.editable.publish(undefined, text) };
    if (text.length <= SLACK_MESSAGE_LIMIT * 0.9 && text.startsWith(this.#sent)) {
      const rest = text.slice(this.#sent.length);
      await this.client.chat.stopStream({ channel, ts: this.#ts, ...(rest ? { markdown_text: rest } : {}) });
      return { id: this.#ts };
    }
    await this.client.chat.stopStream({ channel, ts: this.#ts });
    return { id: await this.editable.publish(this.#ts, text) };
  }

  #flushSoon(): void {
    this.#queued = true;
    this.#work = this.#work
      .then(() => {
        this.#queued = false;
        return this.#flush();
      })
      .catch((error: unknown) => {
        // Live text is best effort; finish() still posts the whole answer.
        this.#failed = true;
        this.log.warn({ err: error, channel: this.target.channel }, "slack stream update failed");
      });
  }

  async #flush(): Promise<void> {
    if (this.#failed || this.#fallback || this.#text === this.#sent || (this.#complete && this.#ts === undefined)) return;
    const { channel, threadTs, recipient } = this.target;
    const chunk = this.#text.slice(this.#sent.length);
    if (this.#ts !== undefined) {
      await this.client.chat.appendStream({ channel, ts: this.#ts, markdown_text: chunk });
    } else {
      try {
        const started = await this.client.chat.startStream({
          channel,
          thread_ts: threadTs,
          markdown_text: chunk,
          ...(recipient ? { recipient_user_id: recipient.user, ...(recipient.team ? { recipient_team_id: recipient.team } : {}) } : {}),
        });
        this.#ts = started.ts as string;
      } catch (error) {
        const code = slackErrorCode(error);
        if (code === undefined || code === "ratelimited") throw error;
        this.settings.refuse(code);
        this.#fallback = this.settings.fallback();
        this.#fallback.append(this.#text);
        return;
      }
    }
    this.#sent += chunk;
  }
}

import type { WebClient } from "@slack/web-api";
import type { Logger } from "pino";
import type { PostedMessage, ReplyStream } from "../../core/poster.js";
import { SLACK_MESSAGE_LIMIT, toMrkdwn } from "./format.js";
import type { SlackMessages } from "./messages.js";
import { slackErrorCode } from "./web-api-error.js";

export interface StreamTarget {
  channel: string;
  threadTs: string;
  /** Who asked; Slack needs it to stream outside a DM. */
  recipient?: { user: string; team?: string };
}

export interface StreamSettings {
  /** Whether to try chat.startStream; the poster turns it off for good once the workspace refuses. */
  native: () => boolean;
  refuseNative: (reason: string) => void;
  /** Fewest milliseconds between two edits of one message in the fallback. */
  editIntervalMs: number;
  /** Buffered text is sent to a native stream once it is this long, or after `flushMs`. */
  appendChars: number;
  flushMs: number;
}

/**
 * One streamed answer: Slack's native stream (chat.startStream/appendStream/stopStream) where the
 * workspace allows it, else one message edited at most once per `editIntervalMs`. The final text
 * replaces what was streamed and is split into follow-up messages when long.
 */
export class SlackReplyStream implements ReplyStream {
  #text = "";
  #sent = "";
  #ts: string | undefined;
  #mode: "native" | "edit" | undefined;
  #lastEdit = 0;
  #timer: NodeJS.Timeout | undefined;
  #queued = false;
  #work: Promise<void> = Promise.resolve();
  #failed: unknown;

  constructor(
    private readonly client: WebClient,
    private readonly messages: SlackMessages,
    private readonly target: StreamTarget,
    private readonly settings: StreamSettings,
    private readonly log: Logger,
  ) {}

  append(delta: string): void {
    this.#text += delta;
    // Past one message's worth, live updates stop; finish() posts the rest as follow-ups.
    if (this.#text.length > SLACK_MESSAGE_LIMIT * 0.8) return;
    if (this.#timer || this.#queued) return;
    const delay = this.#delay();
    if (delay > 0) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#flushSoon();
      }, delay);
    } else {
      this.#flushSoon();
    }
  }

  /** Queues one flush; text arriving before it runs goes out with it. */
  #flushSoon(): void {
    this.#queued = true;
    this.#enqueue(async () => {
      this.#queued = false;
      await this.#flush();
    });
  }

  /** The first text shows at once; after that, edits wait out their interval and appends gather into chunks. */
  #delay(): number {
    if (this.#ts === undefined) return 0;
    if (this.#mode === "edit") return Math.max(0, this.#lastEdit + this.settings.editIntervalMs - Date.now());
    return this.#text.length - this.#sent.length >= this.settings.appendChars ? 0 : this.settings.flushMs;
  }

  async finish(text: string): Promise<PostedMessage> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#work;
    const { channel, threadTs } = this.target;
    if (this.#ts === undefined || this.#failed !== undefined) {
      const [first] = await this.messages.post(channel, threadTs, text);
      return { id: first ?? "" };
    }
    if (this.#mode === "native") {
      const fits = text.length <= SLACK_MESSAGE_LIMIT * 0.9;
      if (fits && text.startsWith(this.#sent)) {
        const rest = text.slice(this.#sent.length);
        await this.client.chat.stopStream({ channel, ts: this.#ts, ...(rest ? { markdown_text: rest } : {}) });
        return { id: this.#ts };
      }
      await this.client.chat.stopStream({ channel, ts: this.#ts });
    } else {
      await sleep(this.#lastEdit + this.settings.editIntervalMs - Date.now());
    }
    await this.messages.replace(channel, threadTs, this.#ts, text);
    return { id: this.#ts };
  }

  #enqueue(step: () => Promise<void>): void {
    this.#work = this.#work.then(step).catch((error: unknown) => {
      // Live updates are best effort; finish() still posts the whole answer.
      this.#failed = error;
      this.log.warn({ err: error, channel: this.target.channel }, "slack live update failed");
    });
  }

  async #flush(): Promise<void> {
    if (this.#failed !== undefined || this.#text === this.#sent) return;
    if (this.#mode === undefined) this.#mode = this.settings.native() ? "native" : "edit";
    if (this.#mode === "native" && (await this.#flushNative())) return;
    await this.#flushEdit();
  }

  /** False when the workspace refused native streaming; the caller falls back to edits. */
  async #flushNative(): Promise<boolean> {
    const { channel, threadTs, recipient } = this.target;
    const chunk = this.#text.slice(this.#sent.length);
    if (this.#ts === undefined) {
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
        this.settings.refuseNative(code);
        this.#mode = "edit";
        return false;
      }
    } else {
      await this.client.chat.appendStream({ channel, ts: this.#ts, markdown_text: chunk });
    }
    this.#sent += chunk;
    return true;
  }

  async #flushEdit(): Promise<void> {
    const { channel, threadTs } = this.target;
    const text = this.#text;
    const shown = `${toMrkdwn(text)} …`;
    if (this.#ts === undefined) {
      const posted = await this.client.chat.postMessage({ channel, thread_ts: threadTs, text: shown, unfurl_links: false });
      this.#ts = posted.ts as string;
    } else {
      await sleep(this.#lastEdit + this.settings.editIntervalMs - Date.now());
      await this.client.chat.update({ channel, ts: this.#ts, text: shown });
    }
    this.#lastEdit = Date.now();
    this.#sent = text;
  }
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

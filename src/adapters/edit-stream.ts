import type { Logger } from "pino";
import type { PostedMessage, ReplyStream } from "../core/poster.js";

/** How one platform shows a reply that is written by editing a single message. */
export interface EditableMessage {
  /** Posts the first live text; returns the message id. */
  post(text: string): Promise<string>;
  edit(id: string, text: string): Promise<void>;
  /** Publishes the whole final answer: replaces the live message (when there is one) and posts any follow-ups. */
  publish(id: string | undefined, text: string): Promise<string>;
  /** Live text as shown while the answer streams: formatted, cut to fit, marked unfinished. */
  preview(text: string): string;
}

/**
 * A reply streamed by editing one message at most once per `intervalMs`, the way chat platforms
 * allow. Live edits are best effort; the final answer is always published whole, as soon as it is
 * complete: the interval paces live edits only, and a platform that wants longer says so with a
 * 429 and Retry-After, which its client waits out.
 */
export class EditStream implements ReplyStream {
  #text = "";
  #shown = "";
  #id: string | undefined;
  #lastWrite = 0;
  #timer: NodeJS.Timeout | undefined;
  #queued = false;
  /** Set by finish(): live edits not yet sent are stale, and sending one would delay the final text by an interval. */
  #finished = false;
  /** Set by complete(): the text is all there, so a first post not sent yet waits for finish(). */
  #complete = false;
  #work: Promise<void> = Promise.resolve();
  /** Ends the wait of a live edit for its slot, which finish() makes stale. */
  #wake: (() => void) | undefined;

  constructor(
    private readonly message: EditableMessage,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  append(delta: string): void {
    this.#text += delta;
    if (this.#timer || this.#queued) return;
    // Even the first post waits a timer's turn: an answer that is complete by then is published as one write.
    const wait = this.#id === undefined ? 0 : Math.max(0, this.#lastWrite + this.intervalMs - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#flushSoon();
    }, wait);
  }

  complete(): void {
    this.#complete = true;
    if (this.#id !== undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async finish(text: string): Promise<PostedMessage> {
    this.#finished = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#wake?.();
    // A live write in flight is waited for (the first post gives the message to publish into); one still waiting for its slot is dropped.
    await this.#work;
    return { id: await this.message.publish(this.#id, text) };
  }

  #flushSoon(): void {
    this.#queued = true;
    this.#work = this.#work
      .then(async () => {
        this.#queued = false;
        if (this.#finished || (this.#complete && this.#id === undefined)) return;
        const preview = this.message.preview(this.#text);
        if (preview === this.#shown) return;
        if (this.#id === undefined) this.#id = await this.message.post(preview);
        else {
          await this.#slot(this.#lastWrite + this.intervalMs - Date.now());
          if (this.#finished) return;
          await this.message.edit(this.#id, preview);
        }
        this.#lastWrite = Date.now();
        this.#shown = preview;
      })
      .catch((error: unknown) => this.log.warn({ err: error }, "live reply update failed"));
  }

  /** Waits `ms` for the next edit's slot, or until finish() comes. */
  #slot(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.#wake?.(), ms);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
    });
  }
}

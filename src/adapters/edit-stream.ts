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
 * allow. Live edits are best effort; the final answer is always published whole.
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
  #work: Promise<void> = Promise.resolve();

  constructor(
    private readonly message: EditableMessage,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  append(delta: string): void {
    this.#text += delta;
    if (this.#timer || this.#queued) return;
    const wait = this.#id === undefined ? 0 : Math.max(0, this.#lastWrite + this.intervalMs - Date.now());
    if (wait === 0) {
      this.#flushSoon();
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#flushSoon();
    }, wait);
  }

  async finish(text: string): Promise<PostedMessage> {
    this.#finished = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#work;
    if (this.#id !== undefined) await sleep(this.#lastWrite + this.intervalMs - Date.now());
    return { id: await this.message.publish(this.#id, text) };
  }

  #flushSoon(): void {
    this.#queued = true;
    this.#work = this.#work
      .then(async () => {
        this.#queued = false;
        if (this.#finished) return;
        const preview = this.message.preview(this.#text);
        if (preview === this.#shown) return;
        if (this.#id === undefined) this.#id = await this.message.post(preview);
        else {
          await sleep(this.#lastWrite + this.intervalMs - Date.now());
          if (this.#finished) return;
          await this.message.edit(this.#id, preview);
        }
        this.#lastWrite = Date.now();
        this.#shown = preview;
      })
      .catch((error: unknown) => this.log.warn({ err: error }, "live reply update failed"));
  }
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

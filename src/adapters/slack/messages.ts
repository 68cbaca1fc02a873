import type { WebClient } from "@slack/web-api";
import { splitText } from "../../core/split-text.js";
import { SLACK_MESSAGE_LIMIT, slackPieces } from "./format.js";
import { slackErrorCode } from "./web-api-error.js";

/** Posts and edits thread messages so that no text is ever dropped, even when Slack says `msg_too_long`. */
export class SlackMessages {
  constructor(
    private readonly client: WebClient,
    private readonly limit = SLACK_MESSAGE_LIMIT,
  ) {}

  /** Posts Markdown as as many messages as it needs; returns their timestamps. */
  async post(channel: string, threadTs: string | undefined, markdown: string): Promise<string[]> {
    const posted: string[] = [];
    for (const piece of slackPieces(markdown, this.limit)) posted.push(...(await this.#postPiece(channel, threadTs, piece)));
    return posted;
  }

  /** Replaces a message's text with the first piece of `markdown` and posts the rest after it. */
  async replace(channel: string, threadTs: string | undefined, ts: string, markdown: string): Promise<void> {
    const [first = "", ...rest] = slackPieces(markdown, this.limit);
    try {
      await this.client.chat.update({ channel, ts, text: first });
    } catch (error) {
      if (slackErrorCode(error) !== "msg_too_long") throw error;
      const [head = "", ...tail] = halve(first);
      await this.client.chat.update({ channel, ts, text: head });
      rest.unshift(...tail);
    }
    for (const piece of rest) await this.#postPiece(channel, threadTs, piece);
  }

  async #postPiece(channel: string, threadTs: string | undefined, text: string): Promise<string[]> {
    try {
      const result = await this.client.chat.postMessage({ channel, thread_ts: threadTs, text, unfurl_links: false });
      return [result.ts as string];
    } catch (error) {
      if (slackErrorCode(error) !== "msg_too_long" || text.length < 200) throw error;
      const posted: string[] = [];
      for (const half of halve(text)) posted.push(...(await this.#postPiece(channel, threadTs, half)));
      return posted;
    }
  }
}

/** Splits already-converted text in two at a clean boundary; used only when Slack refuses a piece as too long. */
function halve(text: string): string[] {
  return splitText(text, Math.ceil(text.length / 2) + 20);
}

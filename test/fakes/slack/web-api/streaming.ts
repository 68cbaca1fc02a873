import { arr, checkLength, required, type SlackArgs, SlackError, type SlackMethods, str } from "./args.js";
import type { FakeSlackMessage, SlackState } from "./state.js";

/** chat.startStream, chat.appendStream and chat.stopStream: a message the bot writes in pieces. */

export const STREAM_METHODS = new Set(["chat.startStream", "chat.appendStream", "chat.stopStream"]);

export interface StreamLimits {
  /** Longest `markdown_text` per stream call. */
  maxStreamText: number;
  /** Refuse chat.startStream in a channel (not a DM) without recipient_team_id and recipient_user_id. */
  requireRecipients: boolean;
}

export function streamMethods(state: SlackState, limits: StreamLimits): SlackMethods {
  /** markdown_text plus the text of markdown_text chunks; other chunks are kept on the message. */
  function streamText(args: SlackArgs, into?: FakeSlackMessage): { text: string; other: unknown[] } {
    let text = str(args, "markdown_text") ?? "";
    const other: unknown[] = [];
    for (const chunk of arr(args, "chunks") ?? []) {
      const c = chunk as { type?: unknown; text?: unknown };
      if (c && c.type === "markdown_text" && typeof c.text === "string") text += c.text;
      else other.push(chunk);
    }
    checkLength(text, limits.maxStreamText);
    if (into && other.length > 0) into.chunks = [...(into.chunks ?? []), ...other];
    return { text, other };
  }

  /** The bot's message a stream call names, still streaming, with the call's text appended. */
  function continueStream(args: SlackArgs): { channel: string; found: FakeSlackMessage } {
    const channel = required(args, "channel", "channel_not_found");
    const found = state.ownMessage(channel, str(args, "ts"), "message_not_owned_by_app");
    if (found.stream !== "streaming") throw new SlackError("message_not_in_streaming_state");
    found.text += streamText(args, found).text;
    return { channel, found };
  }

  return {
    "chat.startStream": (args) => {
      const channel = required(args, "channel", "channel_not_found");
      if (limits.requireRecipients && !channel.startsWith("D")) {
        if (!str(args, "recipient_team_id")) throw new SlackError("missing_recipient_team_id");
        if (!str(args, "recipient_user_id")) throw new SlackError("missing_recipient_user_id");
      }
      const { text, other } = streamText(args);
      const stored = state.storeFromBot(
        channel,
        str(args, "thread_ts"),
        text,
        { ...(other.length > 0 ? { chunks: other } : {}), stream: "streaming" },
        "chat.startStream",
      );
      return { channel, ts: stored.ts };
    },

    "chat.appendStream": (args) => {
      const { channel, found } = continueStream(args);
      found.writes.push({ method: "chat.appendStream", at: Date.now(), text: found.text });
      return { channel, ts: found.ts };
    },

    "chat.stopStream": (args) => {
      const { channel, found } = continueStream(args);
      const blocks = arr(args, "blocks");
      if (blocks) found.blocks = [...(found.blocks ?? []), ...blocks];
      if (args.metadata) found.metadata = args.metadata;
      found.stream = "stopped";
      found.writes.push({ method: "chat.stopStream", at: Date.now(), text: found.text });
      return { channel, ts: found.ts, message: state.botMessage(found) };
    },
  };
}

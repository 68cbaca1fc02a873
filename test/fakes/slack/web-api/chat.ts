import { FAKE_SLACK, nextTs } from "../ids.js";
import { arr, checkLength, required, SlackError, type SlackMethods, str } from "./args.js";
import type { SlackState } from "./state.js";

/** chat.postMessage, chat.update, chat.delete and chat.postEphemeral; `maxText` is the longest `text` they accept. */
export function chatMethods(state: SlackState, maxText: number): SlackMethods {
  return {
    "chat.postMessage": (args) => {
      const channel = required(args, "channel", "channel_not_found");
      const blocks = arr(args, "blocks");
      const text = str(args, "text") ?? str(args, "markdown_text") ?? "";
      if (!text && !blocks && !arr(args, "attachments")) throw new SlackError("no_text");
      checkLength(text, maxText);
      const stored = state.storeFromBot(
        channel,
        str(args, "thread_ts"),
        text,
        { ...(blocks ? { blocks } : {}), ...(args.metadata ? { metadata: args.metadata } : {}) },
        "chat.postMessage",
      );
      return { channel, ts: stored.ts, message: state.botMessage(stored) };
    },

    "chat.update": (args) => {
      const channel = required(args, "channel", "channel_not_found");
      const found = state.ownMessage(channel, str(args, "ts"), "cant_update_message");
      // Measured against the live API by others; Slack does not document it.
      if (found.stream === "streaming") throw new SlackError("streaming_state_conflict");
      const blocks = arr(args, "blocks");
      const text = str(args, "text") ?? str(args, "markdown_text");
      if (text === undefined && !blocks) throw new SlackError("no_text");
      if (text !== undefined) {
        checkLength(text, maxText);
        found.text = text;
      }
      if (blocks) found.blocks = blocks;
      found.edits += 1;
      found.edited = { user: FAKE_SLACK.botUserId, ts: nextTs() };
      found.writes.push({ method: "chat.update", at: Date.now(), text: found.text });
      return { channel, ts: found.ts, text: found.text, message: state.botMessage(found) };
    },

    "chat.delete": (args) => {
      const channel = required(args, "channel", "channel_not_found");
      const found = state.ownMessage(channel, str(args, "ts"), "cant_delete_message");
      state.delete(channel, found.ts);
      return { channel, ts: found.ts };
    },

    "chat.postEphemeral": (args) => {
      const channel = required(args, "channel", "channel_not_found");
      const user = required(args, "user", "user_not_in_channel");
      const text = str(args, "text") ?? "";
      const blocks = arr(args, "blocks");
      if (!text && !blocks) throw new SlackError("no_text");
      checkLength(text, maxText);
      const threadTs = str(args, "thread_ts");
      const messageTs = nextTs();
      state.ephemerals.push({
        channel,
        user,
        text,
        ...(blocks ? { blocks } : {}),
        ...(threadTs ? { thread_ts: threadTs } : {}),
        message_ts: messageTs,
        at: Date.now(),
      });
      return { message_ts: messageTs };
    },
  };
}

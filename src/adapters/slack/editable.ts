import type { WebClient } from "@slack/web-api";
import type { EditableMessage } from "../edit-stream.js";
import { SLACK_MESSAGE_LIMIT, toMrkdwn } from "./format.js";
import type { SlackMessages } from "./messages.js";

/** A Slack thread reply written by chat.postMessage and chat.update. */
export function slackEditable(client: WebClient, messages: SlackMessages, channel: string, threadTs: string): EditableMessage {
  return {
    post: async (text) => (await client.chat.postMessage({ channel, thread_ts: threadTs, text, unfurl_links: false })).ts as string,
    edit: async (ts, text) => void (await client.chat.update({ channel, ts, text })),
    publish: async (ts, text) => {
      if (ts === undefined) return (await messages.post(channel, threadTs, text))[0] ?? "";
      await messages.replace(channel, threadTs, ts, text);
      return ts;
    },
    // Live text stops growing at most of a message; the final answer is split properly.
    preview: (text) => `${toMrkdwn(text.length > SLACK_MESSAGE_LIMIT * 0.8 ? text.slice(0, SLACK_MESSAGE_LIMIT * 0.8) : text)} …`,
  };
}

import { FAKE_SLACK } from "../ids.js";
import { required, type SlackArgs, SlackError, type SlackMethods, str } from "./args.js";
import type { SlackState } from "./state.js";

/** Reading threads and channels back, and marking them: conversations.*, reactions.* and assistant thread statuses. */
export function conversationMethods(state: SlackState): SlackMethods {
  const wire = state.wire.bind(state);
  return {
    "conversations.replies": (args) => {
      const channel = required(args, "channel", "channel_not_found");
      const ts = required(args, "ts", "thread_not_found");
      const thread = state.messagesIn(channel, ts);
      if (thread.length === 0) throw new SlackError("thread_not_found");
      const { page, next } = paginate(thread, args, 1000);
      return { messages: page.map(wire), has_more: next !== "", response_metadata: { next_cursor: next } };
    },

    "conversations.history": (args) => {
      const channel = required(args, "channel", "channel_not_found");
      const top = state
        .messagesIn(channel)
        .filter((m) => m.thread_ts === undefined || m.thread_ts === m.ts)
        .reverse();
      const { page, next } = paginate(top, args, 100);
      return { messages: page.map(wire), has_more: next !== "", pin_count: 0, response_metadata: { next_cursor: next } };
    },

    // Slack's shapes for a channel and for a DM (an IM has no name, only the person in it).
    "conversations.info": (args) => {
      const id = required(args, "channel", "channel_not_found");
      const found = state.channel(id);
      if (!found) throw new SlackError("channel_not_found");
      const created = 1_449_252_889;
      if (found.name === undefined)
        return { channel: { id, created, is_im: true, is_org_shared: false, user: found.user, is_user_deleted: false, priority: 0 } };
      return {
        channel: {
          id,
          name: found.name,
          is_channel: !found.is_private,
          is_group: found.is_private ?? false,
          is_im: false,
          is_mpim: false,
          is_private: found.is_private ?? false,
          created,
          is_archived: false,
          is_general: found.name === "general",
          unlinked: 0,
          name_normalized: found.name,
          is_shared: false,
          is_org_shared: false,
          is_ext_shared: false,
          is_pending_ext_shared: false,
          pending_shared: [],
          context_team_id: FAKE_SLACK.teamId,
          parent_conversation: null,
          creator: "U0ADA",
          shared_team_ids: [FAKE_SLACK.teamId],
          pending_connected_team_ids: [],
          is_member: true,
          topic: { value: "", creator: "", last_set: 0 },
          purpose: { value: "", creator: "", last_set: 0 },
          previous_names: [],
        },
      };
    },

    "reactions.add": (args) => {
      if (!state.react(...reaction(args))) throw new SlackError("already_reacted");
      return {};
    },

    "reactions.remove": (args) => {
      if (!state.unreact(...reaction(args))) throw new SlackError("no_reaction");
      return {};
    },

    "assistant.threads.setStatus": (args) => {
      const channelId = required(args, "channel_id", "channel_not_found");
      const threadTs = required(args, "thread_ts", "invalid_arguments");
      state.statuses.push({ channel_id: channelId, thread_ts: threadTs, status: str(args, "status") ?? "", at: Date.now() });
      return {};
    },
  };
}

/** The message (channel, ts) and reaction name a reactions.* call names. */
function reaction(args: SlackArgs): [channel: string, ts: string, name: string] {
  return [
    required(args, "channel", "channel_not_found"),
    required(args, "timestamp", "message_not_found"),
    required(args, "name", "invalid_name"),
  ];
}

/** Slack's cursor pagination: an opaque `cursor` (here base64 of "offset:N") and a `limit`. */
function paginate<T>(items: T[], args: SlackArgs, defaultLimit: number): { page: T[]; next: string } {
  const limit = Number(str(args, "limit") ?? defaultLimit) || defaultLimit;
  const cursor = str(args, "cursor");
  const start = cursor
    ? Number(
        Buffer.from(cursor, "base64")
          .toString("utf8")
          .replace(/^offset:/, ""),
      ) || 0
    : 0;
  const page = items.slice(start, start + limit);
  const next = start + limit < items.length ? Buffer.from(`offset:${start + limit}`).toString("base64") : "";
  return { page, next };
}

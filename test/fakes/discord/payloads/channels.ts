import type { APIDMChannel, APITextChannel, APIThreadChannel, APIUser, ChannelFlags } from "discord.js";
import { snowflakeTime } from "../ids.js";

/** Channel objects: guild text channels, threads and DMs. */

export interface TextChannelInput {
  id: string;
  name: string;
  guild_id: string;
  position?: number;
  topic?: string | null;
  parent_id?: string | null;
  last_message_id?: string | null;
}

/** A guild text channel (type 0) as `GET /channels/:id` returns it (GUILD_CREATE omits `guild_id`). */
export function textChannel(input: TextChannelInput): APITextChannel {
  return {
    id: input.id,
    type: 0,
    guild_id: input.guild_id,
    name: input.name,
    position: input.position ?? 0,
    permission_overwrites: [],
    topic: input.topic ?? null,
    nsfw: false,
    parent_id: input.parent_id ?? null,
    last_message_id: input.last_message_id ?? null,
    last_pin_timestamp: null,
    rate_limit_per_user: 0,
    default_auto_archive_duration: 1440,
    default_thread_rate_limit_per_user: 0,
    flags: 0 as ChannelFlags,
  };
}

export interface ThreadChannelInput {
  id: string;
  name: string;
  guild_id: string;
  parent_id: string;
  owner_id: string;
  /** 11 public (default), 12 private, 10 announcement thread. */
  type?: 10 | 11 | 12;
  auto_archive_duration?: 60 | 1440 | 4320 | 10080;
  archived?: boolean;
  locked?: boolean;
  message_count?: number;
  total_message_sent?: number;
  member_count?: number;
  last_message_id?: string | null;
  rate_limit_per_user?: number;
  /** ISO time the thread was created. */
  create_timestamp?: string;
}

/** A thread channel object (type 11 by default), with `thread_metadata`. */
export function threadChannel(input: ThreadChannelInput): APIThreadChannel {
  const created = input.create_timestamp ?? new Date(snowflakeTime(input.id)).toISOString();
  return {
    id: input.id,
    type: input.type ?? 11,
    guild_id: input.guild_id,
    parent_id: input.parent_id,
    owner_id: input.owner_id,
    name: input.name,
    last_message_id: input.last_message_id ?? null,
    rate_limit_per_user: input.rate_limit_per_user ?? 0,
    message_count: input.message_count ?? 0,
    member_count: input.member_count ?? 1,
    total_message_sent: input.total_message_sent ?? 0,
    flags: 0 as ChannelFlags,
    thread_metadata: {
      archived: input.archived ?? false,
      auto_archive_duration: input.auto_archive_duration ?? 1440,
      archive_timestamp: created,
      locked: input.locked ?? false,
      create_timestamp: created,
      ...(input.type === 12 ? { invitable: true } : {}),
    },
    applied_tags: [],
  };
}

/** A DM channel (type 1) between the bot and `recipient`. */
export function dmChannel(input: { id: string; recipient: APIUser; last_message_id?: string | null }): APIDMChannel {
  return {
    id: input.id,
    type: 1,
    last_message_id: input.last_message_id ?? null,
    recipients: [input.recipient],
    flags: 0 as ChannelFlags,
    name: null,
  };
}

import type { APIChannel, APIThreadChannel, APIUser } from "discord.js";
import { FAKE_DISCORD } from "../ids.js";
import { dmChannel, people, textChannel, threadChannel } from "../payloads.js";

/** The world's channels as it records them, and as the REST API returns them. */

export type FakeChannelKind = "text" | "thread" | "dm";

export interface FakeDiscordChannel {
  id: string;
  kind: FakeChannelKind;
  /** Discord's channel type: 0 text, 5 announcement, 11/12/10 threads, 1 DM. */
  type: number;
  name: string | null;
  guild_id?: string;
  parent_id?: string;
  owner_id?: string;
  recipient?: APIUser;
  topic?: string | null;
  archived?: boolean;
  locked?: boolean;
  auto_archive_duration?: 60 | 1440 | 4320 | 10080;
  message_count: number;
  total_message_sent: number;
  last_message_id: string | null;
  /** For threads started from a message: that message's id (equal to the thread id). */
  starter_message_id?: string;
  created_at: number;
}

/** A guild text channel (type 0) with no messages yet. */
export function textChannelRecord(id: string, name: string, guildId: string, topic: string | null): FakeDiscordChannel {
  return {
    id,
    kind: "text",
    type: 0,
    name,
    guild_id: guildId,
    topic,
    message_count: 0,
    total_message_sent: 0,
    last_message_id: null,
    created_at: Date.now(),
  };
}

/** A channel as `GET /channels/:id` returns it; `position` is its place among the guild's channels. */
export function storedChannelPayload(channel: FakeDiscordChannel, position: number): APIChannel {
  if (channel.kind === "dm") {
    return dmChannel({ id: channel.id, recipient: channel.recipient ?? people.alice, last_message_id: channel.last_message_id });
  }
  if (channel.kind === "thread") return storedThreadPayload(channel);
  const payload = textChannel({
    id: channel.id,
    name: channel.name ?? "channel",
    guild_id: channel.guild_id ?? FAKE_DISCORD.guildId,
    topic: channel.topic ?? null,
    last_message_id: channel.last_message_id,
    position,
  });
  return channel.type === 5 ? { ...payload, type: 5 } : payload;
}

export function storedThreadPayload(channel: FakeDiscordChannel): APIThreadChannel {
  return threadChannel({
    id: channel.id,
    name: channel.name ?? "thread",
    guild_id: channel.guild_id ?? FAKE_DISCORD.guildId,
    parent_id: channel.parent_id ?? "",
    owner_id: channel.owner_id ?? FAKE_DISCORD.botUserId,
    type: channel.type === 10 || channel.type === 12 ? channel.type : 11,
    auto_archive_duration: channel.auto_archive_duration ?? 1440,
    archived: channel.archived ?? false,
    locked: channel.locked ?? false,
    message_count: channel.message_count,
    total_message_sent: channel.total_message_sent,
    last_message_id: channel.last_message_id,
    create_timestamp: new Date(channel.created_at).toISOString(),
  });
}

import type {
  APIEmbed,
  APIGuildMember,
  APIMessage,
  APIMessageReference,
  APIThreadChannel,
  APIUser,
  GatewayMessageCreateDispatchData,
} from "discord.js";
import { FAKE_DISCORD, mention, snowflake, snowflakeTime } from "../ids.js";
import { botRoleId, guildMember, knownUser, people, user } from "./users.js";

/** Message objects, and the MESSAGE_CREATE a user's message arrives as. */

/** `<@id>` and `<@!id>` mentions in content, resolved to users (unknown ids get a stub user). */
export function mentionsIn(content: string): APIUser[] {
  const found = new Map<string, APIUser>();
  for (const match of content.matchAll(/<@!?(\d{15,21})>/g)) {
    const id = match[1]!;
    if (!found.has(id)) found.set(id, knownUser(id) ?? user({ id, username: `user${id.slice(-4)}` }));
  }
  return [...found.values()];
}

export interface MessageInput {
  channel_id: string;
  /** Absent for DMs. */
  guild_id?: string;
  author: APIUser;
  content: string;
  id?: string;
  /** 0 DEFAULT (the default), 19 REPLY when `message_reference` is set, 20 CHAT_INPUT_COMMAND, ... */
  type?: number;
  /** ISO 8601; defaults to the id's time. */
  timestamp?: string;
  edited_timestamp?: string | null;
  /** Users mentioned; defaults to the `<@id>` mentions found in `content`. */
  mentions?: APIUser[];
  mention_roles?: string[];
  mention_everyone?: boolean;
  embeds?: APIEmbed[];
  attachments?: APIMessage["attachments"];
  components?: APIMessage["components"];
  message_reference?: APIMessageReference;
  referenced_message?: APIMessage | null;
  flags?: number;
  webhook_id?: string;
  application_id?: string;
  /** For messages in a thread: their position in it. */
  position?: number;
  interaction_metadata?: APIMessage["interaction_metadata"];
  thread?: APIThreadChannel;
  tts?: boolean;
  pinned?: boolean;
  nonce?: string | number;
}

/** A message object as Discord's REST API returns it. */
export function messagePayload(input: MessageInput): APIMessage {
  const id = input.id ?? snowflake();
  const type = input.type ?? (input.message_reference ? 19 : 0);
  return {
    id,
    type,
    channel_id: input.channel_id,
    author: input.author,
    content: input.content,
    timestamp: input.timestamp ?? new Date(snowflakeTime(id)).toISOString(),
    edited_timestamp: input.edited_timestamp ?? null,
    tts: input.tts ?? false,
    mention_everyone: input.mention_everyone ?? false,
    mentions: input.mentions ?? mentionsIn(input.content),
    mention_roles: input.mention_roles ?? [],
    attachments: input.attachments ?? [],
    embeds: input.embeds ?? [],
    pinned: input.pinned ?? false,
    flags: input.flags ?? 0,
    components: input.components ?? [],
    ...(input.message_reference ? { message_reference: input.message_reference } : {}),
    ...(input.referenced_message !== undefined ? { referenced_message: input.referenced_message } : {}),
    ...(input.webhook_id ? { webhook_id: input.webhook_id } : {}),
    ...(input.application_id ? { application_id: input.application_id } : {}),
    ...(input.position !== undefined ? { position: input.position } : {}),
    ...(input.interaction_metadata ? { interaction_metadata: input.interaction_metadata } : {}),
    ...(input.thread ? { thread: input.thread } : {}),
    ...(input.nonce !== undefined ? { nonce: input.nonce } : {}),
  };
}

export interface MessageCreateInput extends Omit<MessageInput, "author" | "content"> {
  author?: APIUser;
  content?: string;
  /** Prefixes `<@BOT> ` to the content (unless already there) and lists the bot in `mentions`. */
  mentionBot?: boolean;
  /**
   * Prefixes `<@&ROLE> ` for the bot's managed role (how "@Quorum" from the role list looks) and
   * lists the role in `mention_roles`; the bot user is not in `mentions`.
   */
  mentionBotRole?: boolean;
  /**
   * The channel's type: 0 guild text (default with `guild_id`), 11 public thread, 12 private
   * thread, 1 DM (default without `guild_id`). discord.js needs it to build an uncached DM channel.
   */
  channel_type?: 0 | 1 | 5 | 10 | 11 | 12;
  /** The author's guild member (without `user`); defaults to a plain member for guild messages. */
  member?: GatewayMessageCreateDispatchData["member"];
}

/**
 * The `d` of a MESSAGE_CREATE dispatch: a message object plus the gateway's extra fields
 * (`guild_id`, `member`, `mentions` with members, `channel_type`). Author defaults to alice.
 */
export function messageCreate(input: MessageCreateInput): GatewayMessageCreateDispatchData {
  const author = input.author ?? people.alice;
  let content = input.content ?? "";
  const botMention = mention(FAKE_DISCORD.botUserId);
  if (input.mentionBot && !content.includes(botMention) && !content.includes(`<@!${FAKE_DISCORD.botUserId}>`)) {
    content = content ? `${botMention} ${content}` : botMention;
  }
  const { mentionBot: _mentionBot, mentionBotRole, channel_type: channelType, member, ...rest } = input;
  const roleId = botRoleId(input.guild_id ?? FAKE_DISCORD.guildId);
  if (mentionBotRole) {
    content = content.includes(`<@&${roleId}>`) ? content : `<@&${roleId}> ${content}`.trim();
    rest.mention_roles = [...new Set([...(rest.mention_roles ?? []), roleId])];
  }
  const base = messagePayload({ ...rest, author, content });
  const inGuild = input.guild_id !== undefined;
  const mentions = base.mentions.map((u) => (inGuild ? { ...u, member: memberNoUser(u) } : u));
  return {
    ...base,
    mentions,
    channel_type: channelType ?? (inGuild ? 0 : 1),
    ...(inGuild ? { guild_id: input.guild_id, member: member ?? memberNoUser(author) } : {}),
  };
}

function memberNoUser(u: APIUser): Omit<APIGuildMember, "user"> {
  const { user: _user, ...member } = guildMember(u);
  return member;
}

import type {
  APIApplicationCommandInteractionDataOption,
  APIChatInputApplicationCommandInteraction,
  APIDMChannel,
  APIEmbed,
  APIGuildMember,
  APIInteractionGuildMember,
  APIMessage,
  APIMessageReference,
  APIRole,
  APITextChannel,
  APIThreadChannel,
  APIUser,
  ChannelFlags,
  GatewayGuildCreateDispatchData,
  GatewayMessageCreateDispatchData,
  GatewayReadyDispatchData,
  GuildMemberFlags,
  GuildSystemChannelFlags,
  Locale,
  RoleFlags,
  UserFlags,
} from "discord.js";
import { FAKE_DISCORD, interactionToken, mention, snowflake, snowflakeTime } from "./ids.js";

/**
 * Payload builders in Discord's documented shapes (API v10). Every builder is typed with the
 * discord-api-types definitions that discord.js re-exports, so `tsc` checks that each carries the
 * fields Discord documents as always present.
 */

// ---- users and members ------------------------------------------------------------------------

export interface UserInput {
  id?: string;
  username: string;
  global_name?: string | null;
  bot?: boolean;
  avatar?: string | null;
}

/** A user object, as Discord puts in `author`, `mentions`, `member.user` and `user`. */
export function user(input: UserInput): APIUser {
  return {
    id: input.id ?? snowflake(),
    username: input.username,
    discriminator: "0",
    global_name: input.global_name === undefined ? input.username : input.global_name,
    avatar: input.avatar ?? null,
    ...(input.bot ? { bot: true } : {}),
    public_flags: 0 as UserFlags,
    flags: 0 as UserFlags,
    banner: null,
    accent_color: null,
    avatar_decoration_data: null,
    collectibles: null,
    primary_guild: null,
  };
}

/** The fake's own bot user (what READY and `GET /users/@me` return). */
export function botUser(): APIUser {
  return {
    ...user({ id: FAKE_DISCORD.botUserId, username: FAKE_DISCORD.botUsername, global_name: null, bot: true }),
    verified: true,
    mfa_enabled: false,
    email: null,
    locale: "en-US",
  };
}

/** People and another bot in the fake guild. */
export const people = {
  alice: user(FAKE_DISCORD.users.alice),
  bob: user(FAKE_DISCORD.users.bob),
  /** Another application's bot: messages from it must not be answered. */
  otherBot: user(FAKE_DISCORD.users.otherBot),
} as const;

/** Every user id the builders recognise in `<@id>` mentions. */
export function knownUser(id: string): APIUser | undefined {
  if (id === FAKE_DISCORD.botUserId) return botUser();
  return Object.values(people).find((u) => u.id === id);
}

/** All permissions (the bot is an administrator in the fake guild), as Discord's decimal string. */
export const ALL_PERMISSIONS = ((1n << 53n) - 1n).toString();
/** @everyone's permissions in the fake guild: view, send, threads, history, mentions, embeds, files. */
export const EVERYONE_PERMISSIONS = (
  (1n << 10n) | // VIEW_CHANNEL
  (1n << 11n) | // SEND_MESSAGES
  (1n << 14n) | // EMBED_LINKS
  (1n << 15n) | // ATTACH_FILES
  (1n << 16n) | // READ_MESSAGE_HISTORY
  (1n << 31n) | // USE_APPLICATION_COMMANDS
  (1n << 35n) | // CREATE_PUBLIC_THREADS
  (1n << 38n)
) // SEND_MESSAGES_IN_THREADS
  .toString();

/** A guild member object (the `user` field included, as in GUILD_CREATE's `members`). */
export function guildMember(u: APIUser, options: { roles?: string[]; joinedAt?: string; nick?: string | null } = {}): APIGuildMember {
  return {
    user: u,
    nick: options.nick ?? null,
    avatar: null,
    banner: null,
    roles: options.roles ?? [],
    joined_at: options.joinedAt ?? new Date(snowflakeTime(FAKE_DISCORD.guildId) + 60_000).toISOString(),
    premium_since: null,
    deaf: false,
    mute: false,
    flags: 0 as GuildMemberFlags,
    pending: false,
    communication_disabled_until: null,
  };
}

/** The member object of an interaction: a guild member plus the invoker's resolved `permissions`. */
export function interactionMember(u: APIUser, permissions = EVERYONE_PERMISSIONS): APIInteractionGuildMember {
  return { ...guildMember(u), user: u, permissions };
}

/** The guild's @everyone role (its id is the guild id). */
export function everyoneRole(guildId: string): APIRole {
  return {
    id: guildId,
    name: "@everyone",
    color: 0,
    colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
    hoist: false,
    icon: null,
    unicode_emoji: null,
    position: 0,
    permissions: EVERYONE_PERMISSIONS,
    managed: false,
    mentionable: false,
    flags: 0 as RoleFlags,
  };
}

/** The managed role Discord gives a bot that joins with permissions. */
export function botRole(guildId: string): APIRole {
  return {
    ...everyoneRole(guildId),
    id: (BigInt(guildId) + 100n).toString(),
    name: FAKE_DISCORD.applicationName,
    position: 1,
    permissions: ALL_PERMISSIONS,
    managed: true,
    tags: { bot_id: FAKE_DISCORD.botUserId },
  };
}

// ---- channels ---------------------------------------------------------------------------------

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

// ---- messages ---------------------------------------------------------------------------------

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
  const { mentionBot: _mentionBot, channel_type: channelType, member, ...rest } = input;
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

// ---- interactions -----------------------------------------------------------------------------

export type CommandOptionValue = string | number | boolean;

export interface InteractionCreateInput {
  /** The command name, e.g. "project". */
  name: string;
  /** Either Discord's option array, or name → value (string → type 3, integer → 4, other number → 10, boolean → 5). */
  options?: APIApplicationCommandInteractionDataOption[] | Record<string, CommandOptionValue>;
  /** Defaults to the fake's general channel, or (with `guild_id: null`) must be a DM channel id. */
  channel_id?: string;
  /** The guild; `null` for a command used in a DM with the bot. Defaults to the fake guild. */
  guild_id?: string | null;
  /** The invoking user; defaults to alice. */
  user?: APIUser;
  id?: string;
  token?: string;
  /** The registered command's id; defaults to a new snowflake. */
  command_id?: string;
  /** The channel's type when it is not a guild text channel (e.g. 11 for a thread); DMs come from `guild_id: null`. */
  channel_type?: 0 | 5 | 10 | 11 | 12;
  /** Name of the channel (guild channels); defaults to "general". */
  channel_name?: string;
  /** For threads: the parent channel id. */
  parent_id?: string;
  locale?: string;
}

/** Converts name → value options into Discord's option objects. */
export function commandOptions(options: Record<string, CommandOptionValue>): APIApplicationCommandInteractionDataOption[] {
  return Object.entries(options).map(([name, value]) => {
    if (typeof value === "boolean") return { name, type: 5, value };
    if (typeof value === "number") return Number.isInteger(value) ? { name, type: 4, value } : { name, type: 10, value };
    return { name, type: 3, value };
  });
}

/**
 * The `d` of an INTERACTION_CREATE for a slash command (interaction type 2, command type 1), in a
 * guild channel (with `member`) or a DM (with `user`), carrying a fresh `id` and `token`.
 */
export function interactionCreate(input: InteractionCreateInput): APIChatInputApplicationCommandInteraction {
  const id = input.id ?? snowflake();
  const who = input.user ?? people.alice;
  const guildId = input.guild_id === undefined ? FAKE_DISCORD.guildId : input.guild_id;
  const channelId = input.channel_id ?? (guildId ? FAKE_DISCORD.channelId : undefined);
  if (!channelId) throw new Error("interactionCreate: a DM command needs channel_id (the DM channel's id)");
  const options = Array.isArray(input.options) ? input.options : input.options ? commandOptions(input.options) : undefined;
  const locale = (input.locale ?? "en-US") as Locale;
  const common = {
    id,
    application_id: FAKE_DISCORD.applicationId,
    type: 2 as const,
    token: input.token ?? interactionToken(id),
    version: 1 as const,
    app_permissions: guildId ? ALL_PERMISSIONS : "2248473465835073",
    locale,
    entitlements: [],
    attachment_size_limit: 10_485_760,
    channel_id: channelId,
  };
  const data = {
    id: input.command_id ?? snowflake(),
    name: input.name,
    type: 1 as const,
    ...(options && options.length > 0 ? { options } : {}),
  };
  if (guildId === null) {
    return {
      ...common,
      data,
      user: who,
      channel: { id: channelId, type: 1, last_message_id: null, recipients: [who], flags: 0 as ChannelFlags },
      context: 1,
      authorizing_integration_owners: { 0: "0" },
    };
  }
  const channelType = input.channel_type ?? 0;
  const isThread = channelType === 10 || channelType === 11 || channelType === 12;
  const channel = (isThread
    ? {
        id: channelId,
        type: channelType,
        guild_id: guildId,
        name: input.channel_name ?? "thread",
        parent_id: input.parent_id ?? FAKE_DISCORD.channelId,
        permissions: ALL_PERMISSIONS,
        flags: 0,
      }
    : {
        id: channelId,
        type: channelType,
        guild_id: guildId,
        name: input.channel_name ?? FAKE_DISCORD.channelName,
        permissions: ALL_PERMISSIONS,
        flags: 0,
        nsfw: false,
        position: 0,
        parent_id: null,
        topic: null,
        rate_limit_per_user: 0,
        last_message_id: null,
      }) as unknown as APIChatInputApplicationCommandInteraction["channel"]; // Discord adds `permissions`, which the type omits

  return {
    ...common,
    data,
    guild_id: guildId,
    guild: { id: guildId, locale: "en-US" as Locale, features: [] },
    guild_locale: "en-US" as Locale,
    member: interactionMember(who),
    channel,
    context: 0,
    authorizing_integration_owners: { 0: guildId },
  };
}

// ---- READY and GUILD_CREATE -------------------------------------------------------------------

export interface FakeGuildDefinition {
  id: string;
  name: string;
  /** Text channels (type 0) in the guild. */
  channels: { id: string; name: string; topic?: string | null }[];
  /** Members besides the bot (default: alice, bob and the other bot). */
  members?: APIUser[];
  owner_id?: string;
}

/** Privileged gateway intents: GUILD_MEMBERS, GUILD_PRESENCES, MESSAGE_CONTENT. */
export const PRIVILEGED_INTENTS = { GuildMembers: 1 << 1, GuildPresences: 1 << 8, MessageContent: 1 << 15 } as const;

/**
 * The application flags Discord reports for an unverified bot (under 100 servers) whose
 * privileged intents are switched on in the developer portal: GATEWAY_PRESENCE_LIMITED (1<<13),
 * GATEWAY_GUILD_MEMBERS_LIMITED (1<<15), GATEWAY_MESSAGE_CONTENT_LIMITED (1<<19), plus
 * APPLICATION_COMMAND_BADGE (1<<23). A bot can read these to say plainly that an intent is off.
 */
export function applicationFlags(allowedPrivilegedIntents: number): number {
  let flags = 1 << 23;
  if (allowedPrivilegedIntents & PRIVILEGED_INTENTS.GuildPresences) flags |= 1 << 13;
  if (allowedPrivilegedIntents & PRIVILEGED_INTENTS.GuildMembers) flags |= 1 << 15;
  if (allowedPrivilegedIntents & PRIVILEGED_INTENTS.MessageContent) flags |= 1 << 19;
  return flags;
}

/** The d of READY: the bot user, the guilds as unavailable stubs, the session and resume url. */
export function readyPayload(input: {
  sessionId: string;
  resumeGatewayUrl: string;
  guildIds: string[];
  shard?: [number, number];
  /** Application flags; see `applicationFlags`. */
  applicationFlags: number;
}): GatewayReadyDispatchData {
  return {
    v: 10,
    user: botUser(),
    guilds: input.guildIds.map((id) => ({ id, unavailable: true })),
    session_id: input.sessionId,
    resume_gateway_url: input.resumeGatewayUrl,
    ...(input.shard ? { shard: input.shard } : {}),
    application: { id: FAKE_DISCORD.applicationId, flags: input.applicationFlags, flags_new: String(input.applicationFlags) },
  };
}

/**
 * The d of GUILD_CREATE for a guild the bot is in: the guild object plus the gateway's extra
 * fields (joined_at, member_count, members, channels without `guild_id`, active threads, ...).
 */
export function guildCreatePayload(guild: FakeGuildDefinition, threads: APIThreadChannel[] = []): GatewayGuildCreateDispatchData {
  const members = [botUser(), ...(guild.members ?? Object.values(people))];
  const bot = botRole(guild.id);
  return {
    id: guild.id,
    name: guild.name,
    icon: null,
    splash: null,
    discovery_splash: null,
    banner: null,
    description: null,
    owner_id: guild.owner_id ?? people.alice.id,
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: 1,
    default_message_notifications: 1,
    explicit_content_filter: 2,
    roles: [everyoneRole(guild.id), bot],
    emojis: [],
    stickers: [],
    features: [],
    mfa_level: 0,
    application_id: null,
    system_channel_id: guild.channels[0]?.id ?? null,
    system_channel_flags: 0 as GuildSystemChannelFlags,
    rules_channel_id: null,
    max_members: 25_000_000,
    vanity_url_code: null,
    premium_tier: 0,
    premium_subscription_count: 0,
    preferred_locale: "en-US" as Locale,
    public_updates_channel_id: null,
    nsfw_level: 0,
    premium_progress_bar_enabled: false,
    hub_type: null,
    safety_alerts_channel_id: null,
    incidents_data: null,
    joined_at: new Date(snowflakeTime(guild.id) + 60_000).toISOString(),
    large: false,
    unavailable: false,
    member_count: members.length,
    voice_states: [],
    members: members.map((u) => guildMember(u, u.id === FAKE_DISCORD.botUserId ? { roles: [bot.id] } : {})),
    channels: guild.channels.map((channel, position) => {
      const { guild_id: _guildId, ...rest } = textChannel({ ...channel, guild_id: guild.id, position });
      return rest;
    }),
    threads: threads.map((thread) => {
      // GUILD_CREATE lists active threads with guild_id, unlike its channels.
      return thread;
    }),
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
  };
}

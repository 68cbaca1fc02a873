import type {
  APIApplicationCommand,
  APIAttachment,
  APIChannel,
  APIEmbed,
  APIMessage,
  APIMessageReference,
  APIThreadChannel,
  APIUser,
} from "discord.js";
import { compareSnowflakes, FAKE_DISCORD, snowflake } from "./ids.js";
import {
  botUser,
  dmChannel,
  type FakeGuildDefinition,
  guildCreatePayload,
  messagePayload,
  people,
  textChannel,
  threadChannel,
} from "./payloads.js";

/**
 * The fake Discord's world: guilds, channels and threads, every message with its edit history,
 * interactions and their tokens, and registered application commands. The REST fake changes it;
 * the gateway reads it for GUILD_CREATE; tests read it to see what a user would see.
 */

/** One edit of a stored message, with its arrival time (for edit-rate assertions). */
export interface MessageEdit {
  content: string;
  at: number;
  embeds?: APIEmbed[];
}

export interface FakeDiscordMessage {
  id: string;
  channel_id: string;
  guild_id?: string;
  author: APIUser;
  /** The current (final) content. */
  content: string;
  embeds: APIEmbed[];
  components: NonNullable<APIMessage["components"]>;
  attachments: APIAttachment[];
  /** Message flags, e.g. 64 EPHEMERAL, 128 LOADING (a deferred interaction reply), 32 HAS_THREAD. */
  flags: number;
  /** 0 DEFAULT, 19 REPLY, 20 CHAT_INPUT_COMMAND (interaction responses). */
  type: number;
  timestamp: string;
  edited_timestamp: string | null;
  message_reference?: APIMessageReference;
  mentions: APIUser[];
  webhook_id?: string;
  application_id?: string;
  /** For interaction responses: the interaction they answer. */
  interaction?: { id: string; name: string; user: APIUser };
  /** The id of the thread started from this message (equal to the message id, as on Discord). */
  thread_id?: string;
  /** Position inside a thread. */
  position?: number;
  /** Emoji the bot reacted with. */
  reactions: string[];
  /** How the message came to exist: a gateway event a test dispatched, a REST call by the bot, ... */
  source: "gateway" | "rest" | "interaction" | "webhook" | "seed";
  /** Date.now() when it was stored. */
  at: number;
  /** Every successful edit, oldest first. */
  edits: MessageEdit[];
  deleted: boolean;
  ephemeral: boolean;
}

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

export interface FakeInteraction {
  id: string;
  token: string;
  application_id: string;
  name: string;
  channel_id: string;
  guild_id?: string;
  user: APIUser;
  /** Date.now() when INTERACTION_CREATE was dispatched: the 3-second and 15-minute clocks start here. */
  dispatchedAt: number;
  /** The initial response (callback), once made. */
  response?: { type: number; at: number; data?: Record<string, unknown> };
  /** The id of the original response message (`@original`), once there is one. */
  originalMessageId?: string;
  followUps: string[];
}

export interface StoredCommand extends APIApplicationCommand {}

export class DiscordWorld {
  readonly guilds: FakeGuildDefinition[];
  readonly channels = new Map<string, FakeDiscordChannel>();
  readonly messages = new Map<string, FakeDiscordMessage>();
  readonly interactions = new Map<string, FakeInteraction>();
  /** Registered commands: key "global" or a guild id. */
  readonly commands = new Map<string, StoredCommand[]>();

  constructor(guilds: FakeGuildDefinition[]) {
    this.guilds = guilds;
    for (const guild of guilds) {
      for (const channel of guild.channels) {
        this.channels.set(channel.id, {
          id: channel.id,
          kind: "text",
          type: 0,
          name: channel.name,
          guild_id: guild.id,
          topic: channel.topic ?? null,
          message_count: 0,
          total_message_sent: 0,
          last_message_id: null,
          created_at: Date.now(),
        });
      }
    }
  }

  guild(id: string): FakeGuildDefinition | undefined {
    return this.guilds.find((g) => g.id === id);
  }

  channel(id: string): FakeDiscordChannel | undefined {
    return this.channels.get(id);
  }

  addTextChannel(input: { id?: string; name: string; guild_id?: string; topic?: string | null }): FakeDiscordChannel {
    const guildId = input.guild_id ?? FAKE_DISCORD.guildId;
    const guild = this.guild(guildId);
    if (!guild) throw new Error(`unknown guild ${guildId}`);
    const id = input.id ?? snowflake();
    guild.channels.push({ id, name: input.name, topic: input.topic ?? null });
    const channel: FakeDiscordChannel = {
      id,
      kind: "text",
      type: 0,
      name: input.name,
      guild_id: guildId,
      topic: input.topic ?? null,
      message_count: 0,
      total_message_sent: 0,
      last_message_id: null,
      created_at: Date.now(),
    };
    this.channels.set(id, channel);
    return channel;
  }

  /** The DM channel between the bot and `recipient`, created on first use (like POST /users/@me/channels). */
  dmChannelWith(recipient: APIUser, id?: string): FakeDiscordChannel {
    const existing = [...this.channels.values()].find((c) => c.kind === "dm" && c.recipient?.id === recipient.id);
    if (existing) return existing;
    const channel: FakeDiscordChannel = {
      id: id ?? snowflake(),
      kind: "dm",
      type: 1,
      name: null,
      recipient,
      message_count: 0,
      total_message_sent: 0,
      last_message_id: null,
      created_at: Date.now(),
    };
    this.channels.set(channel.id, channel);
    return channel;
  }

  addThread(input: {
    id: string;
    name: string;
    parent_id: string;
    owner_id: string;
    type?: 10 | 11 | 12;
    auto_archive_duration?: 60 | 1440 | 4320 | 10080;
    starter_message_id?: string;
  }): FakeDiscordChannel {
    const parent = this.channels.get(input.parent_id);
    const thread: FakeDiscordChannel = {
      id: input.id,
      kind: "thread",
      type: input.type ?? 11,
      name: input.name,
      guild_id: parent?.guild_id ?? FAKE_DISCORD.guildId,
      parent_id: input.parent_id,
      owner_id: input.owner_id,
      archived: false,
      locked: false,
      auto_archive_duration: input.auto_archive_duration ?? parent?.auto_archive_duration ?? 1440,
      message_count: 0,
      total_message_sent: 0,
      last_message_id: null,
      ...(input.starter_message_id ? { starter_message_id: input.starter_message_id } : {}),
      created_at: Date.now(),
    };
    this.channels.set(thread.id, thread);
    return thread;
  }

  threadsOf(parentId: string): FakeDiscordChannel[] {
    return [...this.channels.values()].filter((c) => c.kind === "thread" && c.parent_id === parentId);
  }

  /** A channel as `GET /channels/:id` returns it. */
  channelPayload(channel: FakeDiscordChannel): APIChannel {
    if (channel.kind === "dm") {
      return dmChannel({ id: channel.id, recipient: channel.recipient ?? people.alice, last_message_id: channel.last_message_id });
    }
    if (channel.kind === "thread") return this.threadPayload(channel);
    const payload = textChannel({
      id: channel.id,
      name: channel.name ?? "channel",
      guild_id: channel.guild_id ?? FAKE_DISCORD.guildId,
      topic: channel.topic ?? null,
      last_message_id: channel.last_message_id,
      position: this.guild(channel.guild_id ?? "")?.channels.findIndex((c) => c.id === channel.id) ?? 0,
    });
    return channel.type === 5 ? { ...payload, type: 5 } : payload;
  }

  threadPayload(channel: FakeDiscordChannel): APIThreadChannel {
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

  /** GUILD_CREATE for a guild, with its active (unarchived) threads. */
  guildCreate(guild: FakeGuildDefinition) {
    const threads = [...this.channels.values()]
      .filter((c) => c.kind === "thread" && c.guild_id === guild.id && !c.archived)
      .map((c) => this.threadPayload(c));
    return guildCreatePayload(guild, threads);
  }

  // ---- messages -------------------------------------------------------------------------------

  storeMessage(
    input: Omit<FakeDiscordMessage, "edits" | "deleted" | "reactions" | "at" | "timestamp" | "edited_timestamp"> & { timestamp?: string },
  ): FakeDiscordMessage {
    const stored: FakeDiscordMessage = {
      ...input,
      timestamp: input.timestamp ?? new Date().toISOString(),
      edited_timestamp: null,
      reactions: [],
      at: Date.now(),
      edits: [],
      deleted: false,
    };
    this.messages.set(stored.id, stored);
    const channel = this.channels.get(stored.channel_id);
    if (channel && !stored.ephemeral) {
      channel.last_message_id = stored.id;
      if (channel.kind === "thread") {
        stored.position ??= channel.total_message_sent;
        channel.message_count += 1;
        channel.total_message_sent += 1;
        // Sending a message in an archived (unlocked) thread unarchives it.
        if (channel.archived && !channel.locked) channel.archived = false;
      }
    }
    return stored;
  }

  /** A message as the REST API returns it (with the thread it started, if any). */
  messagePayload(m: FakeDiscordMessage): APIMessage {
    const thread = m.thread_id ? this.channels.get(m.thread_id) : undefined;
    return messagePayload({
      id: m.id,
      channel_id: m.channel_id,
      author: m.author,
      content: m.content,
      type: m.type,
      timestamp: m.timestamp,
      edited_timestamp: m.edited_timestamp,
      mentions: m.mentions,
      embeds: m.embeds,
      attachments: m.attachments,
      components: m.components,
      flags: m.flags,
      ...(m.message_reference ? { message_reference: m.message_reference } : {}),
      ...(m.message_reference?.message_id ? { referenced_message: this.referenced(m.message_reference.message_id) } : {}),
      ...(m.webhook_id ? { webhook_id: m.webhook_id } : {}),
      ...(m.application_id ? { application_id: m.application_id } : {}),
      ...(m.position !== undefined ? { position: m.position } : {}),
      ...(m.interaction
        ? {
            interaction_metadata: {
              id: m.interaction.id,
              type: 2,
              user: m.interaction.user,
              authorizing_integration_owners: m.guild_id ? { 0: m.guild_id } : { 0: "0" },
            },
          }
        : {}),
      ...(thread ? { thread: this.threadPayload(thread) } : {}),
    });
  }

  private referenced(id: string): APIMessage | null {
    const found = this.messages.get(id);
    if (!found || found.deleted) return null;
    const { referenced_message: _nested, ...payload } = this.messagePayload(found);
    return payload;
  }

  /** The messages of a channel or thread, oldest first (snowflake order), without deleted ones unless asked. */
  messagesIn(channelId: string, options: { includeDeleted?: boolean; includeEphemeral?: boolean } = {}): FakeDiscordMessage[] {
    return [...this.messages.values()]
      .filter((m) => m.channel_id === channelId)
      .filter((m) => options.includeDeleted || !m.deleted)
      .filter((m) => options.includeEphemeral !== false || !m.ephemeral)
      .sort((a, b) => compareSnowflakes(a.id, b.id));
  }

  // ---- commands -------------------------------------------------------------------------------

  commandsIn(scope: string): StoredCommand[] {
    return this.commands.get(scope) ?? [];
  }

  /** Bulk overwrite: commands with the same name and type keep their id, as on Discord. */
  overwriteCommands(scope: string, incoming: Record<string, unknown>[]): StoredCommand[] {
    const previous = this.commandsIn(scope);
    const next = incoming.map((body) => this.commandFrom(scope, body, previous));
    this.commands.set(scope, next);
    return next;
  }

  upsertCommand(scope: string, body: Record<string, unknown>): { command: StoredCommand; created: boolean } {
    const previous = this.commandsIn(scope);
    const command = this.commandFrom(scope, body, previous);
    const index = previous.findIndex((c) => c.id === command.id);
    if (index >= 0) previous[index] = command;
    else previous.push(command);
    this.commands.set(scope, previous);
    return { command, created: index < 0 };
  }

  private commandFrom(scope: string, body: Record<string, unknown>, previous: StoredCommand[]): StoredCommand {
    const type = typeof body.type === "number" ? body.type : 1;
    const name = String(body.name);
    const old = previous.find((c) => c.name === name && c.type === type);
    const options = Array.isArray(body.options) ? (body.options as StoredCommand["options"]) : undefined;
    const description = typeof body.description === "string" ? body.description : "";
    const unchanged = old && JSON.stringify([old.description, old.options ?? []]) === JSON.stringify([description, options ?? []]);
    const command = {
      id: old?.id ?? snowflake(),
      application_id: FAKE_DISCORD.applicationId,
      version: unchanged && old ? old.version : snowflake(),
      default_member_permissions: typeof body.default_member_permissions === "string" ? body.default_member_permissions : null,
      type,
      name,
      name_localizations: (body.name_localizations as Record<string, string> | null | undefined) ?? null,
      description,
      description_localizations: (body.description_localizations as Record<string, string> | null | undefined) ?? null,
      ...(scope === "global" ? { dm_permission: body.dm_permission !== false } : { guild_id: scope }),
      ...(options ? { options } : {}),
      nsfw: body.nsfw === true,
      integration_types: (Array.isArray(body.integration_types) ? body.integration_types : [0]) as number[],
      contexts: (Array.isArray(body.contexts) ? body.contexts : null) as number[] | null,
    };
    return command as StoredCommand;
  }

  // ---- users ----------------------------------------------------------------------------------

  /** Users the fake knows: the bot, the people, and anyone seen as an author. */
  knownUsers(): APIUser[] {
    const seen = new Map<string, APIUser>();
    for (const u of [botUser(), ...Object.values(people)]) seen.set(u.id, u);
    for (const m of this.messages.values()) if (!seen.has(m.author.id)) seen.set(m.author.id, m.author);
    return [...seen.values()];
  }
}

import type { APIChannel, APIMessage, APIThreadChannel, APIUser } from "discord.js";
import { compareSnowflakes, FAKE_DISCORD, snowflake } from "./ids.js";
import { botUser, type FakeGuildDefinition, guildCreatePayload, people, type ThreadChannelInput } from "./payloads.js";
import { type FakeDiscordChannel, storedChannelPayload, storedThreadPayload, textChannelRecord } from "./store/channels.js";
import { commandFrom, type StoredCommand } from "./store/commands.js";
import { type FakeDiscordMessage, storedMessagePayload } from "./store/messages.js";

export type { FakeDiscordChannel } from "./store/channels.js";
export type { StoredCommand } from "./store/commands.js";
export type { FakeDiscordMessage } from "./store/messages.js";

/**
 * The fake Discord's world: guilds, channels and threads, every message with its edit history,
 * interactions and their tokens, and registered application commands. The REST fake changes it;
 * the gateway reads it for GUILD_CREATE; tests read it to see what a user would see.
 */

export interface FakeInteraction {
  id: string;
  /** 2 APPLICATION_COMMAND, 3 MESSAGE_COMPONENT. */
  type: 2 | 3;
  token: string;
  application_id: string;
  /** The command's name, or the clicked component's custom_id. */
  name: string;
  /** For a component: the message it is on, which DEFERRED_UPDATE_MESSAGE and UPDATE_MESSAGE answer by. */
  message_id?: string;
  channel_id: string;
  guild_id?: string;
  user: APIUser;
  /** Date.now() when INTERACTION_CREATE was dispatched: the 3-second and 15-minute clocks start here. */
  dispatchedAt: number;
  /** The initial response (callback), once made: 4 message, 5 deferred message, 6 deferred update, 7 update. */
  response?: { type: number; at: number; data?: Record<string, unknown> };
  /** The id of the original response message (`@original`: for a component, the message it is on), once there is one. */
  originalMessageId?: string;
  followUps: string[];
}

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
        this.channels.set(channel.id, textChannelRecord(channel.id, channel.name, guild.id, channel.topic ?? null));
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
    const channel = textChannelRecord(id, input.name, guildId, input.topic ?? null);
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

  addThread(
    input: Pick<ThreadChannelInput, "id" | "name" | "parent_id" | "owner_id" | "type" | "auto_archive_duration"> & {
      starter_message_id?: string;
    },
  ): FakeDiscordChannel {
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
    const position = this.guild(channel.guild_id ?? "")?.channels.findIndex((c) => c.id === channel.id) ?? 0;
    return storedChannelPayload(channel, position);
  }

  threadPayload(channel: FakeDiscordChannel): APIThreadChannel {
    return storedThreadPayload(channel);
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
    const referencedId = m.message_reference?.message_id;
    return storedMessagePayload(m, {
      ...(referencedId ? { referenced: this.referencedMessage(referencedId) } : {}),
      ...(thread ? { thread: this.threadPayload(thread) } : {}),
    });
  }

  /** The message a reply points to, as Discord nests it in the reply: null once deleted. */
  referencedMessage(id: string): APIMessage | null {
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
    const next = incoming.map((body) => commandFrom(scope, body, previous));
    this.commands.set(scope, next);
    return next;
  }

  upsertCommand(scope: string, body: Record<string, unknown>): { command: StoredCommand; created: boolean } {
    const previous = this.commandsIn(scope);
    const command = commandFrom(scope, body, previous);
    const index = previous.findIndex((c) => c.id === command.id);
    if (index >= 0) previous[index] = command;
    else previous.push(command);
    this.commands.set(scope, previous);
    return { command, created: index < 0 };
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

import { REST, type RESTOptions } from "@discordjs/rest";
import {
  type ButtonInteraction,
  Client,
  Events,
  GatewayIntentBits,
  type Interaction,
  type Message,
  MessageFlags,
  Partials,
  PermissionFlagsBits,
  type PermissionsBitField,
} from "discord.js";
import { Routes } from "discord-api-types/v10";
import type { Logger } from "pino";
import type { Config } from "../../config.js";
import { type ApprovalDecisionResult, type Bot, ShuttingDownError } from "../../core/bot.js";
import { splitText } from "../../core/split-text.js";
import { directChannelName } from "../direct-channel.js";
import { parseApprovalButton, refusalText } from "./approval-buttons.js";
import { discordAttachments } from "./attachments.js";
import { commandText, discordCommands } from "./commands.js";
import { authorName, quotedMessage, readDiscordMessage } from "./message-text.js";
import { DISCORD_MESSAGE_LIMIT, DiscordPoster } from "./poster.js";

export type DiscordSettings = NonNullable<Config["discord"]>;

export interface DiscordAdapter {
  poster: DiscordPoster;
  /** Registers the slash commands, over REST alone: no gateway connection needed. */
  start(): Promise<void>;
  /** Connects to the gateway as shard `shard` of `count`; resolves once Discord says it is ready. */
  connect(shard: number, count: number): Promise<void>;
  /** Closes shard `shard`'s gateway connection, if this process holds it. */
  disconnect(shard: number): Promise<void>;
  /** Closes every gateway connection. */
  stop(): Promise<void>;
}

// Discord's answer when a thread already exists on a message (a redelivered mention).
const THREAD_ALREADY_CREATED = 160004;

/** Members who may run the server are the bot's admins too. */
const ADMIN_PERMISSIONS = [PermissionFlagsBits.Administrator, PermissionFlagsBits.ManageGuild];
const isAdmin = (permissions: Readonly<PermissionsBitField> | null | undefined): boolean => permissions?.any(ADMIN_PERMISSIONS) === true;

/** Discord through the discord.js gateway client: mentions, threads, DMs, slash commands and approval buttons. It only translates. */
export function createDiscordAdapter(
  settings: DiscordSettings,
  bot: Bot,
  log: Logger,
  options: {
    editIntervalMs?: number;
    /** How REST requests are sent (discord.js's default: at once) and their timeout: the global limit shared with other processes. */
    rest?: Pick<RESTOptions, "makeRequest" | "timeout"> | undefined;
  } = {},
): DiscordAdapter {
  const restOptions = { api: settings.apiUrl, ...options.rest };
  const rest = new REST(restOptions).setToken(settings.token);
  const poster = new DiscordPoster(rest, log, options);
  /** A gateway client per shard this process holds: which shards it holds changes as processes come and go. */
  const clients = new Map<number, Client>();

  const onMessage = async (message: Message) => {
    const me = message.client.user.id;
    if (!me || message.author.bot || message.system) return;
    // As readers see it; a mention of the bot's own role is a mention too.
    const { text, mentioned } = readDiscordMessage(message, me);
    let channel: string;
    let thread: string;
    if (message.channel.isDMBased()) {
      channel = thread = message.channelId;
    } else if (message.channel.isThread()) {
      channel = message.channel.parentId ?? message.channelId;
      thread = message.channelId;
      if (!mentioned && !(await bot.knowsThread("discord", channel, thread))) return;
    } else {
      if (!mentioned) return;
      channel = message.channelId;
      // A thread started from a message has the message's id: the turn goes on while it is
      // created, and only what is written into the thread waits for it.
      thread = message.id;
      void startThread(message, text);
    }
    const author = {
      id: message.author.id,
      name: authorName(message),
      // From the member's roles in the guild (the owner has every permission); none in DMs.
      isAdmin: isAdmin(message.member?.permissions),
    };
    await bot.handleMessage(
      {
        platform: "discord",
        // Message ids are unique; a MESSAGE_CREATE replayed after a resume is the same delivery.
        eventId: message.id,
        channel,
        channelName: message.channel.isDMBased() ? directChannelName(author) : channelNameOf(message.channel),
        thread,
        author,
        text: text === "" ? "(no text)" : text,
        direct: message.channel.isDMBased(),
        quoted: await quotedMessage(message),
        attachments: discordAttachments(message.attachments.values(), settings.apiUrl),
        receivedAt: message.createdAt,
      },
      poster,
    );
  };

  const startThread = async (message: Message, text: string): Promise<void> => {
    try {
      await poster.startThread(message.channelId, message.id, threadName(text));
    } catch (error) {
      // A redelivered mention: its thread is there already.
      if ((error as { code?: unknown }).code === THREAD_ALREADY_CREATED) return;
      // What the turn writes into the thread then fails, and the turn with it.
      log.warn({ err: error, message: message.id }, "discord thread not created");
    }
  };

  /**
   * A click on Approve or Deny. Acknowledged before anything is looked up, so Discord's 3 seconds
   * never depend on the database; the flow then edits the prompt, and anyone whose click decided
   * nothing is told why, privately.
   */
  const onButton = async (interaction: ButtonInteraction) => {
    const choice = parseApprovalButton(interaction.customId);
    if (!choice) return;
    const context = { approval: choice.id, user: interaction.user.id };
    try {
      await interaction.deferUpdate();
    } catch (error) {
      // Unacknowledged, the person was shown "This interaction failed": nothing is decided for them.
      log.warn({ err: error, ...context }, "discord approval click not acknowledged");
      return;
    }
    const { member, user } = interaction;
    let result: ApprovalDecisionResult | undefined;
    try {
      result = await bot.decideApproval(
        {
          platform: "discord",
          id: choice.id,
          approve: choice.approve,
          by: {
            id: user.id,
            // A member the cache knows has a display name; an uncached one comes as Discord's raw member.
            name: (member && "displayName" in member ? member.displayName : member?.nick) ?? user.displayName ?? user.username,
            isAdmin: isAdmin(interaction.memberPermissions),
          },
          messageId: interaction.message.id,
        },
        poster,
      );
    } catch (error) {
      log.error({ err: error, ...context }, "discord approval not decided");
    }
    if (result?.status === "decided") {
      await result.turn.catch((error: unknown) => {
        // Stopping, the process keeps the decision for the next one to go on with.
        if (error instanceof ShuttingDownError) log.info(context, "decided turn left to the next process");
        else log.error({ err: error, ...context }, "decided turn failed");
      });
      return;
    }
    const content = result ? refusalText(result) : "⚠️ Your decision could not be recorded. Please try again in a moment.";
    await interaction
      .followUp({ content, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } })
      .catch((error: unknown) => log.warn({ err: error, ...context }, "discord approval reply failed"));
  };

  const onInteraction = async (interaction: Interaction) => {
    if (interaction.isButton()) return onButton(interaction);
    if (!interaction.isChatInputCommand()) return;
    // Deferred at once: Discord wants an answer within 3 seconds.
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const channel = interaction.channel?.isThread() ? (interaction.channel.parentId ?? interaction.channelId) : interaction.channelId;
    let text: string;
    try {
      ({ text } = await bot.handleCommand({
        platform: "discord",
        channel,
        thread: interaction.channel?.isThread() ? interaction.channelId : undefined,
        author: {
          id: interaction.user.id,
          name: interaction.user.displayName ?? interaction.user.username,
          // Discord resolves the invoker's permissions in this channel; absent in DMs.
          isAdmin: isAdmin(interaction.memberPermissions),
        },
        command: `/${interaction.commandName}`,
        text: commandText(interaction),
      }));
    } catch (error) {
      // Without an edit the deferred reply would say "thinking…" until the token expires.
      log.error({ err: error, command: interaction.commandName }, "discord command failed");
      text = `⚠️ /${interaction.commandName} failed. Please try again in a moment.`;
    }
    const [first = "", ...rest] = splitText(text, DISCORD_MESSAGE_LIMIT);
    await interaction.editReply({ content: first });
    for (const content of rest) await interaction.followUp({ content, flags: MessageFlags.Ephemeral });
  };

  const gatewayClient = (shard: number, count: number): Client => {
    const client = new Client({
      intents: [
        GatewayIntentBits.Guilds,
        GatewayIntentBits.GuildMessages,
        GatewayIntentBits.MessageContent,
        GatewayIntentBits.DirectMessages,
      ],
      // DM channels are not cached before their first message arrives.
      partials: [Partials.Channel],
      rest: restOptions,
      shards: [shard],
      shardCount: count,
    });
    client.on(
      Events.MessageCreate,
      (message) => void onMessage(message).catch((error: unknown) => log.error({ err: error }, "discord message failed")),
    );
    client.on(
      Events.InteractionCreate,
      (interaction) => void onInteraction(interaction).catch((error: unknown) => log.error({ err: error }, "discord command failed")),
    );
    client.on(Events.ShardResume, (id) => log.info({ shard: id }, "discord gateway resumed"));
    client.on(Events.Error, (error) => log.error({ err: error }, "discord client error"));
    return client;
  };

  const disconnect = async (shard: number) => {
    const client = clients.get(shard);
    clients.delete(shard);
    await client?.destroy();
  };

  return {
    poster,
    async start() {
      await registerCommands(rest, settings, log);
    },
    async connect(shard, count) {
      if (clients.has(shard)) return;
      const client = gatewayClient(shard, count);
      clients.set(shard, client);
      const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
      try {
        await client.login(settings.token);
        await ready;
      } catch (error) {
        await disconnect(shard);
        if (/disallowed intents/i.test(String((error as Error).message)))
          throw new Error(
            "Discord refused the gateway intents: enable the MessageContent intent in the Discord Developer Portal → Bot → Privileged Gateway Intents, then restart.",
            { cause: error },
          );
        throw error;
      }
      log.info({ user: client.user?.tag, shard, shards: count }, "Discord connected");
    },
    disconnect,
    async stop() {
      await Promise.all([...clients.keys()].map(disconnect));
    },
  };
}

/** Bulk overwrite is idempotent: the same list twice leaves the same commands. */
async function registerCommands(rest: REST, settings: DiscordSettings, log: Logger): Promise<void> {
  const route = settings.guildId
    ? Routes.applicationGuildCommands(settings.applicationId, settings.guildId)
    : Routes.applicationCommands(settings.applicationId);
  await rest.put(route, { body: discordCommands });
  log.info({ scope: settings.guildId ? `guild ${settings.guildId}` : "global" }, "Discord slash commands registered");
}

/** The name of the guild channel a message belongs to (a thread's parent's). */
function channelNameOf(channel: Message["channel"]): string | undefined {
  if (channel.isThread()) return channel.parent?.name;
  return "name" in channel && typeof channel.name === "string" ? channel.name : undefined;
}

function threadName(text: string): string {
  const name = text.replace(/\s+/g, " ").trim().slice(0, 90);
  return name === "" ? "Quorum" : name;
}

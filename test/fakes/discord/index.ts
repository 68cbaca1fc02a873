import type {
  APIChatInputApplicationCommandInteraction,
  APIMessageComponentButtonInteraction,
  APIUser,
  GatewayMessageCreateDispatchData,
} from "discord-api-types/v10";
import { type FakeGateway, type FakeGatewayOptions, startFakeGateway } from "./gateway.js";
import { FAKE_DISCORD } from "./ids.js";
import {
  buttonInteractionCreate,
  type InteractionCreateInput,
  interactionCreate,
  type MessageCreateInput,
  messageCreate,
  PRIVILEGED_INTENTS,
} from "./payloads.js";
import { type FakeDiscordRest, startFakeDiscordRest } from "./rest.js";
import { DiscordWorld, type FakeDiscordMessage } from "./store.js";

export * from "./gateway.js";
export * from "./ids.js";
export * from "./payloads.js";
export * from "./rest.js";
export * from "./store.js";

export interface FakeDiscordOptions {
  /** Privileged intents on in the developer portal; default MessageContent only. */
  allowedPrivilegedIntents?: number;
  heartbeatIntervalMs?: FakeGatewayOptions["heartbeatIntervalMs"];
}

export type DiscordEnv = {
  DISCORD_TOKEN: string;
  DISCORD_APPLICATION_ID: string;
  DISCORD_GUILD_ID: string;
  DISCORD_API_URL: string;
};

/** One fake Discord on loopback: the world, its REST API and its gateway, on one port. */
export interface FakeDiscord {
  world: DiscordWorld;
  rest: FakeDiscordRest;
  gateway: FakeGateway;
  env(): DiscordEnv;
  /**
   * A user's message, as Discord handles it: stored in its channel, then dispatched (a second
   * send of the same payload is a redelivery: dispatched again, stored once). For a DM, pass
   * the channel of `world.dmChannelWith(user)` and no guild_id. A reply (`message_reference`)
   * gets its `referenced_message` from the world unless given.
   */
  sendMessage(input: MessageCreateInput): GatewayMessageCreateDispatchData;
  /** A slash command: its interaction (and token) recorded, then INTERACTION_CREATE dispatched. */
  sendCommand(input: InteractionCreateInput): APIChatInputApplicationCommandInteraction;
  /**
   * A person clicks the button `custom_id` of a stored message (which must show it): the
   * interaction recorded, then INTERACTION_CREATE dispatched with the message as it is now.
   */
  clickButton(input: { message_id: string; custom_id: string; user?: APIUser }): APIMessageComponentButtonInteraction;
  /** The bot's messages in a channel or thread, oldest first (ephemeral ones included). */
  botMessagesIn(channelId: string): FakeDiscordMessage[];
  stop(): Promise<void>;
}

export async function startFakeDiscord(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  const allowedPrivilegedIntents = options.allowedPrivilegedIntents ?? PRIVILEGED_INTENTS.MessageContent;
  const world = new DiscordWorld([
    {
      id: FAKE_DISCORD.guildId,
      name: FAKE_DISCORD.guildName,
      channels: [
        { id: FAKE_DISCORD.channelId, name: FAKE_DISCORD.channelName },
        { id: FAKE_DISCORD.otherChannelId, name: FAKE_DISCORD.otherChannelName },
      ],
    },
  ]);
  // REST and gateway share one port; the gateway is attached once the REST server listens.
  let attached: FakeGateway | undefined;
  const rest = await startFakeDiscordRest(world, {
    allowedPrivilegedIntents,
    gatewayUrl: () => attached?.url ?? "",
    dispatch: (event, data) => attached?.dispatch(event, data),
  });
  const gateway = startFakeGateway(rest.server, world, {
    allowedPrivilegedIntents,
    ...(options.heartbeatIntervalMs ? { heartbeatIntervalMs: options.heartbeatIntervalMs } : {}),
  });
  attached = gateway;

  /** An interaction and its token, recorded as Discord does before it dispatches; `name` is the command's or the custom_id. */
  const record = (d: APIChatInputApplicationCommandInteraction | APIMessageComponentButtonInteraction, name: string, messageId?: string) =>
    world.interactions.set(d.id, {
      id: d.id,
      type: d.type,
      token: d.token,
      application_id: d.application_id,
      name,
      ...(messageId ? { message_id: messageId } : {}),
      channel_id: d.channel.id,
      ...(d.guild_id ? { guild_id: d.guild_id } : {}),
      user: d.member?.user ?? d.user!,
      dispatchedAt: Date.now(),
      followUps: [],
    });

  return {
    world,
    rest,
    gateway,
    env: () => ({
      DISCORD_TOKEN: FAKE_DISCORD.token,
      DISCORD_APPLICATION_ID: FAKE_DISCORD.applicationId,
      DISCORD_GUILD_ID: FAKE_DISCORD.guildId,
      DISCORD_API_URL: rest.apiUrl,
    }),
    sendMessage(input) {
      const type = world.channel(input.channel_id)?.type;
      // A reply carries the message it points to (null once that is deleted), as Discord sends it.
      const referencedId = input.message_reference?.message_id;
      const d = messageCreate({
        ...input,
        ...(referencedId && input.referenced_message === undefined ? { referenced_message: world.referencedMessage(referencedId) } : {}),
        ...(input.channel_type === undefined && type !== undefined
          ? { channel_type: type as NonNullable<MessageCreateInput["channel_type"]> }
          : {}),
      });
      if (!world.messages.has(d.id)) {
        world.storeMessage({
          id: d.id,
          channel_id: d.channel_id,
          ...(d.guild_id ? { guild_id: d.guild_id } : {}),
          author: d.author,
          content: d.content,
          embeds: d.embeds,
          components: d.components ?? [],
          attachments: d.attachments,
          flags: d.flags ?? 0,
          type: d.type,
          timestamp: d.timestamp,
          mentions: d.mentions,
          ...(d.message_reference ? { message_reference: d.message_reference } : {}),
          source: "gateway",
          ephemeral: false,
        });
      }
      gateway.dispatch("MESSAGE_CREATE", d);
      return d;
    },
    sendCommand(input) {
      const d = interactionCreate(input);
      record(d, d.data.name);
      gateway.dispatch("INTERACTION_CREATE", d);
      return d;
    },
    clickButton({ message_id, custom_id, user }) {
      const message = world.messages.get(message_id);
      const shown = message?.components.some(
        (row) => "components" in row && row.components.some((c) => "custom_id" in c && c.custom_id === custom_id),
      );
      if (!message || message.deleted || !shown) throw new Error(`no button ${custom_id} on message ${message_id} to click`);
      const channel = world.channel(message.channel_id);
      const d = buttonInteractionCreate({
        message: world.messagePayload(message),
        custom_id,
        ...(user ? { user } : {}),
        guild_id: message.guild_id ?? null,
        ...(channel?.kind === "thread"
          ? { channel_type: channel.type as 10 | 11 | 12, parent_id: channel.parent_id, channel_name: channel.name ?? "thread" }
          : channel?.name
            ? { channel_name: channel.name }
            : {}),
      });
      record(d, custom_id, message_id);
      gateway.dispatch("INTERACTION_CREATE", d);
      return d;
    },
    botMessagesIn: (channelId) =>
      world.messagesIn(channelId, { includeEphemeral: true }).filter((m) => m.author.id === FAKE_DISCORD.botUserId),
    async stop() {
      await gateway.stop();
      await rest.stop();
    },
  };
}

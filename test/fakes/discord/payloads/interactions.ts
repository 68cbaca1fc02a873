import type {
  APIApplicationCommandInteractionDataOption,
  APIChatInputApplicationCommandInteraction,
  APIMessage,
  APIMessageComponentButtonInteraction,
  APIUser,
  ChannelFlags,
  Locale,
} from "discord.js";
import { FAKE_DISCORD, interactionToken, snowflake } from "../ids.js";
import { guildOwner, guildRoles } from "./guild.js";
import { ALL_PERMISSIONS, interactionMember, memberPermissions, people } from "./users.js";

/** The INTERACTION_CREATE of a slash command, and of a click on a message's button. */

export type CommandOptionValue = string | number | boolean;

/** Where an interaction happens and who starts it. */
interface InteractionPlace {
  /** The guild; `null` in a DM with the bot. Defaults to the fake guild. */
  guild_id?: string | null;
  /** The invoking user; defaults to alice. */
  user?: APIUser;
  id?: string;
  token?: string;
  /** The channel's type when it is not a guild text channel (e.g. 11 for a thread); DMs come from `guild_id: null`. */
  channel_type?: 0 | 5 | 10 | 11 | 12;
  /** Name of the channel (guild channels); defaults to "general". */
  channel_name?: string;
  /** For threads: the parent channel id. */
  parent_id?: string;
  locale?: string;
}

export interface InteractionCreateInput extends InteractionPlace {
  /** The command name, e.g. "project". */
  name: string;
  /** Either Discord's option array, or name → value (string → type 3, integer → 4, other number → 10, boolean → 5). */
  options?: APIApplicationCommandInteractionDataOption[] | Record<string, CommandOptionValue>;
  /** Defaults to the fake's general channel, or (with `guild_id: null`) must be a DM channel id. */
  channel_id?: string;
  /** The registered command's id; defaults to a new snowflake. */
  command_id?: string;
}

export interface ButtonInteractionInput extends InteractionPlace {
  /** The message the button is on, as the REST API returns it; the interaction happens in its channel. */
  message: APIMessage;
  custom_id: string;
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
  const guildId = input.guild_id === undefined ? FAKE_DISCORD.guildId : input.guild_id;
  const channelId = input.channel_id ?? (guildId ? FAKE_DISCORD.channelId : undefined);
  if (!channelId) throw new Error("interactionCreate: a DM command needs channel_id (the DM channel's id)");
  const options = Array.isArray(input.options) ? input.options : input.options ? commandOptions(input.options) : undefined;
  const data = {
    id: input.command_id ?? snowflake(),
    name: input.name,
    type: 1 as const,
    ...(options && options.length > 0 ? { options } : {}),
  };
  return { ...interactionContext(input, channelId), type: 2, data };
}

/**
 * The `d` of an INTERACTION_CREATE for a click on a button (interaction type 3 MESSAGE_COMPONENT,
 * component type 2) of `message`, with the whole message, as Discord sends it.
 */
export function buttonInteractionCreate(input: ButtonInteractionInput): APIMessageComponentButtonInteraction {
  const context = interactionContext(input, input.message.channel_id);
  return { ...context, type: 3, data: { custom_id: input.custom_id, component_type: 2 }, message: input.message };
}

/**
 * What every interaction carries: ids, token, locale, the channel, and the invoker (a guild
 * `member` with permissions resolved from their roles, or a DM `user`) with its context.
 */
function interactionContext(input: InteractionPlace, channelId: string) {
  const id = input.id ?? snowflake();
  const who = input.user ?? people.alice;
  const guildId = input.guild_id === undefined ? FAKE_DISCORD.guildId : input.guild_id;
  const common = {
    id,
    application_id: FAKE_DISCORD.applicationId,
    token: input.token ?? interactionToken(id),
    version: 1 as const,
    app_permissions: guildId ? ALL_PERMISSIONS : "2248473465835073",
    locale: (input.locale ?? "en-US") as Locale,
    entitlements: [],
    attachment_size_limit: 10_485_760,
    channel_id: channelId,
  };
  if (guildId === null) {
    return {
      ...common,
      user: who,
      channel: { id: channelId, type: 1 as const, last_message_id: null, recipients: [who], flags: 0 as ChannelFlags },
      context: 1 as const,
      authorizing_integration_owners: { 0: "0" },
    };
  }
  const channelType = input.channel_type ?? 0;
  const isThread = channelType === 10 || channelType === 11 || channelType === 12;
  // Discord adds `permissions` to an interaction's channel, which the type omits.
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
      }) as unknown as APIMessageComponentButtonInteraction["channel"];
  return {
    ...common,
    guild_id: guildId,
    guild: { id: guildId, locale: "en-US" as Locale, features: [] },
    guild_locale: "en-US" as Locale,
    // Discord resolves the invoker's permissions from their roles (the fake guild's, in any guild).
    member: interactionMember(who, memberPermissions(who.id, guildRoles(guildId), guildOwner({}))),
    channel,
    context: 0 as const,
    authorizing_integration_owners: { 0: guildId },
  };
}

import type {
  APIRole,
  APIThreadChannel,
  APIUser,
  GatewayGuildCreateDispatchData,
  GuildSystemChannelFlags,
  Locale,
  RoleFlags,
} from "discord.js";
import { FAKE_DISCORD, snowflakeTime } from "../ids.js";
import { textChannel } from "./channels.js";
import { ADMINISTRATOR, ALL_PERMISSIONS, botRoleId, botUser, EVERYONE_PERMISSIONS, guildMember, MANAGE_GUILD, people } from "./users.js";

/** The guild the bot is in: its roles and its GUILD_CREATE. */

export interface FakeGuildDefinition {
  id: string;
  name: string;
  /** Text channels (type 0) in the guild. */
  channels: { id: string; name: string; topic?: string | null }[];
  /** Members besides the bot (default: alice, bob and the other bot). */
  members?: APIUser[];
  owner_id?: string;
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
    id: botRoleId(guildId),
    name: FAKE_DISCORD.applicationName,
    position: 1,
    permissions: ALL_PERMISSIONS,
    managed: true,
    tags: { bot_id: FAKE_DISCORD.botUserId },
  };
}

/** The fake guild's roles: @everyone, the bot's, Moderators (Manage Server) and Admins (Administrator). */
export function guildRoles(guildId: string): APIRole[] {
  const everyone = everyoneRole(guildId);
  return [
    everyone,
    botRole(guildId),
    {
      ...everyone,
      id: FAKE_DISCORD.roles.moderators,
      name: "Moderators",
      position: 2,
      permissions: (MANAGE_GUILD | BigInt(EVERYONE_PERMISSIONS)).toString(),
    },
    { ...everyone, id: FAKE_DISCORD.roles.admins, name: "Admins", position: 3, permissions: ADMINISTRATOR.toString() },
  ];
}

/** Who owns a guild: olive unless it says otherwise. */
export const guildOwner = (guild: Pick<FakeGuildDefinition, "owner_id">): string => guild.owner_id ?? people.olive.id;

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
    owner_id: guildOwner(guild),
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: 1,
    default_message_notifications: 1,
    explicit_content_filter: 2,
    roles: guildRoles(guild.id),
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

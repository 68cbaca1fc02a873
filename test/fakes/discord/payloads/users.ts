import type { APIGuildMember, APIInteractionGuildMember, APIUser, GuildMemberFlags, UserFlags } from "discord.js";
import { FAKE_DISCORD, snowflake, snowflakeTime } from "../ids.js";

/** Users, the fake guild's people, members and their permissions. */

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
  /** A moderator: the Moderators role grants Manage Server. */
  carol: user(FAKE_DISCORD.users.carol),
  /** An administrator: the Admins role grants Administrator. */
  dave: user(FAKE_DISCORD.users.dave),
  /** The guild's owner, with no role. */
  olive: user(FAKE_DISCORD.users.olive),
} as const;

/** The roles each person holds in the fake guild (everyone also has @everyone, which is not listed). */
const ROLES_HELD: Record<string, string[]> = {
  [FAKE_DISCORD.users.carol.id]: [FAKE_DISCORD.roles.moderators],
  [FAKE_DISCORD.users.dave.id]: [FAKE_DISCORD.roles.admins],
};

export function rolesOf(userId: string): string[] {
  return ROLES_HELD[userId] ?? [];
}

/** Every user id the builders recognise in `<@id>` mentions. */
export function knownUser(id: string): APIUser | undefined {
  if (id === FAKE_DISCORD.botUserId) return botUser();
  return Object.values(people).find((u) => u.id === id);
}

/** The id of the managed role Discord gives the bot in a guild (tagged with the bot's id). */
export function botRoleId(guildId: string): string {
  return (BigInt(guildId) + 100n).toString();
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

/** Manage Server (MANAGE_GUILD), which the Moderators role grants. */
export const MANAGE_GUILD = 1n << 5n;
/** Administrator, which the Admins role grants: every permission, in every channel. */
export const ADMINISTRATOR = 1n << 3n;

/**
 * A member's permissions as Discord computes them for an interaction's `member.permissions`: the
 * owner has all; otherwise @everyone's and their roles' permissions together, and all of them
 * with Administrator. (The fake's channels have no overwrites.)
 */
export function memberPermissions(userId: string, roles: { id: string; permissions: string }[], ownerId: string): string {
  if (userId === ownerId) return ALL_PERMISSIONS;
  const held = new Set(rolesOf(userId));
  let bits = BigInt(EVERYONE_PERMISSIONS);
  for (const role of roles) if (held.has(role.id)) bits |= BigInt(role.permissions);
  return bits & ADMINISTRATOR ? ALL_PERMISSIONS : bits.toString();
}

/** A guild member object (the `user` field included, as in GUILD_CREATE's `members`); roles default to the person's. */
export function guildMember(u: APIUser, options: { roles?: string[]; joinedAt?: string; nick?: string | null } = {}): APIGuildMember {
  return {
    user: u,
    nick: options.nick ?? null,
    avatar: null,
    banner: null,
    roles: options.roles ?? rolesOf(u.id),
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
export function interactionMember(u: APIUser, permissions: string): APIInteractionGuildMember {
  return { ...guildMember(u), user: u, permissions };
}

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

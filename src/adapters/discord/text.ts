import { renderMarkup } from "../markup.js";

/**
 * Discord message content as a person reads it in Discord.
 *
 * Discord keeps content as typed, except what its client renders from markup
 * (https://discord.com/developers/docs/reference#message-formatting): users `<@id>` (`<@!id>`
 * from older clients), channels `<#id>`, roles `<@&id>`, custom emoji `<:name:id>` and
 * `<a:name:id>`, timestamps `<t:1618953630>` and `<t:1618953630:R>`, slash commands
 * `</name:id>`, and links in angle brackets `<https://x>` (shown without their preview).
 * Names come from the message's resolved mentions and the client's caches, through `names`.
 */

export interface DiscordNames {
  /** A user's display name in this place (the member's nickname in a guild). */
  user?: (id: string) => string | undefined;
  role?: (id: string) => string | undefined;
  channel?: (id: string) => string | undefined;
}

/** Who "the bot" is: its user, and the roles that stand for it (its managed role in a guild). */
export interface DiscordSelf {
  userId?: string;
  roleIds?: ReadonlySet<string>;
}

const MARKUP =
  /<(@!?|@&|#)(\d{15,21})>|<(a?):(\w{1,32}):\d{15,21}>|<t:(-?\d{1,13})(?::[tTdDfFsSR])?>|<\/([-_\p{L}\p{N} ]{1,100}):\d{15,21}>|<(https?:\/\/[^\s<>]+)>/gu;

/** The mention kinds of `<@…>` markup. */
const USER = new Set(["@", "@!"]);

/**
 * `content` as Discord shows it: `@display name`, `#channel`, `@role`, `:emoji:`, dates in UTC,
 * `/command`, bare links; mentions of the bot (its user or its role) left out, since they only
 * addressed it. What cannot be named is shown as Discord's client shows it (`@unknown-user`,
 * `#unknown`, `@deleted-role`).
 */
export function discordTextAsWritten(content: string, names: DiscordNames = {}, self: DiscordSelf = {}): string {
  return renderMarkup(content, MARKUP, (match) => {
    const [, kind, id, , emoji, seconds, command, url] = match;
    if (kind !== undefined && id !== undefined) {
      if (USER.has(kind)) return id === self.userId ? undefined : `@${names.user?.(id) ?? "unknown-user"}`;
      if (kind === "@&") return self.roleIds?.has(id) ? undefined : `@${names.role?.(id) ?? "deleted-role"}`;
      return `#${names.channel?.(id) ?? "unknown"}`;
    }
    if (emoji !== undefined) return `:${emoji}:`;
    if (seconds !== undefined) return utc(Number(seconds));
    if (command !== undefined) return `/${command}`;
    return url ?? match[0];
  });
}

function utc(seconds: number): string {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? "(a date)" : `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

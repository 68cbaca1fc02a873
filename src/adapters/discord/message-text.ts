import { type Message, MessageReferenceType, MessageType, type User } from "discord.js";
import { within } from "../within.js";
import { type DiscordNames, discordTextAsWritten } from "./text.js";

/** How long a reply waits for the message it points to before it goes on without it. */
const REFERENCE_WAIT_MS = 2_000;
/** The most of a replied-to message that is quoted. */
const QUOTE_LIMIT = 4_000;

export interface ReadMessage {
  /** The content as a person reads it, the bot's own mentions left out. */
  text: string;
  /** The message mentions the bot: its user, or its own managed role. */
  mentioned: boolean;
}

/** A Discord message as its readers see it, and whether it addresses the bot `me`. */
export function readDiscordMessage(message: Message, me: string): ReadMessage {
  // The role Discord gives a bot that joined with permissions is tagged with the bot's id.
  const botRoles = new Set(message.mentions.roles.filter((role) => role.tags?.botId === me).map((role) => role.id));
  return {
    text: discordTextAsWritten(message.content, namesIn(message), { userId: me, roleIds: botRoles }),
    mentioned: message.mentions.users.has(me) || botRoles.size > 0,
  };
}

/** Who wrote a message, by the name readers see: the member's nickname in a guild. */
export function authorName(message: Message): string {
  return message.member?.displayName ?? displayName(message.author);
}

/**
 * The message `message` replies to, as its readers see it, with its author; undefined when it is
 * not a reply (a forward or a thread's starter also point at a message), or the message is gone
 * or does not come in time. Discord sends it with the reply, so it usually comes from the cache.
 */
export async function quotedMessage(message: Message, waitMs = REFERENCE_WAIT_MS): Promise<{ author: string; text: string } | undefined> {
  const reference = message.reference;
  if (message.type !== MessageType.Reply || !reference?.messageId || reference.type === MessageReferenceType.Forward) return undefined;
  const referenced = await within(message.fetchReference(), waitMs, undefined);
  if (!referenced) return undefined;
  const text = discordTextAsWritten(referenced.content, namesIn(referenced));
  return { author: authorName(referenced), text: text === "" ? "(no text)" : text.slice(0, QUOTE_LIMIT) };
}

/** Names for a message's mentions: resolved with the message, else from the client's caches. */
function namesIn(message: Message): DiscordNames {
  const { mentions, guild, client } = message;
  return {
    user: (id) => {
      const member = mentions.members?.get(id) ?? guild?.members.cache.get(id);
      if (member) return member.displayName;
      const user = mentions.users.get(id) ?? client.users.cache.get(id);
      return user && displayName(user);
    },
    role: (id) => (mentions.roles.get(id) ?? guild?.roles.cache.get(id))?.name,
    channel: (id) => {
      const channel = mentions.channels.get(id) ?? client.channels.cache.get(id);
      return channel && "name" in channel && typeof channel.name === "string" ? channel.name : undefined;
    },
  };
}

function displayName(user: User): string {
  return user.displayName ?? user.username;
}

import type { APIAttachment, APIEmbed, APIMessage, APIMessageReference, APIThreadChannel, APIUser } from "discord.js";
import { messagePayload } from "../payloads.js";

/** The world's messages as it records them, with their edit history, and as the REST API returns them. */

/** One edit of a stored message, with its arrival time (for edit-rate assertions). */
export interface MessageEdit {
  content: string;
  at: number;
  embeds?: APIEmbed[];
  /** Set when the edit changed them ([] when it removed them). */
  components?: NonNullable<APIMessage["components"]>;
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
  /** For interaction responses: the interaction they answer (and, for a component's, the message it is on). */
  interaction?: { id: string; type: 2 | 3; name: string; user: APIUser; message_id?: string };
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

/**
 * A stored message as the REST API returns it, given what it links to: the message it replies
 * to (`null` once that is deleted) and the thread it started.
 */
export function storedMessagePayload(
  m: FakeDiscordMessage,
  related: { referenced?: APIMessage | null; thread?: APIThreadChannel },
): APIMessage {
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
    ...(related.referenced !== undefined ? { referenced_message: related.referenced } : {}),
    ...(m.webhook_id ? { webhook_id: m.webhook_id } : {}),
    ...(m.application_id ? { application_id: m.application_id } : {}),
    ...(m.position !== undefined ? { position: m.position } : {}),
    ...(m.interaction ? { interaction_metadata: interactionMetadata(m.interaction, m.guild_id) } : {}),
    ...(related.thread ? { thread: related.thread } : {}),
  });
}

/** What Discord says on an interaction's messages about it; a component's names the message whose button was clicked. */
function interactionMetadata(interaction: NonNullable<FakeDiscordMessage["interaction"]>, guildId: string | undefined) {
  const common = { id: interaction.id, user: interaction.user, authorizing_integration_owners: guildId ? { 0: guildId } : { 0: "0" } };
  return interaction.type === 3 && interaction.message_id
    ? { ...common, type: 3 as const, interacted_message_id: interaction.message_id }
    : { ...common, type: 2 as const };
}

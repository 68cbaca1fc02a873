import type { APIEmbed, APIMessage } from "discord-api-types/v10";
import { snowflake } from "../ids.js";
import { botUser, mentionsIn } from "../payloads.js";
import type { DiscordWorld, FakeDiscordMessage, FakeInteraction } from "../store.js";
import { DiscordError } from "./router.js";

/** The bot's messages as its REST calls make and change them in the world. */

type Components = NonNullable<APIMessage["components"]>;

interface MessageFields {
  content?: string;
  embeds?: APIEmbed[];
  components?: Components;
  flags?: number;
}

/**
 * Content as Discord checks it: at most 2,000 characters, components in action rows, and a
 * message needs something in it.
 */
export function content(body: unknown, required: boolean): MessageFields {
  const fields = (body ?? {}) as { content?: unknown; embeds?: unknown; components?: unknown; flags?: unknown };
  const text = typeof fields.content === "string" ? fields.content : undefined;
  const embeds = Array.isArray(fields.embeds) ? (fields.embeds as APIEmbed[]) : undefined;
  const components = fields.components === undefined ? undefined : checkedComponents(fields.components);
  if (text !== undefined && text.length > 2_000)
    throw new DiscordError(400, 50035, "Invalid Form Body: content: Must be 2000 or fewer in length.");
  if (required && !text && !embeds?.length && !components?.length) throw new DiscordError(400, 50006, "Cannot send an empty message");
  return {
    ...(text !== undefined ? { content: text } : {}),
    ...(embeds ? { embeds } : {}),
    ...(components ? { components } : {}),
    ...(typeof fields.flags === "number" ? { flags: fields.flags } : {}),
  };
}

/**
 * Up to five action rows (type 1) of one to five buttons (type 2), as Discord checks them: a label
 * or an emoji, and a custom_id of 1 to 100 characters (a url for a link button, style 5).
 */
function checkedComponents(value: unknown): Components {
  const invalid = (where: string) => new DiscordError(400, 50035, `Invalid Form Body: components${where}`);
  if (!Array.isArray(value) || value.length > 5) throw invalid("");
  for (const [r, row] of (value as { type?: unknown; components?: unknown }[]).entries()) {
    if (row?.type !== 1 || !Array.isArray(row.components) || row.components.length < 1 || row.components.length > 5) throw invalid(`.${r}`);
    for (const [b, button] of (row.components as Record<string, unknown>[]).entries()) {
      const id = button?.custom_id;
      const target = button?.style === 5 ? typeof button.url === "string" : typeof id === "string" && id.length >= 1 && id.length <= 100;
      if (button?.type !== 2 || (typeof button.label !== "string" && button.emoji === undefined) || !target)
        throw invalid(`.${r}.components.${b}`);
    }
  }
  return value as Components;
}

export class BotMessages {
  /** The bot user, the author of every message made here. */
  readonly bot = botUser();

  constructor(
    private readonly world: DiscordWorld,
    /** What Discord would push over the gateway. */
    private readonly dispatch: (event: string, data: unknown) => void,
  ) {}

  channelOr404(id: string) {
    const channel = this.world.channel(id);
    if (!channel) throw new DiscordError(404, 10003, "Unknown Channel");
    return channel;
  }

  /** A live message of the bot's in the channel, or the error Discord gives for a missing or someone else's. */
  own(channelId: string, messageId: string): FakeDiscordMessage {
    const message = this.world.messages.get(messageId);
    if (!message || message.deleted || message.channel_id !== channelId) throw new DiscordError(404, 10008, "Unknown Message");
    if (message.author.id !== this.bot.id) throw new DiscordError(403, 50005, "Cannot edit a message authored by another user");
    return message;
  }

  post(channelId: string, fields: MessageFields, extra: Partial<FakeDiscordMessage> = {}): FakeDiscordMessage {
    const channel = this.channelOr404(channelId);
    return this.world.storeMessage({
      id: snowflake(),
      channel_id: channelId,
      ...(channel.guild_id ? { guild_id: channel.guild_id } : {}),
      author: this.bot,
      content: fields.content ?? "",
      embeds: fields.embeds ?? [],
      components: fields.components ?? [],
      attachments: [],
      flags: 0,
      type: 0,
      mentions: mentionsIn(fields.content ?? ""),
      source: "rest",
      ephemeral: false,
      ...extra,
    });
  }

  /** An interaction's response or follow-up; `loading` for a deferred one ("thinking…"). */
  postForInteraction(interaction: FakeInteraction, fields: MessageFields, loading: boolean): FakeDiscordMessage {
    const ephemeral = ((fields.flags ?? 0) & 64) !== 0;
    return this.post(interaction.channel_id, fields, {
      type: 20,
      flags: (ephemeral ? 64 : 0) | (loading ? 128 : 0),
      ephemeral,
      source: "interaction",
      webhook_id: interaction.application_id,
      application_id: interaction.application_id,
      interaction: {
        id: interaction.id,
        type: interaction.type,
        name: interaction.name,
        user: interaction.user,
        ...(interaction.message_id ? { message_id: interaction.message_id } : {}),
      },
    });
  }

  edit(message: FakeDiscordMessage, fields: MessageFields): void {
    if (fields.content !== undefined) message.content = fields.content;
    if (fields.embeds) message.embeds = fields.embeds;
    if (fields.components) message.components = fields.components;
    message.edited_timestamp = new Date().toISOString();
    message.edits.push({
      content: message.content,
      at: Date.now(),
      ...(fields.embeds ? { embeds: fields.embeds } : {}),
      ...(fields.components ? { components: fields.components } : {}),
    });
  }

  /** Discord pushes the bot's own new messages back to it over the gateway, like anyone's. */
  echo(message: FakeDiscordMessage): void {
    if (message.ephemeral) return;
    const channel = this.world.channel(message.channel_id);
    this.dispatch("MESSAGE_CREATE", {
      ...this.world.messagePayload(message),
      ...(message.guild_id
        ? { guild_id: message.guild_id, member: { roles: [], joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0 } }
        : {}),
      channel_type: channel?.type ?? 0,
    });
  }
}

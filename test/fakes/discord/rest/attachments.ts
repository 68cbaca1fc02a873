import { randomBytes } from "node:crypto";
import type { APIAttachment } from "discord-api-types/v10";
import { FileHost } from "../../file-host.js";
import { FAKE_DISCORD, snowflake } from "../ids.js";

/**
 * Discord's attachment CDN on the fake's own server: `/attachments/CHANNEL/ID/NAME` with the
 * signed query Discord adds (`ex`, `is`, `hm`; not checked), served to anyone who has the link,
 * and attachment objects in the shape of
 * https://discord.com/developers/docs/resources/message#attachment-object to put in a message.
 */

export interface HostAttachmentInput {
  filename: string;
  bytes: Buffer | string;
  /** Declared type; absent leaves `content_type` out, as Discord does for types it does not know. */
  content_type?: string;
  /** What the object says the size is; default the real size. */
  size?: number;
  /** Redirect the file's URL there (absolute, or a path on the fake) instead of serving the bytes. */
  redirectTo?: string;
  channel_id?: string;
}

export class DiscordAttachments {
  readonly host = new FileHost();

  constructor(private readonly origin: () => string) {}

  add(input: HostAttachmentInput): APIAttachment {
    const id = snowflake();
    const bytes = typeof input.bytes === "string" ? Buffer.from(input.bytes, "utf8") : input.bytes;
    const path = `/attachments/${input.channel_id ?? FAKE_DISCORD.channelId}/${id}/${encodeURIComponent(input.filename)}`;
    this.host.host(path, {
      bytes,
      contentType: input.content_type ?? "application/octet-stream",
      ...(input.redirectTo ? { redirectTo: input.redirectTo } : {}),
    });
    const expires = Math.floor(Date.now() / 1000) + 86_400;
    const signed = `?ex=${expires.toString(16)}&is=${(expires - 86_400).toString(16)}&hm=${randomBytes(32).toString("hex")}&`;
    return {
      id,
      filename: input.filename,
      size: input.size ?? bytes.length,
      url: `${this.origin()}${path}${signed}`,
      proxy_url: `${this.origin()}${path}${signed}`,
      ...(input.content_type ? { content_type: input.content_type } : {}),
    };
  }
}

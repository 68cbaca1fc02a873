import type { Attachment } from "../../core/attachment.js";
import { downloadFile, platformHosts } from "../file-download.js";

/** Discord's attachment hosts: the CDN (`url`) and the media proxy (`proxy_url`). */
export const DISCORD_FILE_HOSTS = ["cdn.discordapp.com", "media.discordapp.net"] as const;

/** An attachment as discord.js holds it (the API's `{id, filename, content_type, size, url, proxy_url}`). */
export interface DiscordAttachmentLike {
  name: string;
  contentType: string | null;
  size: number;
  url: string;
}

/**
 * A message's attachments, fetched from their (signed) CDN URLs with no credentials, from
 * Discord's own hosts only (and the host of `DISCORD_API_URL`, for proxies and tests).
 */
export function discordAttachments(attachments: Iterable<DiscordAttachmentLike>, apiUrl: string | undefined): Attachment[] {
  const allowed = platformHosts(DISCORD_FILE_HOSTS, apiUrl);
  return [...attachments].map((attachment) => ({
    name: attachment.name,
    ...(attachment.contentType ? { mimeType: attachment.contentType } : {}),
    size: attachment.size,
    async download({ maxBytes, signal }) {
      return (await downloadFile({ url: attachment.url, allowed, maxBytes, signal })).bytes;
    },
  }));
}

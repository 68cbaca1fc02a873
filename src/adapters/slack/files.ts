import { z } from "zod";
import { type Attachment, DownloadError } from "../../core/attachment.js";
import { downloadFile, type HostRule, platformHosts } from "../file-download.js";

/** Slack's file host; `url_private` links point there and want the bot token. */
export const SLACK_FILE_HOSTS = ["files.slack.com"] as const;

/** The fields of a Slack file object (https://docs.slack.dev/reference/objects/file-object) that Quorum reads. */
const slackFile = z.object({
  id: z.string(),
  name: z.string().optional(),
  title: z.string().optional(),
  mimetype: z.string().optional(),
  filetype: z.string().optional(),
  size: z.number().nonnegative().optional(),
  mode: z.string().optional(),
  is_external: z.boolean().optional(),
  file_access: z.string().optional(),
  url_private: z.string().optional(),
});
type SlackFile = z.infer<typeof slackFile>;

export interface SlackFileAccess {
  botToken: string;
  /** `SLACK_API_URL`: its host serves files too (a proxy, GovSlack, a test's fake). */
  apiUrl: string;
}

/**
 * The files of a message event as attachments, fetched from `url_private` with the bot token
 * (the `files:read` scope), from Slack's file hosts only. Entries that are not file objects are
 * left out; files Slack gives no link to are named and say why.
 */
export function slackAttachments(files: readonly unknown[] | undefined, access: SlackFileAccess): Attachment[] {
  const allowed = platformHosts(SLACK_FILE_HOSTS, access.apiUrl);
  const attachments: Attachment[] = [];
  for (const raw of files ?? []) {
    const parsed = slackFile.safeParse(raw);
    if (parsed.success) attachments.push(toAttachment(parsed.data, access.botToken, allowed));
  }
  return attachments;
}

function toAttachment(file: SlackFile, botToken: string, allowed: HostRule): Attachment {
  const unavailable = whyUnavailable(file);
  const url = file.url_private;
  return {
    name: file.name ?? file.title ?? file.id,
    ...(file.mimetype ? { mimeType: file.mimetype } : {}),
    ...(file.size !== undefined ? { size: file.size } : {}),
    ...(unavailable ? { unavailable } : {}),
    async download({ maxBytes, signal }) {
      if (unavailable || url === undefined) throw new DownloadError("http_status", unavailable ?? "Slack gave no link to it");
      const { bytes, contentType } = await downloadFile({
        url,
        allowed,
        headers: { authorization: `Bearer ${botToken}` },
        maxBytes,
        signal,
      });
      // Without files:read (or with a revoked token) Slack answers a file link with its sign-in page.
      if (contentType?.startsWith("text/html") && !file.mimetype?.startsWith("text/html"))
        throw new DownloadError("sign_in", "Slack answered with its sign-in page (the app needs the files:read scope)");
      return bytes;
    },
  };
}

function whyUnavailable(file: SlackFile): string | undefined {
  if (file.mode === "tombstone") return "it was deleted";
  if (file.mode === "hidden_by_limit") return "the workspace's plan hides it";
  if (file.mode === "external" || file.is_external) return "it is stored outside Slack";
  if (file.file_access === "check_file_info" || file.url_private === undefined) return "Slack gave no link to it";
  return undefined;
}

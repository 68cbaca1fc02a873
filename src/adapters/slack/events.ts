import { z } from "zod";

/** The fields of a Slack message-like event that Quorum uses; everything else passes by. */
export const slackMessageEvent = z.object({
  type: z.enum(["app_mention", "message"]),
  subtype: z.string().optional(),
  channel: z.string().min(1),
  channel_type: z.string().optional(),
  user: z.string().optional(),
  bot_id: z.string().optional(),
  text: z.string().default(""),
  ts: z.string().min(1),
  thread_ts: z.string().optional(),
  team: z.string().optional(),
  /** File objects, read by files.ts; one that is not a file object is left out, not the whole event. */
  files: z.array(z.unknown()).optional(),
});
export type SlackMessageEvent = z.infer<typeof slackMessageEvent>;

// Subtypes that are a person writing; edits, deletions, joins and bot posts are not answered.
const ANSWERABLE_SUBTYPES = new Set([undefined, "thread_broadcast", "file_share"]);

export function isFromPerson(event: SlackMessageEvent, botUserId: string | undefined): boolean {
  return ANSWERABLE_SUBTYPES.has(event.subtype) && event.bot_id === undefined && event.user !== undefined && event.user !== botUserId;
}

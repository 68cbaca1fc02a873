import { z } from "zod";
import { storableText } from "../../core/storable-text.js";

export const channelName = z
  .string()
  .trim()
  .min(1)
  .max(80)
  .regex(/^[a-z0-9_-]+$/, "use lower case letters, digits, - and _");

/** No stored thread id holds U+0000; such an id is looked up as what Postgres can compare, and not found. */
export const threadId = z.string().min(1).max(200).transform(storableText);

export const chatBody = z.object({
  channel: channelName,
  user: z.string().trim().min(1).max(80),
  text: z
    .string()
    .min(1)
    .max(20_000)
    .refine((text) => text.trim() !== "", "must not be blank"),
  thread: threadId.optional(),
  /** A client's id for this send; a retried send with the same id is answered once. */
  id: z.string().min(1).max(200).optional(),
});

export const commandBody = z.object({
  channel: channelName,
  user: z.string().trim().min(1).max(80),
  command: z
    .string()
    .trim()
    .regex(/^\/[a-z][a-z0-9_-]*$/i, "a command such as /memory"),
  text: z.string().max(20_000).default(""),
});

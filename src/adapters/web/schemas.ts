import { z } from "zod";

export const channelName = z
  .string()
  .trim()
  .min(1)
  .max(80)
  .regex(/^[a-z0-9_-]+$/, "use lower case letters, digits, - and _");

/** An id from a path or a body: no stored id holds U+0000 or is longer, so such a one is refused (400). */
export const pathId = z
  .string()
  .min(1)
  .max(200, "at most 200 characters")
  .refine((id) => !id.includes("\u0000"), "must not hold U+0000");

export const chatBody = z.object({
  channel: channelName,
  user: z.string().trim().min(1).max(80),
  text: z
    .string()
    .min(1)
    .max(20_000)
    .refine((text) => text.trim() !== "", "must not be blank"),
  thread: pathId.optional(),
  /** A client's id for this send; a retried send with the same id is answered once. */
  id: pathId.optional(),
});

/** Which channel the thread to stop is in. */
export const stopBody = z.object({ channel: channelName });

/** Who asks for the new answer, as the console names its user. */
export const regenerateBody = z.object({ channel: channelName, user: z.string().trim().min(1).max(80) });

export const commandBody = z.object({
  channel: channelName,
  user: z.string().trim().min(1).max(80),
  command: z
    .string()
    .trim()
    .regex(/^\/[a-z][a-z0-9_-]*$/i, "a command such as /memory"),
  text: z.string().max(20_000).default(""),
});

export const approvalBody = z.object({
  approve: z.boolean(),
  /** Who decides, as the console names its user; the operator decides in any case. */
  user: z.string().trim().min(1).max(80).default("operator"),
});

/** `GET /api/usage`: a console channel by name (`general`) or any platform's by its id (`slack:C0123`), and the UTC days to sum. */
export const usageQuery = z.object({
  channel: z
    .string({ error: "required: a console channel name such as general, or a platform channel such as slack:C0123" })
    .trim()
    .refine(
      (channel) => channelName.safeParse(channel).success || /^(web|slack|discord):[\x21-\x7e]{1,190}$/.test(channel),
      "expected a console channel name such as general, or a platform channel such as slack:C0123 or discord:1234",
    ),
  days: z.coerce
    .number({ error: "expected a whole number of days from 1 to 366" })
    .int("expected a whole number of days from 1 to 366")
    .min(1, "expected a whole number of days from 1 to 366")
    .max(366, "expected a whole number of days from 1 to 366")
    .default(1),
});

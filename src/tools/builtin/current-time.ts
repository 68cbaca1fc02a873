import { z } from "zod";
import { defineTool } from "../define.js";

function validZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** `current_time` in any IANA time zone, from the ICU data Node ships. */
export const currentTimeTool = defineTool({
  name: "current_time",
  description: "The current date and time in an IANA time zone such as Europe/Paris or America/New_York (UTC by default).",
  category: "time",
  risk: "read",
  input: z.object({
    timeZone: z
      .string()
      .min(1)
      .max(64)
      .default("UTC")
      .refine(validZone, { message: "not an IANA time zone; use names like Europe/Paris, America/New_York or UTC" }),
  }),
  run: ({ timeZone }) => {
    const now = new Date();
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat("en-CA", {
        timeZone,
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
        second: "2-digit",
        weekday: "long",
        hourCycle: "h23",
        timeZoneName: "longOffset",
      })
        .formatToParts(now)
        .map((part) => [part.type, part.value]),
    );
    const offset = parts.timeZoneName === "GMT" ? "+00:00" : String(parts.timeZoneName).replace("GMT", "");
    return {
      timeZone,
      local: `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${offset}`,
      weekday: parts.weekday,
      utc: now.toISOString(),
    };
  },
});

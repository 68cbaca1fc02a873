import type { Author } from "../core/thread.js";

/** What a direct conversation with the bot is called where a channel would have a name: after the person in it. */
export function directChannelName(person: Author): string {
  return `DM with ${person.name ?? person.id}`;
}

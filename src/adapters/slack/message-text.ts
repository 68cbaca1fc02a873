import { within } from "../within.js";
import type { SlackChannels } from "./channels.js";
import type { SlackPeople } from "./people.js";
import { slackReferences, slackTextAsWritten } from "./text.js";

/** How long a message waits for names before it goes on with ids and the names in its markup. */
const LOOKUP_WAIT_MS = 2_000;
/** Mentions looked up per message; past these, the markup's own names (or ids) are shown. */
const USERS_LOOKED_UP = 20;
const CHANNELS_LOOKED_UP = 10;

/** A Slack message's text as a person reads it, with names from the bot's caches of users.info and conversations.info. */
export class SlackMessageText {
  constructor(
    private readonly people: SlackPeople,
    private readonly channels: SlackChannels,
    private readonly waitMs = LOOKUP_WAIT_MS,
  ) {}

  /** `text` decoded, mentions named, the bot's own mentions left out. */
  async read(text: string, botUserId: string | undefined): Promise<string> {
    const wanted = slackReferences(text, botUserId);
    if (wanted.users.length === 0 && wanted.channels.length === 0) return slackTextAsWritten(text, {}, botUserId);
    const [users, channels] = await Promise.all([
      this.#names(wanted.users.slice(0, USERS_LOOKED_UP), async (id) => (await this.people.get(id)).name),
      this.#names(wanted.channels.slice(0, CHANNELS_LOOKED_UP), (id) => this.channels.name(id)),
    ]);
    return slackTextAsWritten(text, { users, channels }, botUserId);
  }

  /** The channel's name, or undefined when Slack does not say in time. */
  channelName(id: string): Promise<string | undefined> {
    return within(this.channels.name(id), this.waitMs, undefined);
  }

  async #names(ids: string[], lookUp: (id: string) => Promise<string | undefined>): Promise<Map<string, string>> {
    const found = await Promise.all(ids.map(async (id) => [id, await within(lookUp(id), this.waitMs, undefined)] as const));
    return new Map(found.filter((entry): entry is readonly [string, string] => entry[1] !== undefined && entry[1] !== entry[0]));
  }
}

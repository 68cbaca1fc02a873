import type { WebClient } from "@slack/web-api";
import { LRUCache } from "lru-cache";
import type { Author } from "../../core/thread.js";

/** People looked up at once; the least recently seen go first. */
const PEOPLE_KEPT = 10_000;
/** How long a name and a role are trusted: a renamed or demoted person is seen within this. */
const PERSON_TTL_MS = 10 * 60_000;

export interface SlackPeopleOptions {
  max?: number;
  ttlMs?: number;
  /** The clock the TTL runs on, in ms (tests). */
  now?: () => number;
}

type UsersInfo = Pick<WebClient["users"], "info">;

/**
 * Who a Slack user is: their display name and whether they are a workspace admin or owner,
 * from `users.info`, cached with a bound and a TTL. Concurrent lookups of one person share a call.
 */
export class SlackPeople {
  readonly #cache: LRUCache<string, Author>;

  constructor(users: UsersInfo, options: SlackPeopleOptions = {}) {
    this.#cache = new LRUCache<string, Author>({
      max: options.max ?? PEOPLE_KEPT,
      ttl: options.ttlMs ?? PERSON_TTL_MS,
      ttlResolution: 0,
      ...(options.now && { perf: { now: options.now } }),
      fetchMethod: async (id) => {
        const { user } = await users.info({ user: id });
        return {
          id,
          name: user?.profile?.display_name || user?.real_name || user?.name || id,
          isAdmin: user?.is_admin === true || user?.is_owner === true,
        };
      },
    });
  }

  /** The person; without a name or a role when Slack could not say (that answer is not kept). */
  async get(id: string): Promise<Author> {
    try {
      return (await this.#cache.fetch(id)) ?? { id };
    } catch {
      return { id };
    }
  }
}

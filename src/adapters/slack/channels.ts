import type { WebClient } from "@slack/web-api";
import { LRUCache } from "lru-cache";

/** Channels looked up at once; the least recently seen go first. */
const CHANNELS_KEPT = 10_000;
/** How long a name is trusted: a renamed channel is seen within this. */
const CHANNEL_TTL_MS = 10 * 60_000;
/** How long a failed lookup (a missing scope, a channel the bot cannot see) is not tried again. */
const FAILED_TTL_MS = 60_000;

export interface SlackChannelsOptions {
  max?: number;
  ttlMs?: number;
  failedTtlMs?: number;
  /** The clock the TTL runs on, in ms (tests). */
  now?: () => number;
}

type ConversationsInfo = Pick<WebClient["conversations"], "info">;

/**
 * Channel names from `conversations.info`, cached with a bound and a TTL; concurrent lookups of
 * one channel share a call. A conversation without a name (a DM) or one Slack would not describe
 * has none, and that answer is kept too, for less time, so a missing scope costs one call a minute.
 */
export class SlackChannels {
  readonly #cache: LRUCache<string, { name?: string }>;

  constructor(conversations: ConversationsInfo, options: SlackChannelsOptions = {}) {
    const failedTtl = options.failedTtlMs ?? FAILED_TTL_MS;
    this.#cache = new LRUCache<string, { name?: string }>({
      max: options.max ?? CHANNELS_KEPT,
      ttl: options.ttlMs ?? CHANNEL_TTL_MS,
      ttlResolution: 0,
      ...(options.now && { perf: { now: options.now } }),
      fetchMethod: async (id, _stale, { options: fetchOptions }) => {
        try {
          const { channel } = await conversations.info({ channel: id });
          return channel?.name ? { name: channel.name } : {};
        } catch {
          fetchOptions.ttl = failedTtl;
          return {};
        }
      },
    });
  }

  /** The channel's name, without `#`; undefined when it has none or Slack could not say. */
  async name(id: string): Promise<string | undefined> {
    try {
      return (await this.#cache.fetch(id))?.name;
    } catch {
      return undefined;
    }
  }
}

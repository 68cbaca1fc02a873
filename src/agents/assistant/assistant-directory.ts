import { LRUCache } from "lru-cache";
import type { ChannelRow } from "../conversation/conversation-store.js";
import { type AssistantDeps, EnhancedAssistant } from "./enhanced-assistant.js";

/** Assistants kept ready; one holds nothing but its channel's row, so a dropped one is simply built again. */
const ASSISTANTS_KEPT = 1_000;

/** One assistant per channel, kept while its channel is in use. */
export class AssistantDirectory {
  // No TTL of its own: an assistant is replaced when its channel's row is read afresh, which the
  // conversation store's channel cache does at least every TTL.
  readonly #assistants = new LRUCache<string, EnhancedAssistant>({ max: ASSISTANTS_KEPT });

  constructor(private readonly deps: AssistantDeps) {}

  /** The channel's assistant, seeing the channel's latest settings. */
  for(channel: ChannelRow): EnhancedAssistant {
    const known = this.#assistants.get(channel.id);
    if (known && known.channel.settings === channel.settings) return known;
    const assistant = new EnhancedAssistant(channel, this.deps);
    this.#assistants.set(channel.id, assistant);
    return assistant;
  }
}

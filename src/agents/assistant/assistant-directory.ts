import type { ChannelRow } from "../conversation/conversation-store.js";
import { type AssistantDeps, EnhancedAssistant } from "./enhanced-assistant.js";

/** One assistant per channel, kept for the life of the process. */
export class AssistantDirectory {
  readonly #assistants = new Map<string, EnhancedAssistant>();

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

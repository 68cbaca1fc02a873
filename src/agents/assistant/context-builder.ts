import type { ChatMessage } from "../llm/types.js";
import type { MemoryRecord } from "../memory/types.js";
import { countTokens, messageTokens } from "./tokens.js";

export interface HistoryMessage {
  role: "user" | "assistant";
  author: string;
  content: string;
  /** Counted once when the message was stored, so building a context never re-tokenises history. */
  tokens: number;
}

export interface ContextInput {
  systemPrompt: string;
  memories: MemoryRecord[];
  /** The thread, newest first; the newest is the message being answered. */
  history: HistoryMessage[];
  budget: number;
}

export interface BuiltContext {
  messages: ChatMessage[];
  tokens: number;
  includedMessages: number;
  droppedMessages: number;
}

// Memories may take at most this share of the budget; the conversation needs the rest.
const MEMORY_SHARE = 0.25;
const AUTHOR_PREFIX_TOKENS = 4;

/**
 * System prompt, recalled memories, then as much of the thread as fits, newest first.
 * The oldest turns drop out first, so the prompt stays flat as a thread grows.
 */
export function buildContext(input: ContextInput): BuiltContext {
  let system = input.systemPrompt;
  let used = messageTokens(system);
  const memoryLines: string[] = [];
  let memoryTokens = 0;
  for (const memory of input.memories) {
    const line = `- (#${memory.id}, ${memory.kind}) ${memory.content}`;
    const cost = countTokens(line) + 1;
    if (memoryTokens + cost > input.budget * MEMORY_SHARE) break;
    memoryLines.push(line);
    memoryTokens += cost;
  }
  if (memoryLines.length > 0) {
    system += `\n\nWhat you remember from this channel (use it when relevant):\n${memoryLines.join("\n")}`;
    used += memoryTokens + 12;
  }

  const included: ChatMessage[] = [];
  for (const message of input.history) {
    const cost = message.tokens + (message.role === "user" ? AUTHOR_PREFIX_TOKENS : 0);
    // The message being answered always goes in, even alone over budget.
    if (included.length > 0 && used + cost > input.budget) break;
    used += cost;
    included.push(
      message.role === "user"
        ? { role: "user", content: `${message.author}: ${message.content}` }
        : { role: "assistant", content: message.content },
    );
  }
  included.reverse();
  return {
    messages: [{ role: "system", content: system }, ...included],
    tokens: used,
    includedMessages: included.length,
    droppedMessages: input.history.length - included.length,
  };
}

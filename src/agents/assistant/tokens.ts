import { countTokens as countO200k } from "gpt-tokenizer";
import { LRUCache } from "lru-cache";

// Chat formats wrap each message in a few tokens of role and separators.
const MESSAGE_OVERHEAD = 4;

/**
 * Counts of texts that come back turn after turn (a channel's system prompt, its recalled
 * memories, the thread's earlier messages): each turn would otherwise encode them again.
 */
const counted = new LRUCache<string, number>({ max: 5_000, maxSize: 20_000_000, sizeCalculation: (_count, text) => text.length || 1 });

/** Tokens of a text under o200k_base, the encoding of current OpenAI models. */
export function countTokens(text: string): number {
  let count = counted.get(text);
  if (count === undefined) {
    count = countO200k(text);
    counted.set(text, count);
  }
  return count;
}

export function messageTokens(text: string): number {
  return countTokens(text) + MESSAGE_OVERHEAD;
}

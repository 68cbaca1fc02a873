import { countTokens as countO200k } from "gpt-tokenizer";

// Chat formats wrap each message in a few tokens of role and separators.
const MESSAGE_OVERHEAD = 4;

/** Tokens of a text under o200k_base, the encoding of current OpenAI models. */
export function countTokens(text: string): number {
  return countO200k(text);
}

export function messageTokens(text: string): number {
  return countO200k(text) + MESSAGE_OVERHEAD;
}

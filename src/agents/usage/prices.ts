import { z } from "zod";

/** `LLM_PRICES`: USD per million tokens, by model: `{"gpt-4o-mini": {"input": 0.15, "output": 0.6}}`. */
export const pricesSchema = z.record(
  z.string().trim().min(1, "expected model names as keys"),
  z.strictObject({
    input: z.number().nonnegative("expected USD per million prompt tokens, 0 or more"),
    output: z.number().nonnegative("expected USD per million completion tokens, 0 or more"),
  }),
);

export type Prices = z.output<typeof pricesSchema>;

export interface Tokens {
  promptTokens: number;
  completionTokens: number;
}

export interface UsageTotals extends Tokens {
  costUsd: number;
  byModel: Record<string, Tokens & { costUsd: number }>;
  /** Models that were used but have no price in LLM_PRICES: their cost counts as 0. */
  unpriced: string[];
}

/** Sums tokens per model into totals with their cost; a model without a price costs 0 and is named in `unpriced`. */
export function priced(rows: ({ model: string } & Tokens)[], prices: Prices): UsageTotals {
  const totals: UsageTotals = { promptTokens: 0, completionTokens: 0, costUsd: 0, byModel: {}, unpriced: [] };
  for (const { model, promptTokens, completionTokens } of rows) {
    const entry = totals.byModel[model] ?? { promptTokens: 0, completionTokens: 0, costUsd: 0 };
    totals.byModel[model] = entry;
    entry.promptTokens += promptTokens;
    entry.completionTokens += completionTokens;
    totals.promptTokens += promptTokens;
    totals.completionTokens += completionTokens;
  }
  for (const [model, entry] of Object.entries(totals.byModel)) {
    const price = prices[model];
    if (!price) totals.unpriced.push(model);
    entry.costUsd = roundUsd(((price?.input ?? 0) * entry.promptTokens + (price?.output ?? 0) * entry.completionTokens) / 1e6);
    totals.costUsd += entry.costUsd;
  }
  totals.costUsd = roundUsd(totals.costUsd);
  return totals;
}

/** Dollars to a millionth of a cent: sums of float products otherwise show noise digits. */
function roundUsd(usd: number): number {
  return Math.round(usd * 1e8) / 1e8;
}

/** Cost as people read it: cents, or two significant digits below a cent (`$0.00042`, never `4.2e-4`). */
export function usdText(usd: number): string {
  if (usd === 0) return "$0";
  return usd >= 0.01 ? `$${usd.toFixed(2)}` : `$${usd.toLocaleString("en-US", { maximumSignificantDigits: 2 })}`;
}

/** A line such as `1,234 tokens (1,000 prompt + 234 completion), $0.0012`, noting models without a price. */
export function usageLine(totals: UsageTotals): string {
  const tokens = totals.promptTokens + totals.completionTokens;
  const unpriced = totals.unpriced.length ? ` (no price in LLM_PRICES for ${totals.unpriced.join(", ")}: counted as $0)` : "";
  return `${count(tokens)} tokens (${count(totals.promptTokens)} prompt + ${count(totals.completionTokens)} completion), ${usdText(totals.costUsd)}${unpriced}`;
}

export function count(n: number): string {
  return n.toLocaleString("en-US");
}

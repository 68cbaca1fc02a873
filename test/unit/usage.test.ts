import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { BUDGET_SPENT } from "../../src/agents/usage/ledger.js";
import { priced, usageLine } from "../../src/agents/usage/prices.js";
import { channelUsageDays, llmUsage } from "../../src/db/schema.js";
import { type LocalBot, startLocalBot } from "../support/local-bot.js";
import { ScriptedLlm } from "../support/scripted-llm.js";
import { waitFor } from "../support/wait.js";

describe("prices", () => {
  it("costs each model's tokens at its price per million, and counts a model without one as $0, naming it", () => {
    const totals = priced(
      [
        { model: "small", promptTokens: 2_000_000, completionTokens: 500_000 },
        { model: "local", promptTokens: 10, completionTokens: 5 },
      ],
      { small: { input: 0.15, output: 0.6 } },
    );
    expect(totals).toEqual({
      promptTokens: 2_000_010,
      completionTokens: 500_005,
      costUsd: 0.6,
      byModel: {
        small: { promptTokens: 2_000_000, completionTokens: 500_000, costUsd: 0.6 },
        local: { promptTokens: 10, completionTokens: 5, costUsd: 0 },
      },
      unpriced: ["local"],
    });
    expect(usageLine(totals)).toBe(
      "2,500,015 tokens (2,000,010 prompt + 500,005 completion), $0.60 (no price in LLM_PRICES for local: counted as $0)",
    );
  });
});

describe("model usage of chat turns", () => {
  let bot: LocalBot | undefined;
  afterEach(async () => {
    await bot?.close();
    bot = undefined;
  });

  /** Once every settled turn gave back what it held (that happens off the reply's path). */
  const released = (b: LocalBot, channel: string) =>
    waitFor(async () => {
      const [row] = await b.database.db
        .select()
        .from(channelUsageDays)
        .where(eq(channelUsageDays.channelId, `web:${channel}`));
      return row?.reserved === 0;
    });

  it("stores each call's tokens with the channel and the turn's reply, and /usage shows them with their cost", async () => {
    const llm = new ScriptedLlm()
      .next({ toolCalls: [{ name: "calculator", arguments: { expression: "6 * 7" } }], usage: { promptTokens: 300, completionTokens: 20 } })
      .next({ content: "It is 42.", usage: { promptTokens: 350, completionTokens: 10 } });
    bot = await startLocalBot({ llm, env: { LLM_PRICES: JSON.stringify({ "scripted-model": { input: 1000, output: 2000 } }) } });
    const turn = await bot.chat("costs", "what is 6 times 7?");
    expect(turn?.reply.text).toBe("It is 42.");
    await released(bot, "costs");
    const rows = await bot.database.db.select().from(llmUsage).where(eq(llmUsage.channelId, "web:costs")).orderBy(llmUsage.id);
    expect(
      rows.map(({ messageId, model, promptTokens, completionTokens, projectId }) => [
        messageId,
        model,
        promptTokens,
        completionTokens,
        projectId,
      ]),
    ).toEqual([
      [turn!.reply.id, "scripted-model", 300, 20, null],
      [turn!.reply.id, "scripted-model", 350, 10, null],
    ]);
    // 650 prompt tokens at $1000 per million, 30 completion tokens at $2000.
    const text = await bot.command("costs", "/usage", "");
    expect(text).toContain("680 tokens (650 prompt + 30 completion), $0.71");
    expect(text).toContain("scripted-model: 650 prompt + 30 completion, $0.71");
    expect(text).toContain("Budget: none");
    expect(await bot.command("elsewhere", "/usage", "")).toContain("0 tokens (0 prompt + 0 completion), $0");
    expect(await bot.command("costs", "/usage", "yesterday")).toMatch(/takes no options/);
  });

  it("says which models have no price", async () => {
    bot = await startLocalBot({ llm: new ScriptedLlm({ always: { content: "hi", usage: { promptTokens: 5, completionTokens: 1 } } }) });
    await bot.chat("unpriced", "hello");
    await released(bot, "unpriced");
    expect(await bot.command("unpriced", "/usage", "")).toContain("no price in LLM_PRICES for scripted-model: counted as $0");
  });

  it("refuses a turn over CHANNEL_DAILY_TOKENS without calling the model, counting a turn in flight", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let calls = 0;
    const llm = new ScriptedLlm({
      always: async () => {
        calls++;
        await gate;
        return { content: "answered", usage: { promptTokens: 100, completionTokens: 20 } };
      },
    });
    // One turn's estimate (its prompt and 1,000 for the answer) fits; two do not.
    bot = await startLocalBot({ llm, env: { CHANNEL_DAILY_TOKENS: "1500" } });
    const replies: string[] = [];
    const first = bot.chat("budget", "first question", { thread: "t1" }).then((turn) => void replies.push(turn!.reply.text));
    const second = bot.chat("budget", "second question", { thread: "t2" }).then((turn) => void replies.push(turn!.reply.text));
    // One of them is refused while the other waits on the model; had both been admitted, both would wait.
    await waitFor(() => replies.length === 1 || calls === 2, 10_000, "one turn refused, or both calling the model");
    release();
    await Promise.all([first, second]);
    expect(calls).toBe(1);
    expect(replies.sort()).toEqual(["answered", BUDGET_SPENT].sort());

    // Settled, the turn spent 120: the next one fits again.
    await released(bot, "budget");
    expect((await bot.chat("budget", "third", { thread: "t3" }))?.reply.text).toBe("answered");
    expect(calls).toBe(2);
    await released(bot, "budget");
    expect(await bot.command("budget", "/usage", "")).toContain("Budget: 240 of 1,500 tokens used; 1,260 left");

    // A turn that spends the rest leaves none for the next.
    llm.next({ content: "long answer", usage: { promptTokens: 1_000, completionTokens: 300 } });
    expect((await bot.chat("budget", "fourth", { thread: "t4" }))?.reply.text).toBe("long answer");
    await released(bot, "budget");
    const refused = await bot.chat("budget", "fifth", { thread: "t5" });
    expect(refused?.reply.text).toBe(BUDGET_SPENT);
    expect(calls).toBe(2); // the scripted `always` was not asked again, nor was the queue
    expect(llm.requests).toHaveLength(3);
    expect(await bot.command("budget", "/usage", "")).toContain("Budget: 1,540 of 1,500 tokens used; spent until 00:00 UTC");
    // Other channels have budgets of their own.
    expect((await bot.chat("other", "hello"))?.reply.text).toBe("answered");
  });
});

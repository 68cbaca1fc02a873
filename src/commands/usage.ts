import { count, usageLine, usdText } from "../agents/usage/prices.js";
import type { CommandHandler } from "./context.js";

export const usageCommand: CommandHandler = {
  name: "/usage",
  usage: "/usage",
  summary: "this channel's model tokens and cost today, and its daily budget",
  async run(args, { channel, usage }) {
    if (args.trim() !== "") return { text: "`/usage` takes no options: it shows today's tokens and cost in this channel." };
    const today = await usage.channel(channel.id);
    const spent = today.promptTokens + today.completionTokens;
    const budget = usage.settings.dailyTokens;
    const models = Object.entries(today.byModel).map(
      ([model, used]) =>
        `  ◦ ${model}: ${count(used.promptTokens)} prompt + ${count(used.completionTokens)} completion, ${usdText(used.costUsd)}`,
    );
    return {
      text: [
        `*Model usage in #${channel.name} today (UTC)*`,
        `• ${usageLine(today)}`,
        ...models,
        budget === undefined
          ? "• Budget: none (set CHANNEL_DAILY_TOKENS to limit a channel's tokens per day)"
          : `• Budget: ${count(spent)} of ${count(budget)} tokens used${spent >= budget ? "; spent until 00:00 UTC" : `; ${count(budget - spent)} left`}`,
      ].join("\n"),
    };
  },
};

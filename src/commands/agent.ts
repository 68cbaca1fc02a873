import { and, eq, inArray, sql } from "drizzle-orm";
import { projects } from "../db/schema.js";
import type { CommandHandler } from "./context.js";

const RUNNING = ["planning", "running"];

export const agentCommand: CommandHandler = {
  name: "/agent",
  usage: "/agent",
  summary: "the status of this channel's assistant",
  async run(_args, { channel, assistant, memory, conversations, tools, db, llmProblem }) {
    const [memories, turns, [running]] = await Promise.all([
      memory.count(channel.id),
      conversations.countTurns(channel.id),
      db
        .select({ n: sql<number>`count(*)::int` })
        .from(projects)
        .where(and(eq(projects.channelId, channel.id), inArray(projects.status, RUNNING))),
    ]);
    const available = tools.forChannel(channel.settings).map((tool) => tool.name);
    return {
      text: [
        `*Assistant of #${channel.name}*`,
        `• Model: ${assistant.model}${llmProblem ? ` (not connected: ${llmProblem})` : ""}`,
        `• Memories: ${memories}`,
        `• Turns answered: ${turns}`,
        `• Tools: ${available.length ? available.join(", ") : "none"}`,
        `• Running projects: ${running?.n ?? 0}`,
      ].join("\n"),
    };
  },
};

import type { CommandHandler } from "./context.js";

export const agentCommand: CommandHandler = {
  name: "/agent",
  usage: "/agent",
  summary: "the status of this channel's assistant",
  async run(_args, { channel, assistant, memory, conversations, tools, llmProblem, projects }) {
    const [memories, turns, running] = await Promise.all([
      memory.count(channel.id),
      conversations.countTurns(channel.id),
      projects?.store.countLive(channel.id) ?? 0,
    ]);
    const available = tools.forChannel(channel.settings).map((tool) => tool.name);
    return {
      text: [
        `*Assistant of #${channel.name}*`,
        `• Model: ${assistant.model}${llmProblem ? ` (not connected: ${llmProblem})` : ""}`,
        `• Memories: ${memories} of ${memory.capacity}`,
        `• Recall: ${memory.recallMode.mode === "hybrid" ? "by meaning and words" : "by words alone"} (${memory.recallMode.reason})`,
        `• Turns answered: ${turns}`,
        `• Tools: ${available.length ? available.join(", ") : "none"}`,
        `• Running projects: ${running}`,
      ].join("\n"),
    };
  },
};

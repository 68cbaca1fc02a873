import type { CommandHandler } from "./context.js";

export const toolsCommand: CommandHandler = {
  name: "/tools",
  usage: "/tools [describe NAME]",
  summary: "the tools this channel's assistant may use",
  async run(args, { channel, tools }) {
    const available = tools.forChannel(channel.settings);
    const [verb = "", name = ""] = args.trim().split(/\s+/);
    if (verb === "describe") {
      const tool = available.find((candidate) => candidate.name === name);
      if (!tool) return { text: `No tool "${name}" is available in this channel. \`/tools\` lists them.` };
      return { text: `*${tool.name}* (${tool.category})\n${tool.description}\nParameters:\n\`\`\`\n${JSON.stringify(tool.parameters, null, 2)}\n\`\`\`` };
    }
    if (verb !== "") return { text: `Unknown option "${verb}". Usage: \`${toolsCommand.usage}\`` };
    if (available.length === 0) return { text: "No tools are enabled in this channel." };
    const byCategory = new Map<string, typeof available>();
    for (const tool of available) byCategory.set(tool.category, [...(byCategory.get(tool.category) ?? []), tool]);
    const sections = [...byCategory].map(([category, list]) => `*${category}*\n${list.map((tool) => `• \`${tool.name}\`: ${tool.description.split(/(?<=\.)\s/)[0]}`).join("\n")}`);
    return { text: `${sections.join("\n")}\n\`/tools describe NAME\` shows a tool's parameters.` };
  },
};

import { randomUUID } from "node:crypto";
import { type ApprovalSetting, needsApproval } from "../tools/approval-policy.js";
import type { Tool } from "../tools/define.js";
import { searchTools } from "../tools/discovery.js";
import { formatStats } from "../tools/stats.js";
import type { CommandHandler } from "./context.js";

export const toolsCommand: CommandHandler = {
  name: "/tools",
  usage: "/tools [describe NAME | search WORDS | run NAME {json}]",
  summary: "the tools this channel's assistant may use",
  async run(args, { channel, tools, executor, toolApproval }, invocation) {
    const author = tools.caller(invocation.platform, invocation.author);
    const available = tools.forCaller(channel, author);
    const [, verb = "", name = "", rest = ""] = /^\s*(\S*)\s*(\S*)\s*([\s\S]*)$/.exec(args) ?? [];
    const line = (tool: Tool) => `• \`${tool.name}\` (${riskLabel(tool, toolApproval)}): ${tool.description.split(/(?<=\.)\s/)[0]}`;
    const find = (wanted: string) => available.find((candidate) => candidate.name === wanted);
    const missing = (wanted: string) => ({ text: `No tool "${wanted}" is available in this channel. \`/tools\` lists them.` });

    if (verb === "describe") {
      const tool = find(name);
      if (!tool) return missing(name);
      const stats = (await executor.stats()).get(tool.name);
      return {
        text: `*${tool.name}* (${tool.category})\n${tool.description}\nRisk: ${riskSentence(tool, toolApproval)}\nUse: ${formatStats(stats)}\nParameters:\n\`\`\`\n${JSON.stringify(tool.parameters, null, 2)}\n\`\`\``,
      };
    }
    if (verb === "search") {
      const words = `${name} ${rest}`.trim();
      if (words === "") return { text: "Usage: `/tools search WORDS`" };
      const found = searchTools(available, words, await executor.stats());
      return { text: found.length ? found.map(line).join("\n") : `No tool here matches "${words}".` };
    }
    if (verb === "run") {
      if (name === "") return { text: 'Usage: `/tools run NAME {json}`, e.g. `/tools run calculator {"expression": "2+2"}`' };
      const tool = find(name);
      if (!tool) return missing(name);
      const outcome = await executor.execute(
        tool,
        { id: `command-${randomUUID()}`, name, arguments: rest },
        { channelId: channel.id, author },
      );
      return { text: outcome.ok ? `\`${name}\` returned:\n\`\`\`\n${outcome.content}\n\`\`\`` : outcome.content };
    }
    if (verb !== "") return { text: `Unknown option "${verb}". Usage: \`${toolsCommand.usage}\`` };

    const unavailable = tools.unavailable().map((hint) => `• \`${hint.name}\` is off: ${hint.howToEnable}`);
    const off = unavailable.length ? `\n*Not enabled*\n${unavailable.join("\n")}` : "";
    if (available.length === 0) return { text: `No tools are enabled in this channel.${off}` };
    const byCategory = new Map<string, Tool[]>();
    for (const tool of available) byCategory.set(tool.category, [...(byCategory.get(tool.category) ?? []), tool]);
    const sections = [...byCategory].map(([category, list]) => `*${category}*\n${list.map(line).join("\n")}`);
    const approval = `\nUnder TOOL_APPROVAL=${toolApproval}, the assistant's calls marked "waits for approval" ask in the thread first (the asker or an admin decides); \`/tools run\` is your own decision and runs at once.`;
    return {
      text: `${sections.join("\n")}${off}${approval}\n\`/tools describe NAME\` shows a tool's parameters and use, \`/tools search WORDS\` finds one, \`/tools run NAME {json}\` runs it.`,
    };
  },
};

/** `read`, or `external, waits for approval` when the setting holds calls of that risk. */
function riskLabel(tool: Tool, setting: ApprovalSetting): string {
  return needsApproval(tool.risk, setting) ? `${tool.risk}, waits for approval` : tool.risk;
}

function riskSentence(tool: Tool, setting: ApprovalSetting): string {
  const wait = needsApproval(tool.risk, setting)
    ? "the assistant's calls wait for a person's approval in the thread"
    : "the assistant's calls run without approval";
  return `${tool.risk}; ${wait} under TOOL_APPROVAL=${setting}. \`/tools run\` is your own decision and runs at once.`;
}

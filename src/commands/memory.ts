import type { MemoryRecord } from "../agents/memory/types.js";
import type { CommandHandler } from "./context.js";

const LIST_LIMIT = 20;

export const memoryCommand: CommandHandler = {
  name: "/memory",
  usage: "/memory [search WORDS | forget ID | forget all]",
  summary: "what this channel's assistant remembers",
  async run(args, { channel, memory }) {
    const [verb = "", ...rest] = args.trim().split(/\s+/);
    const target = rest.join(" ");
    if (verb === "") {
      const [records, total] = await Promise.all([memory.list(channel.id, { limit: LIST_LIMIT }), memory.count(channel.id)]);
      if (total === 0) return { text: "I remember nothing from this channel yet. Tell me a fact and I will keep it." };
      const more = total > records.length ? `\n…and ${total - records.length} more. \`/memory search WORDS\` finds them.` : "";
      return {
        text: `*What I remember here* (${total}, most valuable first):\n${records.map(formatMemory).join("\n")}${more}\n\`/memory forget ID\` deletes one, \`/memory forget all\` deletes everything.`,
      };
    }
    if (verb === "search") {
      if (target === "") return { text: "Usage: `/memory search WORDS`" };
      const found = await memory.recall({ channelId: channel.id, query: target, limit: 10 });
      return { text: found.length ? found.map(formatMemory).join("\n") : `Nothing I remember matches "${target}".` };
    }
    if (verb === "forget") {
      if (target === "all") {
        const removed = await memory.forgetAll(channel.id);
        return { text: `Forgot ${removed} ${removed === 1 ? "memory" : "memories"} of this channel.` };
      }
      const id = Number(target);
      if (!Number.isSafeInteger(id) || id <= 0)
        return { text: "Usage: `/memory forget ID` (an id from `/memory`) or `/memory forget all`." };
      return { text: (await memory.forget(channel.id, id)) ? `Forgot memory #${id}.` : `There is no memory #${id} in this channel.` };
    }
    return { text: `Unknown option "${verb}". Usage: \`${memoryCommand.usage}\`` };
  },
};

function formatMemory(memory: MemoryRecord): string {
  const text = memory.content.length > 200 ? `${memory.content.slice(0, 200)}…` : memory.content;
  return `• #${memory.id} [${memory.kind}] ${text.replace(/\s+/g, " ")}`;
}

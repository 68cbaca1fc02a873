import { RESTORABLE_DAYS } from "../agents/memory/capacity.js";
import type { MemoryRecord } from "../agents/memory/types.js";
import type { CommandHandler } from "./context.js";

const LIST_LIMIT = 20;

export const memoryCommand: CommandHandler = {
  name: "/memory",
  usage: "/memory [search WORDS | forget ID | forget all | forgotten | restore ID]",
  summary: "what this channel's assistant remembers",
  async run(args, { channel, memory }) {
    const [verb = "", ...rest] = args.trim().split(/\s+/);
    const target = rest.join(" ");
    if (verb === "") {
      const [records, total] = await Promise.all([memory.list(channel.id, { limit: LIST_LIMIT }), memory.count(channel.id)]);
      const used = `${total} of ${memory.capacity} used`;
      if (total === 0) return { text: `I remember nothing from this channel yet (${used}). Tell me a fact and I will keep it.` };
      const more = total > records.length ? `\n…and ${total - records.length} more. \`/memory search WORDS\` finds them.` : "";
      return {
        text: `*What I remember here* (${used}, most valuable first):\n${records.map(formatMemory).join("\n")}${more}\n\`/memory forget ID\` deletes one, \`/memory forget all\` deletes everything, \`/memory forgotten\` lists facts forgotten in the last ${RESTORABLE_DAYS} days.`,
      };
    }
    if (verb === "search") {
      if (target === "") return { text: "Usage: `/memory search WORDS`" };
      const found = await memory.recall({ channelId: channel.id, query: target, limit: 10 });
      return { text: found.length ? found.map(formatMemory).join("\n") : `Nothing I remember matches "${target}".` };
    }
    if (verb === "forget") {
      const restorable = `Taught facts can be restored for ${RESTORABLE_DAYS} days (\`/memory forgotten\`).`;
      if (target === "all") {
        const removed = await memory.forgetAll(channel.id);
        return { text: `Forgot ${removed} ${removed === 1 ? "memory" : "memories"} of this channel. ${restorable}` };
      }
      const id = memoryId(target);
      if (id === null) return { text: "Usage: `/memory forget ID` (an id from `/memory`) or `/memory forget all`." };
      return {
        text: (await memory.forget(channel.id, id)) ? `Forgot memory #${id}. ${restorable}` : `There is no memory #${id} in this channel.`,
      };
    }
    if (verb === "forgotten") {
      const forgotten = await memory.forgotten(channel.id, { limit: LIST_LIMIT });
      if (forgotten.length === 0) return { text: `No taught fact of this channel was forgotten in the last ${RESTORABLE_DAYS} days.` };
      const lines = forgotten.map((record) => `${formatMemory(record)} (forgotten ${record.forgottenAt.toISOString().slice(0, 10)})`);
      return {
        text: `*Forgotten in the last ${RESTORABLE_DAYS} days*, latest first:\n${lines.join("\n")}\n\`/memory restore ID\` brings one back.`,
      };
    }
    if (verb === "restore") {
      const id = memoryId(target);
      if (id === null) return { text: "Usage: `/memory restore ID` (an id from `/memory forgotten`)." };
      const restored = await memory.restore(channel.id, id);
      return {
        text: restored
          ? `Restored memory #${id}: ${formatMemory(restored).slice(2)}`
          : `There is no forgotten memory #${id} in this channel that can still be restored (see \`/memory forgotten\`).`,
      };
    }
    return { text: `Unknown option "${verb}". Usage: \`${memoryCommand.usage}\`` };
  },
};

/** A memory id as typed (with or without its "#"), or null when it is not one. */
function memoryId(text: string): number | null {
  const id = Number(text.replace(/^#/, ""));
  return text !== "" && Number.isSafeInteger(id) && id > 0 ? id : null;
}

function formatMemory(memory: MemoryRecord): string {
  const text = memory.content.length > 200 ? `${memory.content.slice(0, 200)}…` : memory.content;
  return `• #${memory.id} [${memory.kind}] ${text.replace(/\s+/g, " ")}`;
}

import type { Tool } from "./define.js";
import type { ToolStats } from "./stats.js";

// A word in the name says more about a tool than one in its description.
const NAME_WEIGHT = 3;

/**
 * Tools matching any of the words in `query`, best match first; ties go to the tool that has
 * succeeded more often before, then by name. Words shorter than two letters are ignored.
 */
export function searchTools(tools: readonly Tool[], query: string, stats: ReadonlyMap<string, ToolStats>): Tool[] {
  const words = [
    ...new Set(
      query
        .toLowerCase()
        .split(/[^\p{L}\p{N}]+/u)
        .filter((word) => word.length >= 2),
    ),
  ];
  if (words.length === 0) return [];
  const scored = tools.map((tool) => {
    const name = tool.name.toLowerCase();
    const description = tool.description.toLowerCase();
    const score = words.reduce((sum, word) => sum + (name.includes(word) ? NAME_WEIGHT : 0) + (description.includes(word) ? 1 : 0), 0);
    return { tool, score, success: stats.get(tool.name)?.successRate ?? 0 };
  });
  return scored
    .filter(({ score }) => score > 0)
    .sort((a, b) => b.score - a.score || b.success - a.success || a.tool.name.localeCompare(b.tool.name))
    .map(({ tool }) => tool);
}

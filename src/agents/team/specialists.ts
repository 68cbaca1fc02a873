import { z } from "zod";

/** An agent that runs project tasks: what it is good at, how it is told to work, which tools it may use. */
export interface Specialist {
  name: string;
  capabilities: string[];
  systemPrompt: string;
  /** Tool names it may use; names the bot does not have are ignored. */
  tools: string[];
}

/** A custom specialist as written in config (SPECIALISTS, a JSON array). */
export const specialistSchema = z.object({
  name: z
    .string()
    .trim()
    .regex(/^[a-z][a-z0-9_-]{0,31}$/, "a lower-case name of up to 32 letters, digits, - or _"),
  capabilities: z.array(z.string().trim().toLowerCase().min(1)).min(1),
  systemPrompt: z.string().trim().min(1),
  tools: z.array(z.string().trim().min(1)).default([]),
});

export const builtinSpecialists: Specialist[] = [
  {
    name: "research",
    capabilities: ["research", "search", "web", "sources", "facts", "gather"],
    systemPrompt:
      "You are the research specialist. Find the facts the task needs with your tools, say where each came from (URLs), and keep what you are not sure of apart from what you found.",
    tools: ["web_search", "http_request", "weather", "current_time", "recall"],
  },
  {
    name: "analysis",
    capabilities: ["analysis", "compare", "math", "data", "evaluate", "calculate"],
    systemPrompt:
      "You are the analysis specialist. Work from the inputs you are given, compute with the calculator rather than in your head, compare options on explicit criteria and state your assumptions.",
    tools: ["calculator", "current_time", "recall"],
  },
  {
    name: "synthesis",
    capabilities: ["synthesis", "writing", "report", "summary", "recommend"],
    systemPrompt:
      "You are the synthesis specialist. Write clear Markdown for a busy team: a short answer first, then a section per finding, then the sources the inputs cite. Add nothing the inputs do not support.",
    tools: ["recall"],
  },
];

/** The built-in specialists, with custom ones replacing a built-in of the same name. */
export function specialistRoster(custom: Specialist[]): Specialist[] {
  const names = new Set(custom.map((specialist) => specialist.name));
  return [...builtinSpecialists.filter((specialist) => !names.has(specialist.name)), ...custom];
}

/**
 * The specialist for a task: the most capabilities in common (a word of the description counts
 * half), then the least busy, then roster order.
 */
export function chooseSpecialist(
  task: { capabilities: string[]; description: string },
  roster: Specialist[],
  busy: ReadonlyMap<string, number>,
): Specialist {
  const words = new Set(task.description.toLowerCase().split(/[^a-z0-9]+/));
  const wanted = new Set(task.capabilities.map((c) => c.toLowerCase()));
  const score = (specialist: Specialist) =>
    specialist.capabilities.reduce((sum, capability) => sum + (wanted.has(capability) ? 1 : words.has(capability) ? 0.5 : 0), 0);
  let best = roster[0]!;
  for (const candidate of roster.slice(1)) {
    const [a, b] = [score(candidate), score(best)];
    if (a > b || (a === b && (busy.get(candidate.name) ?? 0) < (busy.get(best.name) ?? 0))) best = candidate;
  }
  return best;
}

export function canSynthesise(specialist: Specialist): boolean {
  return specialist.capabilities.includes("synthesis");
}

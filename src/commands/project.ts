import { BUDGET_SPENT } from "../agents/usage/ledger.js";
import type { ProjectRow } from "../jobs/project-store.js";
import { detailText, shortId } from "../jobs/project-text.js";
import { RedisUnavailableError } from "../jobs/redis.js";
import type { CommandHandler } from "./context.js";

const USAGE = "/project GOAL | status [ID] | list | cancel ID";

export const projectCommand: CommandHandler = {
  name: "/project",
  usage: USAGE,
  summary: "a multi-agent project that works in the background and reports in its thread",
  async run(args, context, invocation) {
    try {
      return await runProject(args, context, invocation);
    } catch (error) {
      // Redis is down or hangs: a reply that says so, on every platform, rather than a failed command.
      if (error instanceof RedisUnavailableError) return { text: `⚠️ ${error.message}` };
      throw error;
    }
  },
};

const runProject: CommandHandler["run"] = async (args, { channel, projects, tools, usage, llmProblem }, invocation) => {
  const text = args.trim();
  const [verb = "", ...rest] = text.split(/\s+/);
  const target = rest.join(" ");
  if (text === "") return { text: `Tell me the goal: \`/project Compare the three vendors and recommend one\`. Usage: \`${USAGE}\`` };
  if (!projects) return { text: "Background projects are not available in this bot." };

  // A goal may start with one of the verbs ("list the vendors…"); verbs take one word at most.
  const single = rest.length <= (verb === "list" ? 0 : 1);
  if (verb === "list" && single) {
    // The list is in the database; without Redis it says too that projects cannot run.
    const [recent, redis] = await Promise.all([projects.store.recent(channel.id, 10), projects.redisProblem()]);
    const warning = redis ? `\n⚠️ ${redis}` : "";
    if (recent.length === 0) return { text: `No projects in this channel yet. Start one with \`/project GOAL\`.${warning}` };
    return { text: `*Recent projects*\n${recent.map((p) => `• \`${shortId(p.id)}\` ${p.status}: ${p.goal}`).join("\n")}${warning}` };
  }
  if (verb === "status" && single) {
    const found = target ? await projects.find(channel.id, target) : await projects.store.recent(channel.id, 1);
    if (found.length !== 1) return { text: target ? notOne(target, found) : "No projects in this channel yet." };
    const project = found[0]!;
    const [tasks, notes] = await Promise.all([projects.store.tasks(project.id), projects.store.notes(project.id)]);
    return { text: detailText(project, tasks, notes) };
  }
  if (verb === "cancel" && single) {
    if (!target) return { text: "Usage: `/project cancel ID` (an id from `/project list`)." };
    const found = await projects.find(channel.id, target);
    if (found.length !== 1) return { text: notOne(target, found) };
    const project = found[0]!;
    return {
      text: (await projects.cancel(project))
        ? `Cancelled project \`${shortId(project.id)}\`: running work is stopped and nothing more will run.`
        : `Project \`${shortId(project.id)}\` has already ${project.status === "cancelled" ? "been cancelled" : "ended"} (${project.status}).`,
    };
  }

  if (llmProblem) return { text: `⚠️ Projects need a language model: ${llmProblem}.` };
  // Its tasks are not held to the budget one by one (they may run in any worker): none starts once it is spent.
  if (await usage.spent(channel.id)) return { text: `⚠️ ${BUDGET_SPENT}` };
  const started = await projects.start({
    channel,
    platform: invocation.platform,
    externalChannel: invocation.channel,
    thread: invocation.thread,
    // The role they have now (platform or ADMIN_USERS) is the role the project keeps.
    author: tools.caller(invocation.platform, invocation.author),
    goal: text,
  });
  if (!started.ok) return { text: started.message };
  return {
    text: `Started project \`${shortId(started.project.id)}\` (id ${started.project.id}): ${text}\nProgress and the report appear in its thread.`,
  };
};

/** No project, or several, match what the user typed. */
function notOne(typed: string, found: ProjectRow[]): string {
  if (found.length === 0) return `No project "${typed}" in this channel. \`/project list\` shows them.`;
  return `"${typed}" matches ${found.length} projects; give more of the id:\n${found.map((p) => `• \`${p.id}\` ${p.status}: ${p.goal}`).join("\n")}`;
}

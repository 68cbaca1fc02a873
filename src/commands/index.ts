import type { CommandInvocation, CommandReply } from "../core/inbound.js";
import { agentCommand } from "./agent.js";
import type { CommandContext, CommandHandler } from "./context.js";
import { memoryCommand } from "./memory.js";
import { projectCommand } from "./project.js";
import { toolsCommand } from "./tools.js";
import { usageCommand } from "./usage.js";

export type { CommandContext, CommandContextFactory } from "./context.js";

const handlers = new Map<string, CommandHandler>(
  [agentCommand, memoryCommand, projectCommand, toolsCommand, usageCommand].map((handler) => [handler.name, handler]),
);

export function commandHelp(): string {
  return [...handlers.values()].map((handler) => `\`${handler.usage}\`: ${handler.summary}`).join("\n");
}

export async function dispatchCommand(invocation: CommandInvocation, context: CommandContext): Promise<CommandReply> {
  const handler = handlers.get(invocation.command.toLowerCase());
  if (!handler) return { text: `I do not know ${invocation.command}. Commands:\n${commandHelp()}` };
  return handler.run(invocation.text, context, invocation);
}

import type { EnhancedAssistant } from "../agents/assistant/enhanced-assistant.js";
import type { ChannelRow, ConversationStore } from "../agents/conversation/conversation-store.js";
import type { MemoryStore } from "../agents/memory/store.js";
import type { UsageLedger } from "../agents/usage/ledger.js";
import type { CommandInvocation, CommandReply } from "../core/inbound.js";
import type { ProjectService } from "../jobs/projects.js";
import type { ApprovalSetting } from "../tools/approval-policy.js";
import type { ToolExecutor } from "../tools/executor.js";
import type { ToolRegistry } from "../tools/registry.js";

export interface CommandContext {
  channel: ChannelRow;
  assistant: EnhancedAssistant;
  memory: MemoryStore;
  conversations: ConversationStore;
  tools: ToolRegistry;
  /** Runs `/tools run` under the same policy as the model's calls. */
  executor: ToolExecutor;
  /** `TOOL_APPROVAL`, so `/tools` can say which calls wait for a person. */
  toolApproval: ApprovalSetting;
  /** The model's tokens and cost, and the channels' daily budget, for `/usage`. */
  usage: UsageLedger;
  /** Background projects; absent where this process runs none. */
  projects?: ProjectService;
  /** Undefined when the LLM is configured; else what to set. */
  llmProblem?: string;
}

export type CommandContextFactory = (invocation: CommandInvocation) => Promise<CommandContext>;

export interface CommandHandler {
  name: string;
  usage: string;
  summary: string;
  run(args: string, context: CommandContext, invocation: CommandInvocation): Promise<CommandReply>;
}

import type { Logger } from "pino";
import { postersFromConfig } from "../adapters/posters.js";
import { consoleProjectEvents, RedisConsoleEvents } from "../adapters/web/relay.js";
import type { ApprovalStore, TaskApprovalRow } from "../agents/approvals/approval-store.js";
import type { ConversationStore } from "../agents/conversation/conversation-store.js";
import type { LlmClient } from "../agents/llm/types.js";
import { Coordinator } from "../agents/team/coordinator.js";
import { type Specialist, specialistRoster } from "../agents/team/specialists.js";
import type { UsageLedger } from "../agents/usage/ledger.js";
import type { Config } from "../config.js";
import type { Db } from "../db/client.js";
import { Leases } from "../jobs/lease.js";
import { ProjectRunner } from "../jobs/project-runner.js";
import { ProjectStore } from "../jobs/project-store.js";
import { ProjectService } from "../jobs/projects.js";
import { bullConnection, ProjectQueue } from "../jobs/queue.js";
import type { RedisConnection } from "../jobs/redis.js";
import { type ProjectWorkers, startProjectWorkers } from "../jobs/workers.js";
import type { ToolExecutor } from "../tools/executor.js";
import type { ToolRegistry } from "../tools/registry.js";
import { sharedGlobalLimit } from "./discord-global-limit.js";
import type { Tracing } from "./tracing.js";

export interface ProjectSystemDeps {
  db: Db;
  llm: LlmClient;
  tools: ToolRegistry;
  executor: ToolExecutor;
  conversations: ConversationStore;
  /** Calls of project tasks that wait for a person are stored with the chat turns' (TOOL_APPROVAL). */
  approvals: ApprovalStore;
  /** Where the project's model calls are recorded, for the report's tokens and cost. */
  usage: UsageLedger;
  redis: RedisConnection;
  log: Logger;
  /** When spans are exported, jobs get theirs, in the trace of the turn or command that queued them. */
  tracing: Tracing | undefined;
}

export interface ProjectSystem {
  service: ProjectService;
  roster: Specialist[];
  /** Present where this process runs project jobs. */
  workers?: ProjectWorkers;
  /** Queues the job that goes on with a task whose approval was decided (ApprovalFlow's hook). */
  resumeTask(row: TaskApprovalRow): Promise<void>;
  close(): Promise<void>;
}

/** Projects as one part: the queue, the runner and its posters, and (optionally) workers in this process. */
export function startProjectSystem(config: Config, deps: ProjectSystemDeps, runWorkers: boolean): ProjectSystem {
  const { db, llm, tools, executor, conversations, approvals, usage, redis, log } = deps;
  const telemetry = deps.tracing?.jobs;
  const settings = config.projects;
  const connection = bullConnection(config.redisUrl);
  const prefix = config.redisPrefix;
  const queue = new ProjectQueue(connection, { ...settings, prefix, telemetry });
  const store = new ProjectStore(db, conversations);
  const roster = specialistRoster(settings.specialists);
  const consoleEvents = new RedisConsoleEvents(redis.client, prefix, log);
  const posters = postersFromConfig(config, log, consoleEvents, config.discord && sharedGlobalLimit(redis.client, prefix));
  const service = new ProjectService({ store, queue, conversations, posters, redis });
  const workers = runWorkers
    ? startProjectWorkers(
        new ProjectRunner({
          store,
          queue,
          coordinator: new Coordinator(llm, roster, config.llm.model),
          roster,
          tools,
          specialist: { llm, model: config.llm.model, executor, maxSteps: config.agent.maxSteps, approval: config.tools.approval },
          conversations,
          approvals,
          posters,
          events: consoleProjectEvents(consoleEvents),
          leases: new Leases(connection, prefix),
          usage,
          log: log.child({ component: "projects" }),
          statusTickMs: settings.statusTickMs,
        }),
        store,
        queue,
        approvals,
        {
          redisUrl: config.redisUrl,
          prefix,
          concurrency: settings.concurrency,
          lockMs: settings.lockMs,
          timeoutMs: settings.timeoutMs,
          telemetry,
        },
        log,
      )
    : undefined;
  return {
    service,
    roster,
    workers,
    resumeTask: (row) => service.resume(row.turn.projectId, row.id),
    async close() {
      // Without Redis nothing can be finished gracefully: drop the connections at once.
      if ((await redis.status()) === "ok") {
        await workers?.close();
        await queue.close();
      } else await workers?.close({ force: true });
      connection.disconnect();
    },
  };
}

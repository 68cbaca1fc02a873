import { randomUUID } from "node:crypto";
import { botPost, type ChannelRow, type ConversationStore } from "../agents/conversation/conversation-store.js";
import type { PosterFor } from "../core/poster.js";
import type { Author, Platform } from "../core/thread.js";
import { UnavailableError, withinDeadline } from "../core/unavailable.js";
import { CARRIED_MAX_CHARS } from "./payloads.js";
import { statusRowId } from "./project-runner.js";
import type { ProjectRow, ProjectStore } from "./project-store.js";
import { statusText } from "./project-text.js";
import type { ProjectQueue } from "./queue.js";
import { type RedisConnection, RedisUnavailableError } from "./redis.js";

export interface StartRequest {
  channel: ChannelRow;
  platform: Platform;
  /** The platform's channel id. */
  externalChannel: string;
  /** Set when the command was typed inside a thread: the project runs there. */
  thread?: string;
  /** Who started it, with `isAdmin` resolved: the project's tasks keep this role. */
  author: Author;
  goal: string;
}

export type Started = { ok: true; project: ProjectRow } | { ok: false; message: string };

export interface ProjectServiceDeps {
  store: ProjectStore;
  queue: ProjectQueue;
  conversations: ConversationStore;
  posters: PosterFor;
  /** Whether Redis answers (within about 3 s), and where it is, for messages. */
  redis: Pick<RedisConnection, "status" | "where">;
  /** How long a request waits for a queue command; default REDIS_DEADLINE_MS. */
  redisDeadlineMs?: number;
}

/**
 * A request's wait for Redis: with the status check before it, a command answers within 5 s while
 * Redis is down or hangs. (The queue's connection keeps what it could not send and sends it when
 * Redis is back; workers keep retrying on their own.)
 */
const REDIS_DEADLINE_MS = 1_500;

/** Starting, finding and cancelling projects: what `/project` and the web API need. */
export class ProjectService {
  constructor(private readonly deps: ProjectServiceDeps) {}

  get store(): ProjectStore {
    return this.deps.store;
  }

  async start(request: StartRequest): Promise<Started> {
    const { store, queue, conversations, posters } = this.deps;
    const redis = await this.deps.redis.status();
    if (redis !== "ok") return { ok: false, message: `Background projects need Redis, which is ${redis}.` };
    const poster = posters(request.platform);
    if (!poster) return { ok: false, message: `Projects cannot post on ${request.platform} from this bot.` };
    const id = randomUUID();
    const now = new Date();
    const text = statusText({ id, goal: request.goal, status: "planning", createdAt: now, updatedAt: now, planNote: null }, []);
    const to = { platform: request.platform, channel: request.externalChannel };
    // The console's status message has its stored row's id: its edits, live and reloaded, are one message.
    const stored = { storedId: statusRowId(id) };
    const opened = request.thread
      ? { thread: request.thread, messageId: (await poster.post({ ...to, thread: request.thread }, text, stored)).id }
      : await poster.openThread(to, `Project: ${request.goal}`.slice(0, 90), text, stored);
    const conversation = await conversations.openThread(request.channel.id, opened.thread, `Project: ${request.goal}`);
    await conversations.addMessage(botPost(conversation.id, text, statusRowId(id)));
    const project = await store.create({
      id,
      channelId: request.channel.id,
      conversationId: conversation.id,
      thread: opened.thread,
      goal: request.goal,
      createdBy: request.author.id,
      creatorRole: request.author.isAdmin ? "admin" : "member",
      creatorName: request.author.name,
      statusMessageId: opened.messageId,
    });
    try {
      // A goal short enough travels with the job, so the coordinator need not wait for the project's row.
      const goal = request.goal.length <= CARRIED_MAX_CHARS ? request.goal : undefined;
      await this.#redis(queue.plan(id, goal), "The project was not started; try again once it answers.");
    } catch (error) {
      // Should the plan reach Redis later, a failed project is not planned.
      await store.fail(id, "Redis did not answer when the project was started.");
      throw error;
    }
    return { ok: true, project };
  }

  /**
   * Queues the job that goes on with a task whose approval was decided; bounded like every queue
   * command on a request's path (the command still reaches Redis once it is back, and the
   * workers' sweep queues it from Postgres otherwise).
   */
  async resume(projectId: string, approvalId: string): Promise<void> {
    await this.#redis(this.deps.queue.resume(projectId, approvalId), "The task goes on once Redis is back.");
  }

  /** Why projects cannot run now, when Redis does not answer; for replies that work without it. */
  async redisProblem(): Promise<string | undefined> {
    return (await this.#unavailable("Projects cannot start or run until it is back."))?.message;
  }

  /** A RedisUnavailableError saying `outcome` when Redis does not answer now. */
  async #unavailable(outcome: string): Promise<RedisUnavailableError | undefined> {
    return (await this.deps.redis.status()) === "ok" ? undefined : new RedisUnavailableError(this.deps.redis.where, outcome);
  }

  /** Queue work on a request's path, bounded: a RedisUnavailableError saying `outcome` when Redis does not answer. */
  async #redis<T>(work: Promise<T>, outcome: string): Promise<T> {
    try {
      return await withinDeadline(work, this.deps.redisDeadlineMs ?? REDIS_DEADLINE_MS, "Redis");
    } catch (error) {
      if (error instanceof UnavailableError || isConnectionError(error)) throw new RedisUnavailableError(this.deps.redis.where, outcome);
      throw error;
    }
  }

  /** The channel's projects whose id is, or starts with, `idOrPrefix` (four characters at least). */
  async find(channelId: string, idOrPrefix: string): Promise<ProjectRow[]> {
    const wanted = idOrPrefix.trim().toLowerCase();
    if (wanted.length < 4) return [];
    return this.deps.store.withIdPrefix(channelId, wanted);
  }

  /**
   * Stops a live project: queued work is removed, running work aborted, the thread told. Without
   * Redis, nothing is changed and a RedisUnavailableError says so.
   */
  async cancel(project: ProjectRow): Promise<boolean> {
    const { store, queue } = this.deps;
    const unavailable = await this.#unavailable("Nothing was cancelled; try again once it answers.");
    if (unavailable) throw unavailable;
    const tasks = await store.tasks(project.id);
    if (!(await store.cancel(project.id))) return false;
    const stop = async () => {
      await queue.abort(
        project.id,
        tasks.map((task) => task.key),
      );
      await queue.finish(project.id);
    };
    await this.#redis(
      stop(),
      "The project is cancelled and nothing more of it will start; work already running stops, and the thread is told, once Redis is back.",
    );
    return true;
  }
}

/** ioredis's errors for a connection that is closed or cannot take commands. */
function isConnectionError(error: unknown): boolean {
  return error instanceof Error && /connection|stream isn't writeable|ECONNREFUSED|timed out/i.test(error.message);
}

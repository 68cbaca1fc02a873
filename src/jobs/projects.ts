import { randomUUID } from "node:crypto";
import type { ChannelRow, ConversationStore } from "../agents/conversation/conversation-store.js";
import type { PosterFor } from "../core/poster.js";
import type { Author, Platform } from "../core/thread.js";
import { statusRowId } from "./project-runner.js";
import type { ProjectRow, ProjectStore } from "./project-store.js";
import { statusText } from "./project-text.js";
import type { ProjectQueue } from "./queue.js";

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
  /** "ok", or why Redis cannot be used. */
  redisStatus(): Promise<string>;
}

/** Starting, finding and cancelling projects: what `/project` and the web API need. */
export class ProjectService {
  constructor(private readonly deps: ProjectServiceDeps) {}

  get store(): ProjectStore {
    return this.deps.store;
  }

  async start(request: StartRequest): Promise<Started> {
    const { store, queue, conversations, posters } = this.deps;
    const redis = await this.deps.redisStatus();
    if (redis !== "ok") return { ok: false, message: `Background projects need Redis, which is ${redis}.` };
    const poster = posters(request.platform);
    if (!poster) return { ok: false, message: `Projects cannot post on ${request.platform} from this bot.` };
    const id = randomUUID();
    const now = new Date();
    const text = statusText({ id, goal: request.goal, status: "planning", createdAt: now, updatedAt: now, planNote: null }, []);
    const to = { platform: request.platform, channel: request.externalChannel };
    const opened = request.thread
      ? { thread: request.thread, messageId: (await poster.post({ ...to, thread: request.thread }, text)).id }
      : await poster.openThread(to, `Project: ${request.goal}`.slice(0, 90), text);
    const conversation = await conversations.openThread(request.channel.id, opened.thread, `Project: ${request.goal}`);
    await conversations.addMessage({
      id: statusRowId(id),
      conversationId: conversation.id,
      role: "assistant",
      author: "quorum",
      content: text,
    });
    const project = await store.create({
      id,
      channelId: request.channel.id,
      conversationId: conversation.id,
      thread: opened.thread,
      goal: request.goal,
      createdBy: request.author.id,
      creatorRole: request.author.isAdmin ? "admin" : "member",
      statusMessageId: opened.messageId,
    });
    await queue.plan(id);
    return { ok: true, project };
  }

  /** The channel's projects whose id is, or starts with, `idOrPrefix` (four characters at least). */
  async find(channelId: string, idOrPrefix: string): Promise<ProjectRow[]> {
    const wanted = idOrPrefix.trim().toLowerCase();
    if (wanted.length < 4) return [];
    return this.deps.store.withIdPrefix(channelId, wanted);
  }

  /** Stops a live project: queued work is removed, running work aborted, the thread told. */
  async cancel(project: ProjectRow): Promise<boolean> {
    const { store, queue } = this.deps;
    const tasks = await store.tasks(project.id);
    if (!(await store.cancel(project.id))) return false;
    await queue.abort(
      project.id,
      tasks.map((task) => task.key),
    );
    await queue.finish(project.id);
    return true;
  }
}

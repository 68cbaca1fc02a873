import { randomUUID } from "node:crypto";
import { type Context, Hono } from "hono";
import type { Logger } from "pino";
import type { z } from "zod";
import { decisionText } from "../../core/approval-text.js";
import { type Bot, type HandledMessage, type Health, ShuttingDownError } from "../../core/bot.js";
import type { ApprovalPrompt } from "../../core/poster.js";
import { unavailableCause } from "../../core/unavailable.js";
import type { ToolRisk } from "../../tools/approval-policy.js";
import type { ToolStats } from "../../tools/stats.js";
import type { ConsoleAccess } from "./access.js";
import { consoleFiles, consolePage, consolePrefix } from "./console-files.js";
import { authRoutes, type EdgeEnv, guardEdge, loginForm, operator } from "./edge.js";
import type { EventHub } from "./events.js";
import type { WebPoster } from "./poster.js";
import { approvalBody, channelName, chatBody, commandBody, pathId, regenerateBody, stopBody, usageQuery } from "./schemas.js";

/** Read-only views the console needs beside the bot itself. */
export interface ConsoleBackend {
  health(): Promise<Health>;
  channels(): Promise<{ name: string; threads: number; updatedAt: Date }[]>;
  threads(channel: string): Promise<{ thread: string; title: string; updatedAt: Date }[]>;
  /** The thread exists, in this channel. */
  hasThread(channel: string, thread: string): Promise<boolean>;
  /** Undefined when there is no such thread. */
  messages(thread: string): Promise<MessageView[] | undefined>;
  /** Opens the thread's last message to be answered again; undefined when there is none, or its turn still runs. */
  reopenLastMessage(thread: string): Promise<{ eventId: string; text: string } | undefined>;
  /** The thread's calls still waiting for a decision; undefined when there is no such thread. */
  approvals(thread: string): Promise<(ApprovalPrompt & { state: "pending" })[] | undefined>;
  project(id: string): Promise<ProjectView | undefined>;
  capabilities(): Promise<{
    tools: { name: string; description: string; category: string; risk: ToolRisk; stats: ToolStats | null }[];
    specialists: { name: string; capabilities: string[] }[];
  }>;
  /** A channel's model tokens and cost over the last `days` UTC days, today included; `channel` a console name or `platform:id`. */
  usage(channel: string, days: number): Promise<UsageView>;
}

/** A stored message as `GET /api/threads/:thread/messages` lists it; on a reply, the tools its turn used. */
interface MessageView {
  id: string;
  role: string;
  author: string;
  text: string;
  createdAt: Date;
  toolCalls?: { name: string; ok: boolean }[];
}

/** What `GET /api/usage` answers (DESIGN.md "Usage and operations"). */
export interface UsageView {
  channel: string;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  byModel: Record<string, { promptTokens: number; completionTokens: number; costUsd: number }>;
}

export interface ProjectView {
  id: string;
  goal: string;
  status: string;
  /** The thread it reports in. */
  thread: string;
  tasks: { key: string; specialist: string; status: string; dependsOn: string[] }[];
  report: string | null;
  error: string | null;
  /** When the final message reached the thread; null until then. */
  reportedAt: Date | null;
}

export interface WebApiDeps {
  bot: Bot;
  backend: ConsoleBackend;
  hub: EventHub;
  poster: WebPoster;
  /** Serve the console page and its chat API. */
  enabled: boolean;
  /** Who may ask: the operator's token and sessions, the Host names and Origin of the console. */
  access: ConsoleAccess;
  /** Prometheus text of this process. */
  metrics: () => Promise<{ contentType: string; body: string }>;
  log: Logger;
}

export function createWebApi({ bot, backend, hub, poster, enabled, access, metrics, log }: WebApiDeps): Hono<EdgeEnv> {
  const app = new Hono<EdgeEnv>();
  guardEdge(app, access);
  authRoutes(app, access);

  // The bare round trip the benchmarks compare against (with credentials; load balancers use /api/health).
  app.get("/api/ping", (c) => c.text("pong"));

  app.get("/api/health", async (c) => {
    const health = await backend.health();
    // Without credentials, whether the bot can serve and nothing about what it runs on.
    return c.json(c.get("credential") ? health : { status: health.status }, health.db === "ok" ? 200 : 503);
  });

  app.get("/api/capabilities", async (c) => c.json(await backend.capabilities()));

  // Any platform's channel, so a team on Slack or Discord alone can read its costs too.
  app.get("/api/usage", async (c) => {
    const query = usageQuery.safeParse(c.req.query());
    if (!query.success) return c.json({ error: issuesText(query.error) }, 400);
    return c.json(await backend.usage(query.data.channel, query.data.days));
  });

  // With the console's credentials or METRICS_TOKEN (see edge.ts).
  app.get("/metrics", async (c) => {
    const { contentType, body } = await metrics();
    return c.body(body, 200, { "Content-Type": contentType });
  });

  // The console itself only where it is enabled (WEB_CONSOLE); the service routes always answer.
  if (enabled) {
    app.get("/", (c) => c.html(c.get("credential") ? consolePage : loginForm()));

    // The files the page loads; open to all like the page (they hold no data).
    app.get(`${consolePrefix}:name`, (c) => {
      const file = consoleFiles.get(c.req.param("name"));
      return file ? c.body(file.body, 200, { "Content-Type": file.contentType }) : c.notFound();
    });

    /** A request about a console thread: its id in the path, its channel in the body; 404 unless the thread is in that channel. */
    const threadRequest = async <S extends z.ZodType<{ channel: string }>>(
      c: Context,
      schema: S,
    ): Promise<Parsed<{ thread: string; body: z.output<S> }>> => {
      const thread = idParam(c, "thread", "thread");
      if (!thread.ok) return thread;
      const body = await readBody(c, schema);
      if (!body.ok) return body;
      if (!(await backend.hasThread(body.data.channel, thread.data)))
        return { ok: false, response: c.json({ error: "No such thread in this channel." }, 404) };
      return { ok: true, data: { thread: thread.data, body: body.data } };
    };

    app.post("/api/chat", async (c) => {
      const body = await readBody(c, chatBody);
      if (!body.ok) return body.response;
      const { channel, user, text, thread, id } = body.data;
      if (thread !== undefined && !(await backend.hasThread(channel, thread)))
        return c.json({ error: `Unknown thread "${thread}"; leave thread out to start a new one.` }, 404);
      const eventId = id ?? randomUUID();
      if (thread) hub.publish({ type: "message.user", channel, thread, messageId: eventId, author: user, text });
      const handled = await bot.handleMessage(
        { platform: "web", eventId, channel, thread, author: operator(user), text, receivedAt: new Date() },
        poster,
      );
      // Sending an id again is how a client retries. After a failed turn that runs it again (the
      // console's Retry); after a successful one, or while it runs here, the answer is the same
      // reply (a retry after a lost response must not get a second reply, nor an error for a send
      // that worked). Only a turn still running in another process gets 409.
      if (!handled) return c.json({ error: `Message ${eventId} is still being answered; its answer will be in the thread.` }, 409);
      return turnResponse(c, handled);
    });

    app.post("/api/approvals/:id", async (c) => {
      const id = idParam(c, "id", "approval");
      if (!id.ok) return id.response;
      const body = await readBody(c, approvalBody);
      if (!body.ok) return body.response;
      const decided = await bot.decideApproval(
        { platform: "web", id: id.data, approve: body.data.approve, by: operator(body.data.user) },
        poster,
      );
      switch (decided.status) {
        case "unknown":
          return c.json({ error: `No approval "${id.data}" is known in this console.` }, 404);
        case "expired":
          return c.json({ error: "This approval expired: nobody decided within 15 minutes, so the call was counted as denied." }, 410);
        case "taken":
          return c.json(
            { error: `This approval was already decided: ${decisionText(decided.outcome)}`, state: decided.outcome.state },
            409,
          );
        case "forbidden":
          return c.json({ error: `Only ${decided.asker.name} or an admin can decide this approval.` }, 403);
        case "decided":
          return turnResponse(c, await decided.turn);
      }
    });

    app.post("/api/commands", async (c) => {
      const body = await readBody(c, commandBody);
      if (!body.ok) return body.response;
      const { channel, user, command, text } = body.data;
      const reply = await bot.handleCommand({
        platform: "web",
        channel,
        author: operator(user),
        command: command.toLowerCase(),
        text,
      });
      return c.json(reply);
    });

    app.get("/api/projects/:id", async (c) => {
      const id = idParam(c, "id", "project");
      if (!id.ok) return id.response;
      const project = await backend.project(id.data);
      return project ? c.json(project) : c.json({ error: "No such project." }, 404);
    });

    app.get("/api/channels", async (c) => c.json(await backend.channels()));

    app.get("/api/channels/:name/threads", async (c) => {
      const name = channelName.safeParse(c.req.param("name"));
      if (!name.success) return c.json({ error: `Bad channel name: ${name.error.issues[0]?.message}` }, 400);
      return c.json(await backend.threads(name.data));
    });

    app.get("/api/threads/:thread/messages", async (c) => {
      const thread = idParam(c, "thread", "thread");
      if (!thread.ok) return thread.response;
      const messages = await backend.messages(thread.data);
      return messages ? c.json(messages) : c.json({ error: "No such thread." }, 404);
    });

    // Stop: the turn running in the thread ends now, its answer so far stored and marked stopped.
    app.post("/api/threads/:thread/stop", async (c) => {
      const request = await threadRequest(c, stopBody);
      if (!request.ok) return request.response;
      const { thread, body } = request.data;
      const stopped = bot.stopTurn({ platform: "web", channel: body.channel, thread });
      return stopped ? c.json({ stopped }) : c.json({ error: "No answer is being written in this thread now.", stopped }, 409);
    });

    // Regenerate: the thread's last message is answered again, as a redelivery of it would be.
    app.post("/api/threads/:thread/regenerate", async (c) => {
      const request = await threadRequest(c, regenerateBody);
      if (!request.ok) return request.response;
      const { thread, body } = request.data;
      const { channel, user } = body;
      const last = await backend.reopenLastMessage(thread);
      if (!last) return c.json({ error: "Nothing to answer again: no message here, or its answer is still being written." }, 409);
      const handled = await bot.handleMessage(
        {
          platform: "web",
          eventId: last.eventId,
          channel,
          thread,
          author: operator(user),
          text: last.text,
          receivedAt: new Date(),
        },
        poster,
      );
      if (!handled) return c.json({ error: "That message is being answered already; its answer will be in the thread." }, 409);
      return turnResponse(c, handled);
    });

    // A page opened after a reload shows the buttons of the calls its thread still waits on.
    app.get("/api/threads/:thread/approvals", async (c) => {
      const thread = idParam(c, "thread", "thread");
      if (!thread.ok) return thread.response;
      const approvals = await backend.approvals(thread.data);
      return approvals ? c.json(approvals) : c.json({ error: "No such thread." }, 404);
    });
  }

  app.notFound((c) => c.json({ error: `No route ${c.req.method} ${c.req.path}` }, 404));
  app.onError((error, c) => {
    const unavailable = error instanceof ShuttingDownError ? error : unavailableCause(error);
    if (unavailable) return c.json({ error: unavailable.message }, 503);
    // A failure's message can hold a statement and its parameters: the log gets it, not the client.
    log.error({ err: error, method: c.req.method, path: c.req.path }, "request failed");
    return c.json({ error: "The bot could not handle this request; its log says why." }, 500);
  });
  return app;
}

/**
 * A turn as the chat API answers it: the reply, or the call it waits on (and no reply). A failed
 * turn's reply is the sentence in the thread that says so; `failed` marks it.
 */
function turnResponse(c: Context, handled: HandledMessage): Response {
  // The standard header for where a response's time went: here, the model's share of it.
  c.header("Server-Timing", `llm;dur=${handled.llmMs.toFixed(2)}`);
  if (handled.pendingApproval) return c.json({ thread: handled.thread, pendingApproval: handled.pendingApproval });
  const failed = handled.ok ? {} : { failed: true };
  return c.json({ thread: handled.thread, reply: handled.reply, toolCalls: handled.toolCalls, ...failed });
}

type Parsed<T> = { ok: true; data: T } | { ok: false; response: Response };

/** A path parameter that is an id, or a 400 saying what is wrong with it (`Bad thread id: …`). */
function idParam(c: Context, name: string, what: string): Parsed<string> {
  const id = pathId.safeParse(c.req.param(name));
  return id.success
    ? { ok: true, data: id.data }
    : { ok: false, response: c.json({ error: `Bad ${what} id: ${id.error.issues[0]?.message}` }, 400) };
}

/** Malformed JSON and invalid fields get a 400 that says what is wrong. */
async function readBody<S extends z.ZodType>(c: Context, schema: S): Promise<Parsed<z.output<S>>> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    return { ok: false, response: c.json({ error: "The body is not valid JSON." }, 400) };
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, data: parsed.data };
  return { ok: false, response: c.json({ error: issuesText(parsed.error) }, 400) };
}

/** Each problem with where it is, e.g. `days: expected a whole number of days from 1 to 366`. */
function issuesText(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`).join("; ");
}

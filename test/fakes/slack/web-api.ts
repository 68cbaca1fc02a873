import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { compareTs, FAKE_SLACK, nextTs, slackId } from "./ids.js";
import { notify, type Waiter, waitOn } from "./wait.js";

/**
 * A fake Slack Web API on loopback (`POST /api/<method>`), speaking the wire format of the real
 * `@slack/web-api` client and answering in Slack's documented shapes. Messages are stateful, so a
 * test can read a thread's final content after the bot has posted, edited and streamed into it.
 */

/** Decoded arguments of one Web API call (form values stay strings, JSON-encoded fields are parsed). */
export type SlackArgs = Record<string, unknown>;

export interface RecordedCall {
  method: string;
  /** The arguments, without `token`. */
  args: SlackArgs;
  /** From `Authorization: Bearer ...`, or the `token` form/query field. */
  token: string | undefined;
  /** Date.now() when the request arrived. */
  at: number;
  /** How the body came: the real client sends "form" (or "multipart" for binary uploads). */
  encoding: "form" | "json" | "multipart" | "none";
  /** Set once the fake has answered. */
  status?: number;
  response?: SlackArgs;
  answeredAt?: number;
}

/** One write to a stored message, with its arrival time (for edit-rate assertions). */
export interface MessageWrite {
  method: string;
  at: number;
  /** The message text after this write. */
  text: string;
}

export interface FakeSlackMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  user: string;
  bot_id?: string;
  /** The final text: for streamed messages, the concatenation of every markdown_text sent. */
  text: string;
  blocks?: unknown[];
  metadata?: unknown;
  /** Streaming chunks other than markdown text (task_update, plan_update, blocks), in order. */
  chunks?: unknown[];
  /** "streaming" between chat.startStream and chat.stopStream, then "stopped"; absent for plain posts. */
  stream?: "streaming" | "stopped";
  /** Successful chat.update calls on this message. */
  edits: number;
  /** Every write: the post or startStream, each update, append and stop. */
  writes: MessageWrite[];
  edited?: { user: string; ts: string };
}

export interface EphemeralMessage {
  channel: string;
  user: string;
  text: string;
  blocks?: unknown[];
  thread_ts?: string;
  message_ts: string;
  at: number;
}

export interface ThreadStatus {
  channel_id: string;
  thread_ts: string;
  status: string;
  at: number;
}

/** What a slash command's response_url received. */
export interface ResponseUrlPost {
  id: string;
  /** The JSON posted: `{text, response_type, replace_original, delete_original, blocks, thread_ts, ...}`. */
  body: SlackArgs;
  at: number;
  /** The command the URL was issued for, when known. */
  context?: ResponseUrlContext;
}

export interface ResponseUrlContext {
  channel_id?: string;
  user_id?: string;
  command?: string;
}

export interface FakeSlackUser {
  id: string;
  name: string;
  real_name?: string;
  display_name?: string;
  is_bot?: boolean;
}

export interface FakeSlackApiOptions {
  /** Longest `text` chat.postMessage / chat.update accept before `msg_too_long`; Slack's is 40,000. */
  maxTextLength?: number;
  /** Longest `markdown_text` per stream call; Slack documents 12,000. */
  maxStreamTextLength?: number;
  /**
   * Slack refuses chat.startStream in a channel (not a DM) without `recipient_team_id` and
   * `recipient_user_id` (`missing_recipient_team_id` / `missing_recipient_user_id`). Default true.
   */
  requireStreamRecipients?: boolean;
  /** When set, any other bot token gets `invalid_auth`. */
  botToken?: string;
  /** When set, any other app-level token gets `invalid_auth`. */
  appToken?: string;
  /** Users known to users.info besides the bot; unknown ids get a generated profile. */
  users?: FakeSlackUser[];
}

export interface FailOptions {
  /** How many of the next calls fail; default 1 (Infinity for "from now on"). */
  times?: number;
  /** For "ratelimited": the Retry-After header in seconds; default 1. */
  retryAfter?: number;
  /** HTTP status; default 429 for "ratelimited", 200 otherwise (Slack answers errors with 200). */
  status?: number;
}

export interface FakeSlackScript {
  /** The next `times` calls to `method` answer `{ok:false, error}` (429 + Retry-After for "ratelimited"). */
  fail(method: string, error: string, options?: FailOptions): void;
  /**
   * The workspace cannot stream: chat.startStream / appendStream / stopStream answer
   * `{ok:false, error}`, "not_allowed_token_type" unless given (e.g. "unknown_method").
   */
  refuseStreaming(error?: string): void;
  allowStreaming(): void;
  /** Holds every call to `method` ("*" for all) for `ms` before answering. */
  delay(method: string, ms: number, options?: { times?: number }): void;
  /** Forgets every scripted failure, delay and streaming refusal. */
  clear(): void;
}

export type RouteHandler = (call: RecordedCall) => SlackArgs | Promise<SlackArgs>;

export interface FakeSlackApi {
  /** Web API base, e.g. `http://127.0.0.1:PORT/api/` (SLACK_API_URL / WebClient `slackApiUrl`). */
  url: string;
  /** Server origin, e.g. `http://127.0.0.1:PORT`. */
  origin: string;
  calls: RecordedCall[];
  callsTo(method: string): RecordedCall[];
  /**
   * Resolves with the first call (already answered, or answered later) that matches; a string
   * matches by method. Rejects after `timeoutMs` (default 5,000) listing the calls seen.
   */
  waitFor(predicate: string | ((call: RecordedCall) => boolean), timeoutMs?: number): Promise<RecordedCall>;
  script: FakeSlackScript;
  /** The stored messages of a channel (all of them) or of one thread (parent first), in ts order. */
  messagesIn(channel: string, threadTs?: string): FakeSlackMessage[];
  message(channel: string, ts: string): FakeSlackMessage | undefined;
  /** Stores a message as if a user (or another app) had posted it; `ts` defaults to a new one. */
  addMessage(message: {
    channel: string;
    user: string;
    text: string;
    ts?: string;
    thread_ts?: string;
    bot_id?: string;
    blocks?: unknown[];
  }): FakeSlackMessage;
  /** Edits or deletes a stored message the way a user's edit/delete would. */
  editMessage(channel: string, ts: string, text: string): void;
  deleteMessage(channel: string, ts: string): void;
  addUser(user: FakeSlackUser): void;
  /** Reaction names currently on a message (whether or not the message itself is stored). */
  reactionsOn(channel: string, ts: string): string[];
  ephemerals: EphemeralMessage[];
  statuses: ThreadStatus[];
  /** The last assistant.threads.setStatus status of a thread ("" once cleared). */
  statusOf(channel: string, threadTs: string): string | undefined;
  /** A new response_url on this server, as Slack puts in a slash command. */
  newResponseUrl(context?: ResponseUrlContext): string;
  responses: ResponseUrlPost[];
  waitForResponse(predicate?: (post: ResponseUrlPost) => boolean, timeoutMs?: number): Promise<ResponseUrlPost>;
  /** Adds or replaces a method; `appToken` methods want an `xapp-` token, like apps.connections.open. */
  route(method: string, handler: RouteHandler, options?: { appToken?: boolean }): void;
  /** Clears calls, messages, reactions, statuses, responses and the script; keeps routes and users. */
  reset(): void;
  stop(): Promise<void>;
}

const STREAM_METHODS = new Set(["chat.startStream", "chat.appendStream", "chat.stopStream"]);

/** Fields the client JSON-encodes inside a form body. */
const JSON_FIELDS = new Set([
  "blocks",
  "attachments",
  "chunks",
  "metadata",
  "unfurls",
  "user_auth_blocks",
  "view",
  "prompts",
  "loading_messages",
]);
/** Free-text fields that are never JSON even when they look like it. */
const TEXT_FIELDS = new Set(["text", "markdown_text", "status", "name", "username", "title", "query", "reason", "icon_emoji", "icon_url"]);

interface FailScript {
  error: string;
  remaining: number;
  retryAfter: number;
  status: number;
}

interface Answer {
  status: number;
  headers?: Record<string, string>;
  body: SlackArgs;
}

class SlackError extends Error {
  constructor(
    readonly code: string,
    readonly extra: SlackArgs = {},
  ) {
    super(code);
  }
}

export async function startFakeSlackApi(options: FakeSlackApiOptions = {}): Promise<FakeSlackApi> {
  const maxText = options.maxTextLength ?? 40_000;
  const maxStreamText = options.maxStreamTextLength ?? 12_000;
  const requireRecipients = options.requireStreamRecipients ?? true;

  const calls: RecordedCall[] = [];
  const callWaiters: Waiter<RecordedCall>[] = [];
  const messages = new Map<string, FakeSlackMessage>(); // key channel/ts
  const reactions = new Map<string, Map<string, Set<string>>>();
  const ephemerals: EphemeralMessage[] = [];
  const statuses: ThreadStatus[] = [];
  const responses: ResponseUrlPost[] = [];
  const responseWaiters: Waiter<ResponseUrlPost>[] = [];
  const responseContexts = new Map<string, ResponseUrlContext>();
  const users = new Map<string, FakeSlackUser>();
  const routes = new Map<string, { handler: RouteHandler; appToken: boolean }>();

  const failures = new Map<string, FailScript[]>();
  const delays = new Map<string, { ms: number; remaining: number }>();
  let streamingRefusal: string | undefined;

  const addUser = (user: FakeSlackUser) => users.set(user.id, user);
  addUser({ id: FAKE_SLACK.botUserId, name: FAKE_SLACK.botName, real_name: "Quorum", display_name: "Quorum", is_bot: true });
  for (const user of options.users ?? []) addUser(user);

  const key = (channel: string, ts: string) => `${channel}/${ts}`;

  // ---- messages ----------------------------------------------------------------------------

  function store(message: Omit<FakeSlackMessage, "edits" | "writes">, method: string): FakeSlackMessage {
    const stored: FakeSlackMessage = { ...message, edits: 0, writes: [{ method, at: Date.now(), text: message.text }] };
    messages.set(key(stored.channel, stored.ts), stored);
    return stored;
  }

  function messagesIn(channel: string, threadTs?: string): FakeSlackMessage[] {
    return [...messages.values()]
      .filter((m) => m.channel === channel && (threadTs === undefined || m.ts === threadTs || m.thread_ts === threadTs))
      .sort((a, b) => compareTs(a.ts, b.ts));
  }

  function repliesTo(channel: string, ts: string): FakeSlackMessage[] {
    return messagesIn(channel, ts).filter((m) => m.ts !== ts);
  }

  /** A stored message as Slack's history and replies methods return it. */
  function wire(m: FakeSlackMessage): SlackArgs {
    const out: SlackArgs = { type: "message", user: m.user, text: m.text, ts: m.ts, team: FAKE_SLACK.teamId };
    if (m.bot_id) {
      out.bot_id = m.bot_id;
      out.app_id = FAKE_SLACK.appId;
    }
    if (m.blocks) out.blocks = m.blocks;
    if (m.metadata) out.metadata = m.metadata;
    if (m.edited) out.edited = m.edited;
    const replies = m.thread_ts === undefined || m.thread_ts === m.ts ? repliesTo(m.channel, m.ts) : [];
    if (m.thread_ts) out.thread_ts = m.thread_ts;
    if (replies.length > 0) {
      out.thread_ts = m.ts;
      out.reply_count = replies.length;
      out.reply_users = [...new Set(replies.map((r) => r.user))];
      out.reply_users_count = (out.reply_users as string[]).length;
      out.latest_reply = replies.at(-1)?.ts;
    }
    const onIt = reactions.get(key(m.channel, m.ts));
    if (onIt && onIt.size > 0) {
      out.reactions = [...onIt].map(([name, who]) => ({ name, users: [...who], count: who.size }));
    }
    return out;
  }

  function botMessage(m: FakeSlackMessage): SlackArgs {
    return {
      ...wire(m),
      bot_profile: { id: FAKE_SLACK.botId, app_id: FAKE_SLACK.appId, name: FAKE_SLACK.botName, deleted: false, team_id: FAKE_SLACK.teamId },
    };
  }

  // ---- argument helpers --------------------------------------------------------------------

  const str = (args: SlackArgs, name: string): string | undefined => {
    const value = args[name];
    if (value === undefined || value === null || value === "") return undefined;
    return String(value);
  };
  const required = (args: SlackArgs, name: string, error: string): string => {
    const value = str(args, name);
    if (value === undefined) throw new SlackError(error);
    return value;
  };
  const arr = (args: SlackArgs, name: string): unknown[] | undefined => {
    const value = args[name];
    return Array.isArray(value) ? value : undefined;
  };

  function checkLength(text: string, limit: number) {
    if (text.length > limit) throw new SlackError("msg_too_long");
  }

  function ownMessage(channel: string, ts: string | undefined, notOwned: string): FakeSlackMessage {
    const found = ts === undefined ? undefined : messages.get(key(channel, ts));
    if (!found) throw new SlackError("message_not_found");
    if (found.user !== FAKE_SLACK.botUserId) throw new SlackError(notOwned);
    return found;
  }

  /** markdown_text plus the text of markdown_text chunks; other chunks are kept on the message. */
  function streamText(args: SlackArgs, into?: FakeSlackMessage): { text: string; other: unknown[] } {
    let text = str(args, "markdown_text") ?? "";
    const other: unknown[] = [];
    for (const chunk of arr(args, "chunks") ?? []) {
      const c = chunk as { type?: unknown; text?: unknown };
      if (c && c.type === "markdown_text" && typeof c.text === "string") text += c.text;
      else other.push(chunk);
    }
    checkLength(text, maxStreamText);
    if (into && other.length > 0) into.chunks = [...(into.chunks ?? []), ...other];
    return { text, other };
  }

  function paginate<T>(items: T[], args: SlackArgs, defaultLimit: number): { page: T[]; next: string } {
    const limit = Number(str(args, "limit") ?? defaultLimit) || defaultLimit;
    const cursor = str(args, "cursor");
    const start = cursor
      ? Number(
          Buffer.from(cursor, "base64")
            .toString("utf8")
            .replace(/^offset:/, ""),
        ) || 0
      : 0;
    const page = items.slice(start, start + limit);
    const next = start + limit < items.length ? Buffer.from(`offset:${start + limit}`).toString("base64") : "";
    return { page, next };
  }

  // ---- methods -----------------------------------------------------------------------------

  const methods: Record<string, (args: SlackArgs, call: RecordedCall) => SlackArgs> = {
    "api.test": (args) => ({ args }),

    "auth.test": () => ({
      url: `https://${FAKE_SLACK.teamDomain}.slack.com/`,
      team: FAKE_SLACK.teamName,
      user: FAKE_SLACK.botName,
      team_id: FAKE_SLACK.teamId,
      user_id: FAKE_SLACK.botUserId,
      bot_id: FAKE_SLACK.botId,
      is_enterprise_install: false,
    }),

    "chat.postMessage": (args) => {
      const channel = required(args, "channel", "channel_not_found");
      const blocks = arr(args, "blocks");
      const text = str(args, "text") ?? str(args, "markdown_text") ?? "";
      if (!text && !blocks && !arr(args, "attachments")) throw new SlackError("no_text");
      checkLength(text, maxText);
      const threadTs = str(args, "thread_ts");
      const stored = store(
        {
          channel,
          ts: nextTs(),
          ...(threadTs ? { thread_ts: threadTs } : {}),
          user: FAKE_SLACK.botUserId,
          bot_id: FAKE_SLACK.botId,
          text,
          ...(blocks ? { blocks } : {}),
          ...(args.metadata ? { metadata: args.metadata } : {}),
        },
        "chat.postMessage",
      );
      return { channel, ts: stored.ts, message: botMessage(stored) };
    },

    "chat.update": (args) => {
      const channel = required(args, "channel", "channel_not_found");
      const found = ownMessage(channel, str(args, "ts"), "cant_update_message");
      // Measured against the live API by others; Slack does not document it.
      if (found.stream === "streaming") throw new SlackError("streaming_state_conflict");
      const blocks = arr(args, "blocks");
      const text = str(args, "text") ?? str(args, "markdown_text");
      if (text === undefined && !blocks) throw new SlackError("no_text");
      if (text !== undefined) {
        checkLength(text, maxText);
        found.text = text;
      }
      if (blocks) found.blocks = blocks;
      found.edits += 1;
      found.edited = { user: FAKE_SLACK.botUserId, ts: nextTs() };
      found.writes.push({ method: "chat.update", at: Date.now(), text: found.text });
      return { channel, ts: found.ts, text: found.text, message: botMessage(found) };
    },

    "chat.delete": (args) => {
      const channel = required(args, "channel", "channel_not_found");
      const found = ownMessage(channel, str(args, "ts"), "cant_delete_message");
      messages.delete(key(channel, found.ts));
      return { channel, ts: found.ts };
    },

    "chat.postEphemeral": (args) => {
      const channel = required(args, "channel", "channel_not_found");
      const user = required(args, "user", "user_not_in_channel");
      const text = str(args, "text") ?? "";
      const blocks = arr(args, "blocks");
      if (!text && !blocks) throw new SlackError("no_text");
      checkLength(text, maxText);
      const threadTs = str(args, "thread_ts");
      const messageTs = nextTs();
      ephemerals.push({
        channel,
        user,
        text,
        ...(blocks ? { blocks } : {}),
        ...(threadTs ? { thread_ts: threadTs } : {}),
        message_ts: messageTs,
        at: Date.now(),
      });
      return { message_ts: messageTs };
    },

    "chat.startStream": (args) => {
      const channel = required(args, "channel", "channel_not_found");
      if (requireRecipients && !channel.startsWith("D")) {
        if (!str(args, "recipient_team_id")) throw new SlackError("missing_recipient_team_id");
        if (!str(args, "recipient_user_id")) throw new SlackError("missing_recipient_user_id");
      }
      const { text, other } = streamText(args);
      const threadTs = str(args, "thread_ts");
      const stored = store(
        {
          channel,
          ts: nextTs(),
          ...(threadTs ? { thread_ts: threadTs } : {}),
          user: FAKE_SLACK.botUserId,
          bot_id: FAKE_SLACK.botId,
          text,
          ...(other.length > 0 ? { chunks: other } : {}),
          stream: "streaming",
        },
        "chat.startStream",
      );
      return { channel, ts: stored.ts };
    },

    "chat.appendStream": (args) => {
      const channel = required(args, "channel", "channel_not_found");
      const found = ownMessage(channel, str(args, "ts"), "message_not_owned_by_app");
      if (found.stream !== "streaming") throw new SlackError("message_not_in_streaming_state");
      const { text } = streamText(args, found);
      found.text += text;
      found.writes.push({ method: "chat.appendStream", at: Date.now(), text: found.text });
      return { channel, ts: found.ts };
    },

    "chat.stopStream": (args) => {
      const channel = required(args, "channel", "channel_not_found");
      const found = ownMessage(channel, str(args, "ts"), "message_not_owned_by_app");
      if (found.stream !== "streaming") throw new SlackError("message_not_in_streaming_state");
      const { text } = streamText(args, found);
      found.text += text;
      const blocks = arr(args, "blocks");
      if (blocks) found.blocks = [...(found.blocks ?? []), ...blocks];
      if (args.metadata) found.metadata = args.metadata;
      found.stream = "stopped";
      found.writes.push({ method: "chat.stopStream", at: Date.now(), text: found.text });
      return { channel, ts: found.ts, message: botMessage(found) };
    },

    "conversations.replies": (args) => {
      const channel = required(args, "channel", "channel_not_found");
      const ts = required(args, "ts", "thread_not_found");
      const thread = messagesIn(channel, ts);
      if (thread.length === 0) throw new SlackError("thread_not_found");
      const { page, next } = paginate(thread, args, 1000);
      return { messages: page.map(wire), has_more: next !== "", response_metadata: { next_cursor: next } };
    },

    "conversations.history": (args) => {
      const channel = required(args, "channel", "channel_not_found");
      const top = messagesIn(channel)
        .filter((m) => m.thread_ts === undefined || m.thread_ts === m.ts)
        .reverse();
      const { page, next } = paginate(top, args, 100);
      return { messages: page.map(wire), has_more: next !== "", pin_count: 0, response_metadata: { next_cursor: next } };
    },

    "users.info": (args) => {
      const id = required(args, "user", "user_not_found");
      const user = users.get(id) ?? { id, name: id.toLowerCase(), real_name: `User ${id}` };
      const realName = user.real_name ?? user.name;
      return {
        user: {
          id: user.id,
          team_id: FAKE_SLACK.teamId,
          name: user.name,
          deleted: false,
          real_name: realName,
          tz: "Europe/London",
          is_bot: user.is_bot ?? false,
          is_app_user: false,
          profile: {
            real_name: realName,
            real_name_normalized: realName,
            display_name: user.display_name ?? user.name,
            display_name_normalized: user.display_name ?? user.name,
            team: FAKE_SLACK.teamId,
            ...(user.is_bot ? { bot_id: FAKE_SLACK.botId } : {}),
          },
        },
      };
    },

    "reactions.add": (args) => {
      const channel = required(args, "channel", "channel_not_found");
      const ts = required(args, "timestamp", "message_not_found");
      const name = required(args, "name", "invalid_name");
      const onIt = reactions.get(key(channel, ts)) ?? new Map<string, Set<string>>();
      reactions.set(key(channel, ts), onIt);
      const who = onIt.get(name) ?? new Set<string>();
      if (who.has(FAKE_SLACK.botUserId)) throw new SlackError("already_reacted");
      who.add(FAKE_SLACK.botUserId);
      onIt.set(name, who);
      return {};
    },

    "reactions.remove": (args) => {
      const channel = required(args, "channel", "channel_not_found");
      const ts = required(args, "timestamp", "message_not_found");
      const name = required(args, "name", "invalid_name");
      const who = reactions.get(key(channel, ts))?.get(name);
      if (!who || !who.delete(FAKE_SLACK.botUserId)) throw new SlackError("no_reaction");
      if (who.size === 0) reactions.get(key(channel, ts))?.delete(name);
      return {};
    },

    "assistant.threads.setStatus": (args) => {
      const channelId = required(args, "channel_id", "channel_not_found");
      const threadTs = required(args, "thread_ts", "invalid_arguments");
      statuses.push({ channel_id: channelId, thread_ts: threadTs, status: str(args, "status") ?? "", at: Date.now() });
      return {};
    },
  };

  // ---- HTTP ---------------------------------------------------------------------------------

  function tokenError(method: string, token: string | undefined, appTokenMethod: boolean): string | undefined {
    if (method === "api.test") return undefined;
    if (!token) return "not_authed";
    if (!/^xox[bpae]-|^xapp-/.test(token)) return "invalid_auth";
    const isApp = token.startsWith("xapp-");
    if (appTokenMethod !== isApp) return "not_allowed_token_type";
    if (isApp && options.appToken && token !== options.appToken) return "invalid_auth";
    if (token.startsWith("xoxb-") && options.botToken && token !== options.botToken) return "invalid_auth";
    return undefined;
  }

  async function answer(call: RecordedCall): Promise<Answer> {
    const delay = delays.get(call.method) ?? delays.get("*");
    if (delay && delay.remaining > 0) {
      delay.remaining -= 1;
      await new Promise((resolve) => setTimeout(resolve, delay.ms));
    }
    const queue = failures.get(call.method);
    const failure = queue?.[0];
    if (queue && failure) {
      failure.remaining -= 1;
      if (failure.remaining <= 0) queue.shift();
      const headers: Record<string, string> = failure.error === "ratelimited" ? { "Retry-After": String(failure.retryAfter) } : {};
      return { status: failure.status, headers, body: { ok: false, error: failure.error } };
    }
    if (streamingRefusal && STREAM_METHODS.has(call.method)) {
      return { status: 200, body: { ok: false, error: streamingRefusal } };
    }
    const route = routes.get(call.method);
    const builtin = methods[call.method];
    if (!route && !builtin) return { status: 200, body: { ok: false, error: "unknown_method", req_method: call.method } };
    const denied = tokenError(call.method, call.token, route?.appToken ?? false);
    if (denied) return { status: 200, body: { ok: false, error: denied } };
    try {
      const body = route ? await route.handler(call) : builtin!(call.args, call);
      return { status: 200, body: { ok: true, ...body } };
    } catch (error) {
      if (error instanceof SlackError) return { status: 200, body: { ok: false, error: error.code, ...error.extra } };
      return { status: 200, body: { ok: false, error: "internal_error", detail: String(error) } };
    }
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, method: string, url: URL, at: number) {
    const raw = await readBody(req);
    const contentType = String(req.headers["content-type"] ?? "").toLowerCase();
    const args: SlackArgs = {};
    for (const [name, value] of url.searchParams) args[name] = decodeField(name, value);
    let encoding: RecordedCall["encoding"] = "none";
    let bodyToken: string | undefined;
    if (contentType.startsWith("application/json")) {
      encoding = "json";
      try {
        if (raw.length > 0) Object.assign(args, JSON.parse(raw) as SlackArgs);
      } catch {
        return send(res, 200, {}, { ok: false, error: "invalid_json" });
      }
      delete args.token; // Slack ignores a token in a JSON body: it must come as a header
    } else if (contentType.startsWith("multipart/form-data")) {
      encoding = "multipart";
    } else if (contentType.startsWith("application/x-www-form-urlencoded") || raw.length > 0) {
      encoding = "form";
      for (const [name, value] of new URLSearchParams(raw)) args[name] = decodeField(name, value);
    }
    if (typeof args.token === "string") bodyToken = args.token;
    delete args.token;
    const header = String(req.headers.authorization ?? "");
    const token = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim() ?? bodyToken;
    const call: RecordedCall = { method, args, token, at, encoding };
    calls.push(call);
    const result = await answer(call);
    call.status = result.status;
    call.response = result.body;
    call.answeredAt = Date.now();
    send(res, result.status, result.headers ?? {}, result.body);
    notify(callWaiters, call);
  }

  async function handleResponseUrl(req: IncomingMessage, res: ServerResponse, id: string, at: number) {
    const raw = await readBody(req);
    let body: SlackArgs;
    try {
      const contentType = String(req.headers["content-type"] ?? "");
      if (contentType.includes("json")) body = JSON.parse(raw) as SlackArgs;
      else {
        const payload = new URLSearchParams(raw).get("payload");
        body = payload ? (JSON.parse(payload) as SlackArgs) : Object.fromEntries(new URLSearchParams(raw));
      }
    } catch {
      return send(res, 400, { "content-type": "text/plain" }, "invalid_payload");
    }
    const context = responseContexts.get(id);
    const post: ResponseUrlPost = { id, body, at, ...(context ? { context } : {}) };
    responses.push(post);
    // An in_channel response becomes a real message in the channel, visible in its history.
    if (body.response_type === "in_channel" && context?.channel_id) {
      const threadTs = typeof body.thread_ts === "string" ? body.thread_ts : undefined;
      store(
        {
          channel: context.channel_id,
          ts: nextTs(),
          ...(threadTs ? { thread_ts: threadTs } : {}),
          user: FAKE_SLACK.botUserId,
          bot_id: FAKE_SLACK.botId,
          text: typeof body.text === "string" ? body.text : "",
          ...(Array.isArray(body.blocks) ? { blocks: body.blocks } : {}),
        },
        "response_url",
      );
    }
    send(res, 200, {}, { ok: true });
    notify(responseWaiters, post);
  }

  const server = createServer((req, res) => {
    const at = Date.now();
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const apiMatch = /^\/api\/([A-Za-z0-9_.]+)$/.exec(url.pathname);
    const responseMatch = /^\/response\/([A-Za-z0-9_-]+)$/.exec(url.pathname);
    const work = apiMatch
      ? handleApi(req, res, apiMatch[1]!, url, at)
      : responseMatch && req.method === "POST"
        ? handleResponseUrl(req, res, responseMatch[1]!, at)
        : Promise.resolve(send(res, 404, { "content-type": "text/plain" }, "not found"));
    work.catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { "content-type": "text/plain" }, String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;

  const script: FakeSlackScript = {
    fail(method, error, opts = {}) {
      const queue = failures.get(method) ?? [];
      queue.push({
        error,
        remaining: opts.times ?? 1,
        retryAfter: opts.retryAfter ?? 1,
        status: opts.status ?? (error === "ratelimited" ? 429 : 200),
      });
      failures.set(method, queue);
    },
    refuseStreaming(error = "not_allowed_token_type") {
      streamingRefusal = error;
    },
    allowStreaming() {
      streamingRefusal = undefined;
    },
    delay(method, ms, opts = {}) {
      delays.set(method, { ms, remaining: opts.times ?? Number.POSITIVE_INFINITY });
    },
    clear() {
      failures.clear();
      delays.clear();
      streamingRefusal = undefined;
    },
  };

  return {
    url: `${origin}/api/`,
    origin,
    calls,
    callsTo: (method) => calls.filter((call) => call.method === method),
    waitFor(predicate, timeoutMs = 5_000) {
      const test = typeof predicate === "string" ? (call: RecordedCall) => call.method === predicate : predicate;
      return waitOn(
        callWaiters,
        calls.filter((call) => call.response !== undefined),
        test,
        timeoutMs,
        () =>
          `no matching Slack call within ${timeoutMs} ms; calls seen: ${calls.map((c) => `${c.method}→${String(c.response?.error ?? (c.response ? "ok" : "pending"))}`).join(", ") || "none"}`,
      );
    },
    script,
    messagesIn,
    message: (channel, ts) => messages.get(key(channel, ts)),
    addMessage(message) {
      const { ts, thread_ts: threadTs, bot_id: botId, blocks, ...rest } = message;
      return store(
        {
          ...rest,
          ts: ts ?? nextTs(),
          ...(threadTs ? { thread_ts: threadTs } : {}),
          ...(botId ? { bot_id: botId } : {}),
          ...(blocks ? { blocks } : {}),
        },
        "seed",
      );
    },
    editMessage(channel, ts, text) {
      const found = messages.get(key(channel, ts));
      if (!found) return;
      found.text = text;
      found.edited = { user: found.user, ts: nextTs() };
      found.writes.push({ method: "user.edit", at: Date.now(), text });
    },
    deleteMessage(channel, ts) {
      messages.delete(key(channel, ts));
    },
    addUser,
    reactionsOn: (channel, ts) => [...(reactions.get(key(channel, ts))?.keys() ?? [])],
    ephemerals,
    statuses,
    statusOf(channel, threadTs) {
      return statuses.filter((s) => s.channel_id === channel && s.thread_ts === threadTs).at(-1)?.status;
    },
    newResponseUrl(context) {
      const id = slackId("R").toLowerCase();
      if (context) responseContexts.set(id, context);
      return `${origin}/response/${id}`;
    },
    responses,
    waitForResponse(predicate = () => true, timeoutMs = 5_000) {
      return waitOn(
        responseWaiters,
        responses,
        predicate,
        timeoutMs,
        () => `no matching response_url post within ${timeoutMs} ms (${responses.length} seen)`,
      );
    },
    route(method, handler, opts = {}) {
      routes.set(method, { handler, appToken: opts.appToken ?? false });
    },
    reset() {
      calls.length = 0;
      messages.clear();
      reactions.clear();
      ephemerals.length = 0;
      statuses.length = 0;
      responses.length = 0;
      script.clear();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function decodeField(name: string, value: string): unknown {
  if (TEXT_FIELDS.has(name)) return value;
  if (JSON_FIELDS.has(name)) {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  }
  // Any other object or array argument is JSON-encoded by the client too.
  const looksJson = (value.startsWith("[") && value.endsWith("]")) || (value.startsWith("{") && value.endsWith("}"));
  if (!looksJson) return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(text);
}

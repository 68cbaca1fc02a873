import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { APIApplication, APIEmbed, APIGatewayBotInfo, ApplicationFlags, RESTError, RESTRateLimit } from "discord-api-types/v10";
import { notify, type Waiter, waitOn } from "../slack/wait.js";
import { FAKE_DISCORD, snowflake } from "./ids.js";
import { applicationFlags, botUser, mentionsIn } from "./payloads.js";
import type { DiscordWorld, FakeDiscordMessage, FakeInteraction } from "./store.js";

/**
 * A fake Discord REST API (v10) on loopback, for the routes the bot uses, answering in Discord's
 * documented shapes and changing the shared DiscordWorld. Every call is recorded with its arrival
 * time; a test can script 429s on a route the way Discord sends them.
 */

export interface RecordedRequest {
  /** The route's name, e.g. "PATCH /channels/:channel/messages/:message" ("unknown" when none matched). */
  route: string;
  method: string;
  /** The path after `/api/v10`, its segments decoded. */
  path: string;
  params: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
  /** The `Authorization` header, e.g. `Bot <token>`. */
  authorization: string | undefined;
  /** Date.now() when the request arrived. */
  at: number;
  /** Set once the fake has answered. */
  status?: number;
  response?: unknown;
}

export interface RateLimitScript {
  /** How many of the next calls answer 429; default 1. */
  times?: number;
  /** Seconds, as in `retry_after` (a float in the body, rounded up in `Retry-After`); default 1. */
  retryAfter?: number;
  /** A global limit (`X-RateLimit-Global`, `global: true`) instead of the route's bucket. */
  global?: boolean;
}

export interface FakeDiscordRestOptions {
  /** Privileged intents switched on in the developer portal (bits of PRIVILEGED_INTENTS); reported in the application's flags. */
  allowedPrivilegedIntents: number;
  /** The gateway URL GET /gateway/bot returns. */
  gatewayUrl: () => string;
  /** Called with what Discord would push over the gateway after a REST change (MESSAGE_CREATE, THREAD_CREATE, ...). */
  dispatch: (event: string, data: unknown) => void;
}

export interface FakeDiscordRest {
  /** The REST base the bot is given (DISCORD_API_URL), e.g. `http://127.0.0.1:PORT/api`; the client adds `/v10`. */
  apiUrl: string;
  /** The HTTP server, which the gateway shares for its WebSocket upgrades. */
  server: Server;
  calls: RecordedRequest[];
  callsTo(route: string): RecordedRequest[];
  /** The first answered call (now or later) matching; a string matches by route name. Rejects after `timeoutMs` (default 5,000). */
  waitFor(predicate: string | ((call: RecordedRequest) => boolean), timeoutMs?: number): Promise<RecordedRequest>;
  /** The next calls to `route` answer 429 with Discord's body and headers. */
  rateLimit(route: string, script?: RateLimitScript): void;
  reset(): void;
  stop(): Promise<void>;
}

type Answer = { status: number; body?: unknown; headers?: Record<string, string> };
type Handler = (call: RecordedRequest) => Answer;

class DiscordError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startFakeDiscordRest(world: DiscordWorld, options: FakeDiscordRestOptions): Promise<FakeDiscordRest> {
  const calls: RecordedRequest[] = [];
  const waiters: Waiter<RecordedRequest>[] = [];
  const limits = new Map<string, Required<RateLimitScript>[]>();
  const bot = botUser();

  const ok = (body?: unknown, status = 200): Answer => (body === undefined ? { status: 204 } : { status, body });
  const param = (call: RecordedRequest, name: string) => call.params[name]!;

  const channelOr404 = (id: string) => {
    const channel = world.channel(id);
    if (!channel) throw new DiscordError(404, 10003, "Unknown Channel");
    return channel;
  };
  const ownMessage = (channelId: string, messageId: string): FakeDiscordMessage => {
    const message = world.messages.get(messageId);
    if (!message || message.deleted || message.channel_id !== channelId) throw new DiscordError(404, 10008, "Unknown Message");
    if (message.author.id !== bot.id) throw new DiscordError(403, 50005, "Cannot edit a message authored by another user");
    return message;
  };
  const interactionOr404 = (id: string, token: string): FakeInteraction => {
    const interaction = world.interactions.get(id);
    if (!interaction || interaction.token !== token) throw new DiscordError(404, 10062, "Unknown interaction");
    return interaction;
  };
  const webhookInteraction = (app: string, token: string): FakeInteraction => {
    const interaction = [...world.interactions.values()].find((i) => i.token === token && i.application_id === app);
    if (!interaction) throw new DiscordError(404, 10015, "Unknown Webhook");
    return interaction;
  };

  /** Content as Discord checks it: at most 2,000 characters, and a message needs something in it. */
  const content = (body: unknown, required: boolean): { content?: string; embeds?: APIEmbed[]; flags?: number } => {
    const fields = (body ?? {}) as { content?: unknown; embeds?: unknown; flags?: unknown };
    const text = typeof fields.content === "string" ? fields.content : undefined;
    const embeds = Array.isArray(fields.embeds) ? (fields.embeds as APIEmbed[]) : undefined;
    if (text !== undefined && text.length > 2_000)
      throw new DiscordError(400, 50035, "Invalid Form Body: content: Must be 2000 or fewer in length.");
    if (required && !text && !embeds?.length) throw new DiscordError(400, 50006, "Cannot send an empty message");
    return {
      ...(text !== undefined ? { content: text } : {}),
      ...(embeds ? { embeds } : {}),
      ...(typeof fields.flags === "number" ? { flags: fields.flags } : {}),
    };
  };

  const edit = (message: FakeDiscordMessage, fields: { content?: string; embeds?: APIEmbed[] }) => {
    if (fields.content !== undefined) message.content = fields.content;
    if (fields.embeds) message.embeds = fields.embeds;
    message.edited_timestamp = new Date().toISOString();
    message.edits.push({ content: message.content, at: Date.now(), ...(fields.embeds ? { embeds: fields.embeds } : {}) });
  };

  const postBotMessage = (
    channelId: string,
    fields: { content?: string; embeds?: APIEmbed[] },
    extra: Partial<FakeDiscordMessage> = {},
  ) => {
    const channel = channelOr404(channelId);
    const stored = world.storeMessage({
      id: snowflake(),
      channel_id: channelId,
      ...(channel.guild_id ? { guild_id: channel.guild_id } : {}),
      author: bot,
      content: fields.content ?? "",
      embeds: fields.embeds ?? [],
      components: [],
      attachments: [],
      flags: 0,
      type: 0,
      mentions: mentionsIn(fields.content ?? ""),
      source: "rest",
      ephemeral: false,
      ...extra,
    });
    return stored;
  };

  /** Discord pushes the bot's own new messages back to it over the gateway, like anyone's. */
  const echo = (message: FakeDiscordMessage) => {
    if (message.ephemeral) return;
    const channel = world.channel(message.channel_id);
    options.dispatch("MESSAGE_CREATE", {
      ...world.messagePayload(message),
      ...(message.guild_id
        ? { guild_id: message.guild_id, member: { roles: [], joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0 } }
        : {}),
      channel_type: channel?.type ?? 0,
    });
  };

  const interactionMessage = (
    interaction: FakeInteraction,
    fields: { content?: string; embeds?: APIEmbed[]; flags?: number },
    loading: boolean,
  ) => {
    const ephemeral = ((fields.flags ?? 0) & 64) !== 0;
    return postBotMessage(interaction.channel_id, fields, {
      type: 20,
      flags: (ephemeral ? 64 : 0) | (loading ? 128 : 0),
      ephemeral,
      source: "interaction",
      webhook_id: interaction.application_id,
      application_id: interaction.application_id,
      interaction: { id: interaction.id, name: interaction.name, user: interaction.user },
    });
  };

  const application = (): APIApplication => ({
    id: FAKE_DISCORD.applicationId,
    name: FAKE_DISCORD.applicationName,
    icon: null,
    description: "",
    bot_public: false,
    bot_require_code_grant: false,
    bot,
    summary: "",
    verify_key: "0".repeat(64),
    team: null,
    flags: applicationFlags(options.allowedPrivilegedIntents) as ApplicationFlags,
    flags_new: String(applicationFlags(options.allowedPrivilegedIntents)),
  });

  // "bot" routes want `Authorization: Bot <token>`; "token" routes are authorised by the interaction token in their path.
  const routes: { name: string; pattern: RegExp; auth: "bot" | "token"; handle: Handler }[] = [];
  const route = (name: string, auth: "bot" | "token", handle: Handler) => {
    const [, path] = name.split(" ");
    const pattern = new RegExp(`^${path!.replace(/[@]/g, "\\$&").replace(/:(\w+)/g, "(?<$1>[^/]+)")}$`);
    routes.push({ name, pattern, auth, handle });
  };

  route("GET /gateway/bot", "bot", () =>
    ok({
      url: options.gatewayUrl(),
      shards: 1,
      session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 },
    } satisfies APIGatewayBotInfo),
  );
  route("GET /users/@me", "bot", () => ok(bot));
  route("GET /applications/@me", "bot", () => ok(application()));
  route("GET /oauth2/applications/@me", "bot", () => ok(application()));

  const commandScope = (call: RecordedRequest) => {
    if (param(call, "app") !== FAKE_DISCORD.applicationId) throw new DiscordError(403, 50001, "Missing Access");
    const guild = call.params.guild;
    if (guild !== undefined && !world.guild(guild)) throw new DiscordError(404, 10004, "Unknown Guild");
    return guild ?? "global";
  };
  const overwrite: Handler = (call) => {
    if (!Array.isArray(call.body)) throw new DiscordError(400, 50035, "Invalid Form Body");
    return ok(world.overwriteCommands(commandScope(call), call.body as Record<string, unknown>[]));
  };
  route("PUT /applications/:app/commands", "bot", overwrite);
  route("PUT /applications/:app/guilds/:guild/commands", "bot", overwrite);
  route("GET /applications/:app/commands", "bot", (call) => ok(world.commandsIn(commandScope(call))));
  route("GET /applications/:app/guilds/:guild/commands", "bot", (call) => ok(world.commandsIn(commandScope(call))));

  route("GET /channels/:channel", "bot", (call) => ok(world.channelPayload(channelOr404(param(call, "channel")))));
  route("POST /channels/:channel/typing", "bot", (call) => {
    channelOr404(param(call, "channel"));
    return ok();
  });
  route("POST /channels/:channel/messages", "bot", (call) => {
    const stored = postBotMessage(param(call, "channel"), content(call.body, true));
    echo(stored);
    return ok(world.messagePayload(stored));
  });
  route("PATCH /channels/:channel/messages/:message", "bot", (call) => {
    const message = ownMessage(param(call, "channel"), param(call, "message"));
    edit(message, content(call.body, false));
    return ok(world.messagePayload(message));
  });
  route("POST /channels/:channel/messages/:message/threads", "bot", (call) => {
    const parent = channelOr404(param(call, "channel"));
    const starter = world.messages.get(param(call, "message"));
    if (!starter || starter.channel_id !== parent.id) throw new DiscordError(404, 10008, "Unknown Message");
    if (parent.kind !== "text") throw new DiscordError(400, 50024, "Cannot execute action on this channel type");
    if (world.channel(starter.id)) throw new DiscordError(400, 160004, "A thread has already been created for this message");
    const body = (call.body ?? {}) as { name?: unknown; auto_archive_duration?: unknown };
    const name = typeof body.name === "string" ? body.name : "";
    if (name.length < 1 || name.length > 100)
      throw new DiscordError(400, 50035, "Invalid Form Body: name: Must be between 1 and 100 in length.");
    const duration = [60, 1440, 4320, 10080].includes(Number(body.auto_archive_duration))
      ? (Number(body.auto_archive_duration) as 60 | 1440 | 4320 | 10080)
      : 1440;
    const thread = world.addThread({
      id: starter.id,
      name,
      parent_id: parent.id,
      owner_id: bot.id,
      auto_archive_duration: duration,
      starter_message_id: starter.id,
    });
    starter.thread_id = thread.id;
    starter.flags |= 32; // HAS_THREAD
    const payload = world.threadPayload(thread);
    options.dispatch("THREAD_CREATE", { ...payload, newly_created: true });
    return ok(payload, 201);
  });

  route("POST /interactions/:interaction/:token/callback", "token", (call) => {
    const interaction = interactionOr404(param(call, "interaction"), param(call, "token"));
    if (interaction.response) throw new DiscordError(400, 40060, "Interaction has already been acknowledged.");
    // The initial response must come within 3 seconds of the interaction.
    if (Date.now() - interaction.dispatchedAt > 3_000) throw new DiscordError(404, 10062, "Unknown interaction");
    const { type, data } = (call.body ?? {}) as { type?: unknown; data?: Record<string, unknown> };
    if (type !== 4 && type !== 5) throw new DiscordError(400, 50035, "Invalid Form Body: type");
    interaction.response = { type, at: Date.now(), ...(data ? { data } : {}) };
    const message = interactionMessage(interaction, content(data, type === 4), type === 5);
    interaction.originalMessageId = message.id;
    if (call.query.with_response !== "true") return ok();
    return ok({ interaction: { id: interaction.id, type: 2 }, resource: { type, message: world.messagePayload(message) } });
  });
  const original = (call: RecordedRequest) => {
    const interaction = webhookInteraction(param(call, "app"), param(call, "token"));
    const message = interaction.originalMessageId ? world.messages.get(interaction.originalMessageId) : undefined;
    if (!message) throw new DiscordError(404, 10008, "Unknown Message");
    return message;
  };
  route("GET /webhooks/:app/:token/messages/@original", "token", (call) => ok(world.messagePayload(original(call))));
  route("PATCH /webhooks/:app/:token/messages/@original", "token", (call) => {
    const message = original(call);
    message.flags &= ~128; // no longer "thinking…"
    edit(message, content(call.body, false));
    return ok(world.messagePayload(message));
  });
  route("POST /webhooks/:app/:token", "token", (call) => {
    const interaction = webhookInteraction(param(call, "app"), param(call, "token"));
    if (!interaction.response) throw new DiscordError(404, 10015, "Unknown Webhook");
    const message = interactionMessage(interaction, content(call.body, true), false);
    interaction.followUps.push(message.id);
    echo(message);
    return call.query.wait === "true" ? ok(world.messagePayload(message)) : ok();
  });
  route("PATCH /webhooks/:app/:token/messages/:message", "token", (call) => {
    const interaction = webhookInteraction(param(call, "app"), param(call, "token"));
    const message = world.messages.get(param(call, "message"));
    if (!message || (message.id !== interaction.originalMessageId && !interaction.followUps.includes(message.id)))
      throw new DiscordError(404, 10008, "Unknown Message");
    edit(message, content(call.body, false));
    return ok(world.messagePayload(message));
  });

  const answer = (call: RecordedRequest, authorization: string | undefined): Answer => {
    const method = call.method;
    for (const r of routes) {
      if (!r.name.startsWith(`${method} `)) continue;
      const match = r.pattern.exec(call.path);
      if (!match) continue;
      call.route = r.name;
      call.params = { ...match.groups };
      const scripted = limits.get(r.name)?.[0];
      if (scripted) {
        scripted.times -= 1;
        if (scripted.times <= 0) limits.get(r.name)!.shift();
        return rateLimited(r.name, scripted);
      }
      if (r.auth === "bot" && authorization !== `Bot ${FAKE_DISCORD.token}`)
        return { status: 401, body: { message: "401: Unauthorized", code: 0 } satisfies RESTError };
      try {
        return r.handle(call);
      } catch (error) {
        if (!(error instanceof DiscordError)) throw error;
        return { status: error.status, body: { message: error.message, code: error.code } satisfies RESTError };
      }
    }
    return { status: 404, body: { message: "404: Not Found", code: 0 } satisfies RESTError };
  };

  const server = createServer((req, res) => void serve(req, res));
  async function serve(req: IncomingMessage, res: ServerResponse) {
    const at = Date.now();
    const url = new URL(req.url ?? "/", "http://fake");
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const call: RecordedRequest = {
      route: "unknown",
      method: req.method ?? "GET",
      // The client percent-encodes segments (`%40original`, tokens with `:`).
      path: url.pathname
        .replace(/^\/api\/v10/, "")
        .split("/")
        .map(decodeURIComponent)
        .join("/"),
      params: {},
      query: Object.fromEntries(url.searchParams),
      body: raw === "" ? undefined : safeJson(raw),
      authorization: req.headers.authorization,
      at,
    };
    calls.push(call);
    const result = url.pathname.startsWith("/api/v10/")
      ? answer(call, req.headers.authorization)
      : { status: 404, body: { message: "404: Not Found", code: 0 } };
    call.status = result.status;
    call.response = result.body;
    res.writeHead(result.status, { ...(result.body === undefined ? {} : { "content-type": "application/json" }), ...result.headers });
    res.end(result.body === undefined ? undefined : JSON.stringify(result.body));
    notify(waiters, call);
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    apiUrl: `http://127.0.0.1:${port}/api`,
    server,
    calls,
    callsTo: (name) => calls.filter((call) => call.route === name),
    waitFor(predicate, timeoutMs = 5_000) {
      const test = typeof predicate === "string" ? (call: RecordedRequest) => call.route === predicate : predicate;
      return waitOn(
        waiters,
        calls.filter((c) => c.status !== undefined),
        test,
        timeoutMs,
        () => `no matching Discord REST call; saw: ${calls.map((c) => `${c.method} ${c.path} → ${c.status}`).join(", ")}`,
      );
    },
    rateLimit(name, script = {}) {
      if (!routes.some((r) => r.name === name)) throw new Error(`the fake has no route ${name}`);
      limits.set(name, [
        ...(limits.get(name) ?? []),
        { times: script.times ?? 1, retryAfter: script.retryAfter ?? 1, global: script.global ?? false },
      ]);
    },
    reset() {
      calls.length = 0;
      limits.clear();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A 429 as Discord documents it: `retry_after` in the body, `Retry-After` and the `X-RateLimit-*` headers. */
function rateLimited(route: string, script: Required<RateLimitScript>): Answer {
  const body: RESTRateLimit = { message: "You are being rate limited.", retry_after: script.retryAfter, global: script.global };
  const headers: Record<string, string> = {
    "Retry-After": String(Math.ceil(script.retryAfter)),
    "X-RateLimit-Scope": script.global ? "global" : "user",
  };
  if (script.global) headers["X-RateLimit-Global"] = "true";
  else
    Object.assign(headers, {
      "X-RateLimit-Limit": "5",
      "X-RateLimit-Remaining": "0",
      "X-RateLimit-Reset": ((Date.now() + script.retryAfter * 1000) / 1000).toFixed(3),
      "X-RateLimit-Reset-After": script.retryAfter.toFixed(3),
      "X-RateLimit-Bucket": Buffer.from(route).toString("hex").slice(0, 32),
    });
  return { status: 429, body, headers };
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

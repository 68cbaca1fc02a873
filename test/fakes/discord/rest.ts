import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { APIAttachment } from "discord-api-types/v10";
import type { FileRequest } from "../file-host.js";
import { notify, type Waiter, waitOn } from "../slack/wait.js";
import { applicationRoutes } from "./rest/application.js";
import { DiscordAttachments, type HostAttachmentInput } from "./rest/attachments.js";
import { BotMessages } from "./rest/bot-messages.js";
import { channelRoutes } from "./rest/channels.js";
import { interactionRoutes } from "./rest/interactions.js";
import { type RateLimitScript, RateLimits } from "./rest/rate-limits.js";
import { notFound, type RecordedRequest, RestRouter } from "./rest/router.js";
import type { DiscordWorld } from "./store.js";

export type { HostAttachmentInput } from "./rest/attachments.js";
export type { RateLimitScript } from "./rest/rate-limits.js";
export type { RecordedRequest } from "./rest/router.js";

/**
 * A fake Discord REST API (v10) on loopback, for the routes the bot uses, answering in Discord's
 * documented shapes and changing the shared DiscordWorld. Every call is recorded with its arrival
 * time; a test can script 429s on a route the way Discord sends them.
 *
 * The routes are under rest/: the bot's application and commands, channels and messages,
 * interactions; rest/router.ts matches and authorises them, rest/rate-limits.ts scripts 429s.
 */

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
  /**
   * Hosts a file on this server as Discord's CDN would (`url` and `proxy_url`, signed query and
   * all) and returns its attachment object, to put in a message's `attachments`.
   */
  hostAttachment(input: HostAttachmentInput): APIAttachment;
  /** Requests for hosted attachments, in arrival order. */
  fileRequests: FileRequest[];
  /** The next calls to `route` answer 429 with Discord's body and headers. */
  rateLimit(route: string, script?: RateLimitScript): void;
  reset(): void;
  stop(): Promise<void>;
}

export async function startFakeDiscordRest(world: DiscordWorld, options: FakeDiscordRestOptions): Promise<FakeDiscordRest> {
  const calls: RecordedRequest[] = [];
  const waiters: Waiter<RecordedRequest>[] = [];
  const limits = new RateLimits();
  const router = new RestRouter((route) => limits.take(route));
  const messages = new BotMessages(world, options.dispatch);
  applicationRoutes(router, world, messages.bot, options);
  channelRoutes(router, world, messages, options.dispatch);
  interactionRoutes(router, world, messages);

  let origin = "";
  const attachments = new DiscordAttachments(() => origin);
  const server = createServer((req, res) => void serve(req, res));
  async function serve(req: IncomingMessage, res: ServerResponse) {
    const at = Date.now();
    const url = new URL(req.url ?? "/", "http://fake");
    if (url.pathname.startsWith("/attachments/")) return attachments.host.serve(req, res, url.pathname);
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
    const result = url.pathname.startsWith("/api/v10/") ? router.answer(call) : notFound();
    call.status = result.status;
    call.response = result.body;
    res.writeHead(result.status, { ...(result.body === undefined ? {} : { "content-type": "application/json" }), ...result.headers });
    res.end(result.body === undefined ? undefined : JSON.stringify(result.body));
    notify(waiters, call);
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;

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
    hostAttachment: (input) => attachments.add(input),
    fileRequests: attachments.host.requests,
    rateLimit(name, script = {}) {
      if (!router.has(name)) throw new Error(`the fake has no route ${name}`);
      limits.add(name, script);
    },
    reset() {
      calls.length = 0;
      limits.clear();
      attachments.host.clear();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

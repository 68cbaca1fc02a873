import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { GatewayCloseCodes, GatewayIntentBits, GatewayOpcodes } from "discord-api-types/v10";
import { type RawData, WebSocket, WebSocketServer } from "ws";
import { notify, type Waiter, waitOn } from "../slack/wait.js";
import { FAKE_DISCORD, sessionId } from "./ids.js";
import { applicationFlags, readyPayload } from "./payloads.js";
import type { DiscordWorld } from "./store.js";

/**
 * A fake Discord gateway (v10, JSON, uncompressed) speaking the documented protocol: HELLO,
 * heartbeats and their ACKs, IDENTIFY → READY and one GUILD_CREATE per guild, RESUME → replay
 * of what the session missed and RESUMED, sequence numbers, close codes and INVALID_SESSION.
 * It shares the REST fake's HTTP server: `/gateway` for new sessions, `/resume` for the
 * `resume_gateway_url` that READY hands out, so a test can tell which one the client used.
 */

/** A payload the client sent, with its arrival time. */
export interface ReceivedPayload {
  op: number;
  d: unknown;
  at: number;
  /** Index into `connections`. */
  connection: number;
}

export interface GatewayConnectionRecord {
  path: string;
  query: Record<string, string>;
  openedAt: number;
  /** The session it identified or resumed. */
  sessionId?: string;
  closedAt?: number;
  closeCode?: number;
  /** Who closed it. */
  closedBy?: "client" | "fake";
}

interface SentDispatch {
  s: number;
  t: string;
  d: unknown;
}

interface Session {
  id: string;
  seq: number;
  intents: number;
  /** Every dispatch, for replay on RESUME. */
  history: SentDispatch[];
  socket?: WebSocket;
  /** False once the client closed with 1000/1001 or the fake invalidated it. */
  resumable: boolean;
}

export interface FakeGatewayOptions {
  /** HELLO's heartbeat_interval in ms; Discord's is about 41,250. */
  heartbeatIntervalMs?: number;
  /** Privileged intents switched on in the developer portal; asking for others closes with 4014. */
  allowedPrivilegedIntents: number;
}

export interface FakeGateway {
  /** What GET /gateway/bot returns, e.g. `ws://127.0.0.1:PORT/gateway`. */
  url: string;
  resumeUrl: string;
  received: ReceivedPayload[];
  connections: GatewayConnectionRecord[];
  /** Resolves with the first payload (now or later) the client sent with `op`. */
  waitForOp(op: GatewayOpcodes, predicate?: (payload: ReceivedPayload) => boolean, timeoutMs?: number): Promise<ReceivedPayload>;
  /**
   * Sends a dispatch to every session, with its next sequence number, filtered by the session's
   * intents as Discord does (and without message content unless MessageContent was asked for).
   * A session whose connection dropped keeps it for replay on RESUME.
   */
  dispatch(t: string, d: unknown): void;
  /** Closes every live connection with `code` (4000 and most 4xxx are resumable; 1000 is not). */
  closeConnections(code: number, reason?: string): void;
  /** Sends INVALID_SESSION (op 9); with `resumable` false the session is gone and the client must IDENTIFY. */
  invalidateSession(resumable: boolean): void;
  /** Sends RECONNECT (op 7): the client should close and resume. */
  requestReconnect(): void;
  stop(): Promise<void>;
}

const PRIVILEGED = GatewayIntentBits.GuildMembers | GatewayIntentBits.GuildPresences | GatewayIntentBits.MessageContent;

export function startFakeGateway(server: Server, world: DiscordWorld, options: FakeGatewayOptions): FakeGateway {
  const { port } = server.address() as AddressInfo;
  const origin = `ws://127.0.0.1:${port}`;
  const wss = new WebSocketServer({ noServer: true });
  const sessions = new Map<string, Session>();
  const received: ReceivedPayload[] = [];
  const waiters: Waiter<ReceivedPayload>[] = [];
  const connections: GatewayConnectionRecord[] = [];
  const records = new Map<WebSocket, GatewayConnectionRecord>();
  const heartbeatInterval = options.heartbeatIntervalMs ?? 41_250;

  server.on("upgrade", (req, socket, head) => {
    const url = new URL(req.url ?? "/", origin);
    if (url.pathname !== "/gateway" && url.pathname !== "/resume") return void socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws, url));
  });

  const send = (ws: WebSocket, payload: object) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(payload));
  };
  const sendDispatch = (session: Session, t: string, d: unknown) => {
    session.seq += 1;
    const event = { s: session.seq, t, d };
    session.history.push(event);
    if (session.socket) send(session.socket, { op: GatewayOpcodes.Dispatch, ...event });
  };

  function accept(ws: WebSocket, url: URL) {
    const index = connections.push({ path: url.pathname, query: Object.fromEntries(url.searchParams), openedAt: Date.now() }) - 1;
    const record = connections[index]!;
    records.set(ws, record);
    let session: Session | undefined;
    const close = (code: number, reason: string) => {
      record.closedBy = "fake";
      record.closeCode = code;
      ws.close(code, reason);
    };
    ws.on("close", (code) => {
      record.closedAt = Date.now();
      record.closeCode ??= code;
      record.closedBy ??= "client";
      if (session?.socket === ws) session.socket = undefined;
      // Discord ends a session the client closes with 1000 or 1001; other codes leave it resumable.
      if (session && record.closedBy === "client" && (code === 1000 || code === 1001)) session.resumable = false;
    });
    // Only what discord.js without zlib-sync asks for; anything else would need ETF or zlib here.
    if (url.searchParams.get("v") !== "10") return close(GatewayCloseCodes.InvalidAPIVersion, "Invalid API version");
    if (url.searchParams.get("encoding") !== "json" || url.searchParams.has("compress"))
      return close(GatewayCloseCodes.DecodeError, "Only uncompressed JSON");

    send(ws, { op: GatewayOpcodes.Hello, d: { heartbeat_interval: heartbeatInterval }, s: null, t: null });

    ws.on("message", (data: RawData) => {
      let payload: { op?: unknown; d?: unknown };
      try {
        payload = JSON.parse(data.toString()) as { op?: unknown; d?: unknown };
      } catch {
        return close(GatewayCloseCodes.DecodeError, "Error while decoding payload.");
      }
      const item: ReceivedPayload = { op: Number(payload.op), d: payload.d, at: Date.now(), connection: index };
      received.push(item);
      switch (payload.op) {
        case GatewayOpcodes.Heartbeat:
          send(ws, { op: GatewayOpcodes.HeartbeatAck });
          break;
        case GatewayOpcodes.Identify: {
          if (session) return close(GatewayCloseCodes.AlreadyAuthenticated, "Already authenticated.");
          const d = (payload.d ?? {}) as { token?: unknown; intents?: unknown };
          if (d.token !== FAKE_DISCORD.token) return close(GatewayCloseCodes.AuthenticationFailed, "Authentication failed.");
          const intents = Number(d.intents);
          if (!Number.isInteger(intents) || intents < 0) return close(GatewayCloseCodes.InvalidIntents, "Invalid intent(s).");
          if (intents & PRIVILEGED & ~options.allowedPrivilegedIntents)
            return close(GatewayCloseCodes.DisallowedIntents, "Disallowed intent(s).");
          session = { id: sessionId(), seq: 0, intents, history: [], socket: ws, resumable: true };
          sessions.set(session.id, session);
          record.sessionId = session.id;
          sendDispatch(
            session,
            "READY",
            readyPayload({
              sessionId: session.id,
              resumeGatewayUrl: `${origin}/resume`,
              guildIds: world.guilds.map((g) => g.id),
              applicationFlags: applicationFlags(options.allowedPrivilegedIntents),
            }),
          );
          for (const guild of world.guilds) sendDispatch(session, "GUILD_CREATE", world.guildCreate(guild));
          break;
        }
        case GatewayOpcodes.Resume: {
          if (session) return close(GatewayCloseCodes.AlreadyAuthenticated, "Already authenticated.");
          const d = (payload.d ?? {}) as { token?: unknown; session_id?: unknown; seq?: unknown };
          const found = typeof d.session_id === "string" ? sessions.get(d.session_id) : undefined;
          if (d.token !== FAKE_DISCORD.token || !found || !found.resumable) {
            send(ws, { op: GatewayOpcodes.InvalidSession, d: false });
            break;
          }
          session = found;
          record.sessionId = found.id;
          found.socket?.terminate();
          found.socket = ws;
          const from = Number(d.seq ?? 0);
          for (const event of found.history.filter((e) => e.s > from)) send(ws, { op: GatewayOpcodes.Dispatch, ...event });
          sendDispatch(found, "RESUMED", {});
          break;
        }
        case GatewayOpcodes.PresenceUpdate:
        case GatewayOpcodes.RequestGuildMembers:
          if (!session) return close(GatewayCloseCodes.NotAuthenticated, "Not authenticated.");
          break;
        default:
          return close(GatewayCloseCodes.UnknownOpcode, "Unknown opcode.");
      }
      notify(waiters, item);
    });
  }

  const live = () => [...sessions.values()].filter((s) => s.resumable);

  return {
    url: `${origin}/gateway`,
    resumeUrl: `${origin}/resume`,
    received,
    connections,
    waitForOp(op, predicate = () => true, timeoutMs = 5_000) {
      return waitOn(
        waiters,
        received,
        (p) => p.op === op && predicate(p),
        timeoutMs,
        () => `no gateway op ${op}; saw ops ${received.map((p) => p.op).join(",")}`,
      );
    },
    dispatch(t, d) {
      for (const session of live()) {
        const filtered = filterForIntents(t, d, session.intents);
        if (filtered !== undefined) sendDispatch(session, t, filtered);
      }
    },
    closeConnections(code, reason = "") {
      for (const [client, record] of records) {
        if (record.closedAt !== undefined) continue;
        record.closedBy = "fake";
        record.closeCode = code;
        client.close(code, reason);
      }
      if (code === 1000 || code === 1001) for (const session of sessions.values()) session.resumable = false;
    },
    invalidateSession(resumable) {
      for (const session of live()) {
        if (!resumable) session.resumable = false;
        if (session.socket) send(session.socket, { op: GatewayOpcodes.InvalidSession, d: resumable });
      }
    },
    requestReconnect() {
      for (const session of live()) if (session.socket) send(session.socket, { op: GatewayOpcodes.Reconnect, d: null });
    },
    async stop() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/** What a session receives of a dispatch, given its intents; undefined when it receives nothing. */
function filterForIntents(t: string, d: unknown, intents: number): unknown {
  if (t !== "MESSAGE_CREATE" && t !== "MESSAGE_UPDATE")
    return t === "THREAD_CREATE" && !(intents & GatewayIntentBits.Guilds) ? undefined : d;
  const message = d as { guild_id?: string; author?: { id?: string }; mentions?: { id: string }[] };
  const needed = message.guild_id ? GatewayIntentBits.GuildMessages : GatewayIntentBits.DirectMessages;
  if (!(intents & needed)) return undefined;
  // Without MessageContent, Discord still sends content of DMs, of mentions of the bot and of the bot's own messages.
  const visible =
    intents & GatewayIntentBits.MessageContent ||
    !message.guild_id ||
    message.author?.id === FAKE_DISCORD.botUserId ||
    message.mentions?.some((u) => u.id === FAKE_DISCORD.botUserId);
  return visible ? d : { ...message, content: "", embeds: [], attachments: [], components: [] };
}

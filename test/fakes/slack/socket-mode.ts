import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";
import {
  type EnvelopeOptions,
  eventEnvelope,
  type ResponseUrlIssuer,
  type SlackEvent,
  type SlackInteraction,
  type SlashCommandInput,
  slashCommandPayload,
} from "./events.js";
import { FAKE_SLACK } from "./ids.js";
import { notify, type Waiter, waitOn } from "./wait.js";
import type { FakeSlackApi } from "./web-api.js";

/**
 * A fake Slack Socket Mode endpoint. `apps.connections.open` (on the fake Web API, app-level
 * `xapp-` token) hands out `ws://127.0.0.1:PORT/link/?ticket=...&app_id=...`; a connection gets
 * Slack's `hello`, then whatever envelopes the test pushes, and its acks are recorded.
 */

export interface SocketEnvelope {
  envelope_id: string;
  /** "events_api", "slash_commands", "interactive", ... */
  type: string;
  payload: unknown;
  accepts_response_payload: boolean;
  /** events_api only. */
  retry_attempt?: number;
  retry_reason?: string;
}

export interface SocketAck {
  envelope_id: string;
  /** What the client put in the ack (@slack/socket-mode always sends an object, `{}` when empty). */
  payload?: unknown;
  at: number;
}

export interface PushEventOptions extends EnvelopeOptions {
  /** 0 for the first delivery; Slack counts redeliveries up from 1. */
  retryAttempt?: number;
  /** "" for the first delivery; e.g. "timeout" on a redelivery. */
  retryReason?: string;
}

export interface FakeSocketModeOptions {
  /** When given, answers `apps.connections.open` on this fake Web API. */
  api?: FakeSlackApi;
  appId?: string;
  /** How often the server pings each connection, as Slack does; default 5,000 ms, 0 for never. */
  pingIntervalMs?: number;
}

export interface FakeSocketMode {
  /** The WebSocket endpoint, `ws://127.0.0.1:PORT/link/`. */
  url: string;
  /** A fresh single-use connection URL, as apps.connections.open returns it. */
  openConnectionUrl(): string;
  /** Open connections now. */
  readonly connections: number;
  /** Connections that received `hello` since start (reconnects count). */
  readonly connectionsOpened: number;
  /** Resolves once `count` connections have received `hello` and one is open. */
  waitForConnection(count?: number, timeoutMs?: number): Promise<void>;
  /** Sends an events_api envelope wrapping `event` in an event_callback; returns its envelope_id. */
  pushEvent(event: SlackEvent, options?: PushEventOptions): string;
  /** Sends a slash_commands envelope; returns its envelope_id. */
  pushSlashCommand(input: SlashCommandInput, options?: { responseUrls?: ResponseUrlIssuer }): string;
  /** Sends an `interactive` envelope around an interaction payload (a button click); returns its envelope_id. */
  pushInteraction(payload: SlackInteraction): string;
  /** Sends any envelope (an envelope_id is made up when missing); returns its envelope_id. */
  pushEnvelope(envelope: Omit<SocketEnvelope, "envelope_id"> & { envelope_id?: string }): string;
  /** Every envelope sent, in order. */
  envelopes: SocketEnvelope[];
  acks: SocketAck[];
  waitForAck(envelopeId: string, timeoutMs?: number): Promise<SocketAck>;
  /** Every other message the client sent. */
  received: unknown[];
  /**
   * Sends Slack's `{type:"disconnect", reason}` to every connection ("refresh_requested",
   * "warning", "link_disabled"); with `close`, also closes the sockets as Slack eventually does.
   */
  disconnect(reason?: string, options?: { close?: boolean }): void;
  stop(): Promise<void>;
}

export async function startFakeSocketMode(options: FakeSocketModeOptions = {}): Promise<FakeSocketMode> {
  const appId = options.appId ?? FAKE_SLACK.appId;
  const pingIntervalMs = options.pingIntervalMs ?? 5_000;
  const tickets = new Set<string>();
  const open: WebSocket[] = [];
  const pending: SocketEnvelope[] = [];
  const envelopes: SocketEnvelope[] = [];
  const acks: SocketAck[] = [];
  const ackWaiters: Waiter<SocketAck>[] = [];
  const received: unknown[] = [];
  let opened = 0;
  const helloWaiters: Waiter<number>[] = [];
  const hellos: number[] = [];

  const server = createServer((_req, res) => {
    res.writeHead(404).end();
  });
  const wss = new WebSocketServer({ noServer: true });

  server.on("upgrade", (req, socket, head) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const ticket = url.searchParams.get("ticket") ?? "";
    if (url.pathname !== "/link/" || !tickets.delete(ticket)) {
      socket.end("HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws));
  });

  const deliver = (envelope: SocketEnvelope) => {
    const target = open.at(-1);
    if (!target) pending.push(envelope);
    else target.send(JSON.stringify(envelope));
  };

  wss.on("connection", (ws: WebSocket) => {
    open.push(ws);
    opened += 1;
    const pinger = pingIntervalMs > 0 ? setInterval(() => ws.ping(`ping-${Date.now()}`), pingIntervalMs) : undefined;
    pinger?.unref();
    ws.on("message", (data, isBinary) => {
      if (isBinary) return;
      let message: unknown;
      try {
        message = JSON.parse(String(data));
      } catch {
        received.push(String(data));
        return;
      }
      const envelopeId = (message as { envelope_id?: unknown }).envelope_id;
      if (typeof envelopeId === "string") {
        const payload = (message as { payload?: unknown }).payload;
        const ack: SocketAck = { envelope_id: envelopeId, ...(payload !== undefined ? { payload } : {}), at: Date.now() };
        acks.push(ack);
        notify(ackWaiters, ack);
      } else {
        received.push(message);
      }
    });
    ws.on("close", () => {
      if (pinger) clearInterval(pinger);
      const index = open.indexOf(ws);
      if (index >= 0) open.splice(index, 1);
    });
    ws.send(
      JSON.stringify({
        type: "hello",
        num_connections: open.length,
        debug_info: { host: "applink-fake-1", build_number: 1, approximate_connection_time: 18_060 },
        connection_info: { app_id: appId },
      }),
    );
    hellos.push(opened);
    notify(helloWaiters, opened);
    for (const envelope of pending.splice(0)) deliver(envelope);
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `ws://127.0.0.1:${port}/link/`;

  const openConnectionUrl = () => {
    const ticket = randomUUID();
    tickets.add(ticket);
    return `${url}?ticket=${ticket}&app_id=${appId}`;
  };

  options.api?.route("apps.connections.open", () => ({ url: openConnectionUrl() }), { appToken: true });

  const pushEnvelope: FakeSocketMode["pushEnvelope"] = (input) => {
    const envelope: SocketEnvelope = { ...input, envelope_id: input.envelope_id ?? randomUUID() };
    envelopes.push(envelope);
    deliver(envelope);
    return envelope.envelope_id;
  };

  return {
    url,
    openConnectionUrl,
    get connections() {
      return open.length;
    },
    get connectionsOpened() {
      return opened;
    },
    async waitForConnection(count = 1, timeoutMs = 5_000) {
      await waitOn(
        helloWaiters,
        hellos,
        (n) => n >= count,
        timeoutMs,
        () => `only ${opened} Socket Mode connection(s) within ${timeoutMs} ms`,
      );
    },
    pushEvent(event, opts = {}) {
      return pushEnvelope({
        type: "events_api",
        payload: eventEnvelope(event, opts),
        accepts_response_payload: false,
        retry_attempt: opts.retryAttempt ?? 0,
        retry_reason: opts.retryReason ?? "",
      });
    },
    pushSlashCommand(input, opts = {}) {
      return pushEnvelope({
        type: "slash_commands",
        payload: slashCommandPayload(input, opts.responseUrls),
        accepts_response_payload: true,
      });
    },
    pushInteraction(payload) {
      return pushEnvelope({ type: "interactive", payload, accepts_response_payload: false });
    },
    pushEnvelope,
    envelopes,
    acks,
    waitForAck(envelopeId, timeoutMs = 5_000) {
      return waitOn(
        ackWaiters,
        acks,
        (ack) => ack.envelope_id === envelopeId,
        timeoutMs,
        () => `no ack for envelope ${envelopeId} within ${timeoutMs} ms (acked: ${acks.map((a) => a.envelope_id).join(", ") || "none"})`,
      );
    },
    received,
    disconnect(reason = "refresh_requested", opts = {}) {
      for (const ws of [...open]) {
        ws.send(JSON.stringify({ type: "disconnect", reason, debug_info: { host: "applink-fake-1" } }));
        if (opts.close) ws.close(1000, reason);
      }
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const ws of [...open]) ws.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

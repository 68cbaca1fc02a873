import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";
import type { ConsoleAccess } from "./access.js";
import type { EventHub } from "./events.js";
import { channelName } from "./schemas.js";

/**
 * Live connections one credential (a browser session, or the bearer token) may hold. A socket
 * follows one channel, and the console keeps one per tab, so this is about as many tabs.
 */
export const MAX_SOCKETS_PER_CREDENTIAL = 16;

const refuse = (socket: Duplex, status: string, reason: string) => {
  if (socket.destroyed || !socket.writable) return;
  socket.end(`HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${reason}\r\n`);
};

/**
 * `GET /api/events?channel=NAME` upgraded to a WebSocket that carries the channel's events, for
 * the operator only: the same Host, credential and Origin checks as the HTTP routes (edge.ts).
 */
export function attachEventSocket(server: Server, hub: EventHub, access: ConsoleAccess): { close(): void } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4_096 });
  // Live sockets by the credential that opened them: counted for the cap, closed when a session ends.
  const open = new Map<string, Set<WebSocket>>();
  access.onSessionEnd((key) => {
    for (const ws of open.get(key) ?? []) ws.close(1008, "logged out");
  });
  const onUpgrade = async (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node takes its own error listener off an upgraded socket: a client that resets it while the
    // checks below run would otherwise raise an error nobody handles, and end the process.
    socket.on("error", () => socket.destroy());
    const url = new URL(request.url ?? "/", "http://localhost");
    if (url.pathname !== "/api/events") return socket.destroy();
    const { host, origin, authorization, cookie } = request.headers;
    const headers = { host, origin, authorization, cookie };
    if (!access.hostAllowed(host)) return refuse(socket, "421 Misdirected Request", "This server does not answer to that Host name.");
    const who = await access.authenticate(headers, request.socket.remoteAddress ?? "unknown").catch(() => "error" as const);
    if (who === "error") return refuse(socket, "503 Service Unavailable", "Sessions cannot be checked now; try again.");
    if (who === "limited") return refuse(socket, "429 Too Many Requests", "Too many wrong tokens from this address.");
    if (typeof who !== "object") return refuse(socket, "401 Unauthorized", "Log in first, or send Authorization: Bearer <token>.");
    if (who.kind === "session" && !access.originAllowed(headers))
      return refuse(socket, "403 Forbidden", "A browser session connects from the console's own page only (Origin).");
    const channel = channelName.safeParse(url.searchParams.get("channel") ?? "");
    if (!channel.success) return refuse(socket, "400 Bad Request", "channel query parameter: lower case letters, digits, - and _");
    const tooMany = () => (open.get(who.key)?.size ?? 0) >= MAX_SOCKETS_PER_CREDENTIAL;
    const cap = `At most ${MAX_SOCKETS_PER_CREDENTIAL} live connections per login.`;
    if (tooMany()) return refuse(socket, "429 Too Many Requests", cap);
    if (socket.destroyed) return;
    wss.handleUpgrade(request, socket, head, (ws: WebSocket) => {
      // Counted once upgraded; upgrades that raced past the check above are closed here.
      if (tooMany()) return ws.close(1008, cap);
      const held = open.get(who.key) ?? new Set<WebSocket>();
      open.set(who.key, held.add(ws));
      const unsubscribe = hub.subscribe(channel.data, (event) => ws.send(JSON.stringify(event)));
      const done = () => {
        unsubscribe();
        held.delete(ws);
        if (held.size === 0 && open.get(who.key) === held) open.delete(who.key);
      };
      ws.on("close", done);
      ws.on("error", done);
    });
  };
  const listener = (request: IncomingMessage, socket: Duplex, head: Buffer) => void onUpgrade(request, socket, head);
  server.on("upgrade", listener);
  return {
    close() {
      server.off("upgrade", listener);
      for (const client of wss.clients) client.close(1001, "server shutting down");
      wss.close();
    },
  };
}

import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";
import type { EventHub } from "./events.js";
import { channelName } from "./schemas.js";

/** `GET /api/events?channel=NAME` upgraded to a WebSocket that carries the channel's events. */
export function attachEventSocket(server: Server, hub: EventHub): { close(): void } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4_096 });
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    if (url.pathname !== "/api/events") return socket.destroy();
    const channel = channelName.safeParse(url.searchParams.get("channel") ?? "");
    if (!channel.success) {
      socket.end(
        "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n\r\nchannel query parameter: lower case letters, digits, - and _\r\n",
      );
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws: WebSocket) => {
      const unsubscribe = hub.subscribe(channel.data, (event) => ws.send(JSON.stringify(event)));
      ws.on("close", unsubscribe);
      ws.on("error", unsubscribe);
    });
  };
  server.on("upgrade", onUpgrade);
  return {
    close() {
      server.off("upgrade", onUpgrade);
      for (const client of wss.clients) client.close(1001, "server shutting down");
      wss.close();
    },
  };
}

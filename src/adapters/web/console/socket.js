// @ts-check
/* The live connection: `GET /api/events?channel=NAME` as a WebSocket, reconnected with backoff. */
import { setConn } from "./status.js";

/**
 * @typedef {object} SocketListener
 * @property {(event: import("./api.js").ConsoleEvent) => void} event one event of the channel
 * @property {() => void} reopened the socket is back after a drop; what was missed meanwhile needs reloading
 */

const ws = {
  /** @type {WebSocket | null} */
  sock: null,
  /** @type {string | null} */
  channel: null,
  /** @type {SocketListener | null} */
  listener: null,
  attempt: 0,
  timer: 0,
  countdown: 0,
  hadOpen: false,
};

/**
 * Follows one channel's events, instead of any followed before.
 * @param {string} channel
 * @param {SocketListener} listener
 */
export function connect(channel, listener) {
  disconnect();
  ws.channel = channel;
  ws.listener = listener;
  ws.attempt = 0;
  ws.hadOpen = false;
  openSocket();
}

function disconnect() {
  clearTimeout(ws.timer);
  clearInterval(ws.countdown);
  const s = ws.sock;
  ws.sock = null;
  if (s) {
    s.onclose = null;
    s.onmessage = null;
    s.onerror = null;
    s.onopen = null;
    try {
      s.close();
    } catch {
      /* ignore */
    }
  }
}

function openSocket() {
  clearTimeout(ws.timer);
  clearInterval(ws.countdown);
  const channel = ws.channel;
  if (channel == null) return;
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const url = `${proto}//${location.host}/api/events?channel=${encodeURIComponent(channel)}`;
  let sock;
  setConn("connecting", "Connecting…");
  try {
    sock = new WebSocket(url);
  } catch {
    scheduleReconnect();
    return;
  }
  ws.sock = sock;
  sock.onopen = () => {
    const resync = ws.hadOpen || ws.attempt > 0;
    ws.attempt = 0;
    ws.hadOpen = true;
    setConn("live", "Live");
    if (resync) ws.listener?.reopened();
  };
  sock.onmessage = (e) => {
    /** @type {unknown} */
    let data;
    try {
      data = JSON.parse(e.data);
    } catch {
      return;
    }
    // The server sends ConsoleEvents only (src/adapters/web/events.ts).
    if (data && typeof data === "object") ws.listener?.event(/** @type {import("./api.js").ConsoleEvent} */ (data));
  };
  sock.onerror = () => {
    /* a close event follows */
  };
  sock.onclose = () => {
    if (ws.sock !== sock) return;
    ws.sock = null;
    scheduleReconnect();
  };
}

function scheduleReconnect() {
  const base = Math.min(30000, 1000 * 2 ** ws.attempt);
  const delay = Math.round(base / 2 + (Math.random() * base) / 2);
  ws.attempt++;
  const until = Date.now() + delay;
  const now = { label: "Retry now", run: () => openSocket() };
  const tick = () => {
    const left = Math.max(0, Math.ceil((until - Date.now()) / 1000));
    setConn("retry", `Disconnected · retrying in ${left}s`, now);
  };
  tick();
  clearInterval(ws.countdown);
  ws.countdown = setInterval(tick, 1000);
  ws.timer = setTimeout(openSocket, delay);
}

function retrySoon() {
  if (!ws.sock && ws.channel) openSocket();
}

/** Reconnects at once when the network or the tab comes back. */
export function wireReconnects() {
  window.addEventListener("online", retrySoon);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) retrySoon();
  });
}

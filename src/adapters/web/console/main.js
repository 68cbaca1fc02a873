// @ts-check
/* The web console: follows the address (#channel/thread), wires the page and starts it. */

import { onRegenerate } from "./actions.js";
import { logout } from "./api.js";
import { ui } from "./dom.js";
import { onEvent } from "./events.js";
import { CHANNEL_RE, hashFor, parseHash } from "./format.js";
import { wireScrolling } from "./items.js";
import { regenerate } from "./regenerate.js";
import { wireComposer } from "./send.js";
import { allChannels, closeSidebar, loadChannels, loadThreads, renderChannels, renderThreads, wireSidebar } from "./sidebar.js";
import { connect, wireReconnects } from "./socket.js";
import { LS_LAST, state } from "./state.js";
import { checkHealth, wireNotice } from "./status.js";
import { wireStop } from "./stop.js";
import { loadViewMessages, openView } from "./views.js";

/** @type {import("./socket.js").SocketListener} */
const socketListener = { event: onEvent, reopened: resyncAfterReconnect };

/** After a dropped connection: what may have changed meanwhile. */
function resyncAfterReconnect() {
  // Replies that streamed before the drop show again only once their turn is heard from.
  for (const [id, s] of state.streams) if (!state.pending.some((p) => p.messageId === id)) s.stale = true;
  checkHealth();
  loadThreads();
  const v = state.view;
  if (v?.thread) loadViewMessages(v);
}

/** @param {string} channel */
function selectChannel(channel) {
  if (state.channel === channel) return;
  state.channel = channel;
  state.threads = [];
  state.threadsLoaded = false;
  state.threadsError = "";
  state.unread.clear();
  state.foreignThreads.clear();
  state.streams.clear();
  try {
    localStorage.setItem(LS_LAST, channel);
  } catch {
    /* ignore */
  }
  renderChannels();
  renderThreads();
  connect(channel, socketListener);
  loadThreads();
}

/** Shows what the address points at; with no address, the last channel used. */
function route() {
  let target = parseHash();
  if (!target) {
    let last = null;
    try {
      last = localStorage.getItem(LS_LAST);
    } catch {
      /* ignore */
    }
    const names = allChannels().map((c) => c.name);
    const channel = last && CHANNEL_RE.test(last) ? last : names[0] || "general";
    history.replaceState(null, "", hashFor(channel, null));
    target = { channel: channel, thread: null };
  }
  selectChannel(target.channel);
  const v = state.view;
  if (v && v.channel === target.channel && v.thread === target.thread) return;
  openView(target.channel, target.thread);
}

window.addEventListener("hashchange", () => {
  route();
  closeSidebar();
});
// The address names the open channel, so the skip link moves focus itself instead of following its #id.
ui.skip.addEventListener("click", (e) => {
  e.preventDefault();
  ui.input.focus();
});
ui.logout.addEventListener("click", () => {
  logout().finally(() => location.assign("/"));
});
wireScrolling();
wireSidebar();
wireNotice();
wireReconnects();
wireComposer();
wireStop();
onRegenerate(regenerate);

// Relative times in the thread list stay fresh; health is re-checked now and then.
setInterval(() => {
  if (state.threads.length) renderThreads();
}, 60000);
setInterval(checkHealth, 30000);

checkHealth();
loadChannels().then(() => {
  if (!state.view) route();
});
if (parseHash()) route();
ui.input.focus();

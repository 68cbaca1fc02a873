// @ts-check
/* The main pane's view: a thread loaded from the server, or a new conversation, with the
   sends and streams still in flight put back in place. */
import { getMessages, messageOf } from "./api.js";
import { loadApprovals } from "./approvals.js";
import { h, toast, ui } from "./dom.js";
import { hashFor } from "./format.js";
import { addItem, inBulk, scrollToBottom, setTag, showToolCalls } from "./items.js";
import { renderThreads } from "./sidebar.js";
import { nextSeq, state } from "./state.js";
import { renderHeader } from "./status.js";
import { renderStop } from "./stop.js";

/** @typedef {import("./state.js").View} View */
/** @typedef {{ id: string, text: string, author: string, claimed: boolean }} ServerUser */

/**
 * @param {string} channel
 * @param {string | null} thread null for a new conversation
 */
export function openView(channel, thread) {
  /** @type {View} */
  const v = { key: nextSeq(), channel: channel, thread: thread, items: new Map(), threadReady: null };
  state.view = v;
  if (thread) {
    state.unread.delete(thread);
  }
  ui.jump.hidden = true;
  ui.messages.replaceChildren();
  renderThreads();
  renderHeader();
  renderStop();
  if (thread) {
    loadViewMessages(v);
  } else {
    ui.messages.append(
      h(
        "div",
        { class: "intro" },
        h("h2", { text: `#${channel}` }),
        h(
          "p",
          null,
          "This is the start of a new conversation. Ask anything, or type ",
          h("code", { text: "/tools" }),
          " to see what the assistant can use.",
        ),
      ),
    );
    attachLive(v, []);
  }
}

/** @param {View} v a view of a thread */
export async function loadViewMessages(v) {
  const thread = v.thread;
  if (thread == null) return;
  if (!v.items.size) ui.messages.replaceChildren(h("div", { class: "state-msg", text: "Loading messages…" }));
  ui.messages.setAttribute("aria-busy", "true");
  let list;
  try {
    list = await getMessages(thread);
  } catch (e) {
    if (state.view !== v) return;
    ui.messages.removeAttribute("aria-busy");
    if (v.items.size) {
      toast(`Could not refresh messages: ${messageOf(e)}`);
      return;
    }
    const retry = h("button", { class: "link-btn", type: "button" }, "Try again");
    retry.addEventListener("click", () => {
      loadViewMessages(v);
    });
    const fresh = h("a", { href: hashFor(v.channel, null) }, "start a new conversation");
    ui.messages.replaceChildren(
      h("div", { class: "state-msg error", role: "alert" }, `Could not load this thread: ${messageOf(e)} `, retry, " or ", fresh, "."),
    );
    return;
  }
  if (state.view !== v) return;
  renderMessages(v, Array.isArray(list) ? list : []);
  ui.messages.removeAttribute("aria-busy");
  // Cards are not messages: the render dropped them, and the calls still waiting come back.
  loadApprovals(v);
}

/**
 * @param {View} v
 * @param {import("./api.js").StoredMessage[]} list
 */
function renderMessages(v, list) {
  const kept = Array.from(v.items.values()).filter((i) => i.ephemeral || i.unsent);
  v.items.clear();
  ui.messages.replaceChildren();
  /** @type {ServerUser[]} */
  const server = [];
  inBulk(() => {
    for (const m of list) {
      if (!m || m.id == null) continue;
      const id = String(m.id);
      if (v.items.has(id)) continue;
      const role = m.role === "user" ? "user" : "assistant";
      const item = addItem(v, {
        id: id,
        role: role,
        author: role === "assistant" && m.author === "assistant" ? "Quorum" : m.author,
        text: typeof m.text === "string" ? m.text : "",
        createdAt: m.createdAt,
      });
      if (m.failed) item.el.classList.add("failed");
      if (m.stopped) setTag(item, "stopped");
      if (m.toolCalls) showToolCalls(item, m.toolCalls);
      if (role === "user") server.push({ id: id, text: m.text, author: m.author, claimed: false });
      if (state.doneIds.has(id)) state.streams.delete(id);
    }
    attachLive(v, server);
    for (const i of kept) {
      // A send that got no answer may be stored all the same: then the stored one stands, with no
      // Retry (which would send it twice).
      const unsent = i.unsent;
      const stored = unsent && server.find((u) => !u.claimed && u.text === unsent.text && u.author === unsent.user);
      if (stored) stored.claimed = true;
      else if (!v.items.has(i.id)) {
        v.items.set(i.id, i);
        ui.messages.append(i.el);
      }
    }
  });
  scrollToBottom();
}

/**
 * Re-attaches what is in flight (our pending sends, streams) to a freshly rendered view.
 * @param {View} v
 * @param {ServerUser[]} serverUsers the thread's user messages, to match our sends to
 */
function attachLive(v, serverUsers) {
  for (const p of state.pending) {
    if (p.channel !== v.channel) continue;
    if (v.thread ? p.thread !== v.thread : p.viewKey !== v.key) continue;
    let hasUser = p.userMsgId != null && v.items.has(p.userMsgId);
    if (!hasUser) {
      for (let i = serverUsers.length - 1; i >= 0; i--) {
        const u = serverUsers[i];
        if (u && !u.claimed && u.text === p.text && u.author === p.user) {
          u.claimed = true;
          p.userMsgId = u.id;
          hasUser = true;
          break;
        }
      }
    }
    p.userItem =
      hasUser && p.userMsgId != null
        ? v.items.get(p.userMsgId)
        : v.items.get(p.localUserId) ||
          addItem(v, { id: p.localUserId, role: "user", author: p.user, text: p.text, createdAt: p.createdAt, state: "sending" });
    if (p.messageId && v.items.has(p.messageId)) continue;
    const s = p.messageId ? state.streams.get(p.messageId) : undefined;
    p.placeholderItem =
      p.messageId && s
        ? addItem(v, { id: p.messageId, role: "assistant", state: "streaming", text: s.text })
        : addItem(v, { id: p.placeholderId, role: "assistant", state: "placeholder" });
  }
  state.streams.forEach((s, id) => {
    if (s.channel === v.channel && v.thread && s.thread === v.thread && !s.stale && !v.items.has(id)) {
      addItem(v, { id: id, role: "assistant", state: "streaming", text: s.text });
    }
  });
}

// @ts-check
/* Live events from the channel's socket: messages, streamed replies, approvals and project reports,
   matched to this page's own sends and shown where they belong. */
import { onApprovalDecided, onApprovalRequested } from "./approvals.js";
import { hashFor, truncate } from "./format.js";
import { addItem, live, rekey, setFinal, setStreaming, setTag, withScroll } from "./items.js";
import { knownThread, markUnread, renderThreads, scheduleRefresh } from "./sidebar.js";
import { rememberDone, state } from "./state.js";

/** @typedef {import("./api.js").ConsoleEvent} ConsoleEvent */
/** @typedef {import("./state.js").Pending} Pending */
/** @typedef {import("./state.js").View} View */

/** @param {ConsoleEvent} ev */
export function onEvent(ev) {
  if (ev.channel != null && ev.channel !== state.channel) return;
  if (ev.thread == null) return;
  ev.thread = String(ev.thread);
  switch (ev.type) {
    case "message.user":
      return onUserEvent(ev);
    case "message.delta":
      return onDelta(ev);
    case "message.done":
      return onDone(ev);
    case "approval.requested":
      bindUnknownThread(ev.thread);
      return onApprovalRequested(ev);
    case "approval.decided":
      return onApprovalDecided(ev);
    case "project.progress":
      return onProject(ev, false);
    case "project.done":
      return onProject(ev, true);
    default:
      return;
  }
}

// A new thread's events arrive before POST /api/chat returns: attach them to the oldest
// send in this channel that is still waiting to learn its thread.
/** @param {string} thread */
function bindUnknownThread(thread) {
  if (knownThread(thread)) return;
  const p = state.pending.find((x) => x.channel === state.channel && x.thread == null && x.sent);
  if (p) bindPendingThread(p, thread);
}

/** @param {Pending} p @param {string} thread */
function bindPendingThread(p, thread) {
  p.thread = thread;
  const v = state.view;
  if (v && v.key === p.viewKey && !v.thread) adoptThread(v, thread, p.text);
}

/**
 * A new conversation's view learns the thread its first message made.
 * @param {View} v
 * @param {string} thread
 * @param {string} titleHint the thread's title until the server says otherwise
 */
export function adoptThread(v, thread, titleHint) {
  if (v.thread) return;
  v.thread = thread;
  for (const p of state.pending) if (p.viewKey === v.key && p.thread == null && p.sent) p.thread = thread;
  if (v.threadReady) v.threadReady.resolve(thread);
  if (!state.threads.some((t) => t.thread === thread)) {
    state.threads.unshift({
      thread: thread,
      title: truncate(titleHint || "New thread", 80),
      updatedAt: new Date().toISOString(),
      optimistic: true,
    });
  }
  if (state.view === v) {
    history.replaceState(null, "", hashFor(v.channel, thread));
    renderThreads();
  }
  scheduleRefresh();
}

/** @param {Extract<ConsoleEvent, { type: "message.user" }>} ev */
function onUserEvent(ev) {
  const id = String(ev.messageId);
  const p = state.pending.find(
    (x) =>
      x.channel === state.channel &&
      !x.userMsgId &&
      x.text === ev.text &&
      x.user === ev.author &&
      (x.thread === ev.thread || (x.thread == null && x.sent && !knownThread(ev.thread))),
  );
  if (p) {
    p.userMsgId = id;
    if (p.thread == null) bindPendingThread(p, ev.thread);
    if (live(p.userItem)) {
      p.userItem = rekey(p.userItem.view, p.userItem, id);
      p.userItem.el.classList.remove("sending");
    }
  } else {
    if (!knownThread(ev.thread)) state.foreignThreads.add(ev.thread);
    const v = state.view;
    if (v && v.thread === ev.thread) {
      if (!v.items.has(id)) withScroll(() => addItem(v, { id: id, role: "user", author: ev.author, text: ev.text }));
    } else markUnread(ev.thread);
  }
  scheduleRefresh();
}

/** The item that shows reply `id`: its own, or the placeholder of the send it answers. @param {View} v @param {string} id */
function replyItemFor(v, id) {
  const item = v.items.get(id);
  if (item) return item;
  const p = state.pending.find((x) => x.messageId === id);
  if (p && live(p.placeholderItem) && p.placeholderItem.id === p.placeholderId) {
    p.placeholderItem = rekey(v, p.placeholderItem, id);
    return p.placeholderItem;
  }
  return null;
}

/** @param {string} thread @param {string} id */
function claimReply(thread, id) {
  if (state.pending.some((x) => x.messageId === id)) return;
  const p = state.pending.find((x) => x.channel === state.channel && x.thread === thread && !x.messageId && x.sent);
  if (p) p.messageId = id;
}

/** @param {Extract<ConsoleEvent, { type: "message.delta" }>} ev */
function onDelta(ev) {
  const id = String(ev.messageId);
  if (state.doneIds.has(id)) return;
  bindUnknownThread(ev.thread);
  claimReply(ev.thread, id);
  let s = state.streams.get(id);
  if (!s) {
    s = { channel: state.channel, thread: ev.thread, text: "" };
    state.streams.set(id, s);
  }
  s.stale = false;
  s.text += typeof ev.delta === "string" ? ev.delta : "";
  const text = s.text;
  const v = state.view;
  if (v && v.thread === ev.thread) {
    const item = replyItemFor(v, id);
    if (!item) withScroll(() => addItem(v, { id: id, role: "assistant", state: "streaming", text: text }));
    else setStreaming(item, text);
  } else markUnread(ev.thread);
}

/** @param {Extract<ConsoleEvent, { type: "message.done" }>} ev */
function onDone(ev) {
  const id = String(ev.messageId);
  bindUnknownThread(ev.thread);
  claimReply(ev.thread, id);
  const s = state.streams.get(id);
  rememberDone(id);
  const text = typeof ev.text === "string" ? ev.text : s ? s.text : "";
  const v = state.view;
  if (v && v.thread === ev.thread) {
    const item = replyItemFor(v, id) || withScroll(() => addItem(v, { id: id, role: "assistant", text: "" }));
    setFinal(item, text);
    // Stopped by a person: what it said until then. Failed: its text says why; the sender's page
    // also offers Retry once its send returns.
    if (ev.error === "stopped") setTag(item, "stopped");
    else if (ev.failed) item.el.classList.add("failed");
  } else markUnread(ev.thread);
  scheduleRefresh();
}

/**
 * @param {Extract<ConsoleEvent, { type: "project.progress" | "project.done" }>} ev
 * @param {boolean} done
 */
function onProject(ev, done) {
  const v = state.view;
  if (!(v && v.thread === ev.thread)) {
    markUnread(ev.thread);
    scheduleRefresh();
    return;
  }
  const pid = String(ev.projectId);
  const text = typeof ev.text === "string" ? ev.text : "";
  // The checklist is one stored message (src/jobs/project-runner.ts statusRowId): each edit updates
  // it where it is. The report comes as a message of its own (message.done), so it is not added here.
  const statusId = `${pid}:status`;
  withScroll(() => {
    // Its text says how the project stands; the last edit may come after project.done.
    const status = v.items.get(statusId);
    if (!status) addItem(v, { id: statusId, role: "assistant", author: "Quorum", text: text });
    else if (!done) setFinal(status, text);
  });
  if (done) scheduleRefresh();
}

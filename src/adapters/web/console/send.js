// @ts-check
/* Sending: the composer, chat messages (POST /api/chat) and slash commands (POST /api/commands). */
import { getProject, messageOf, postChat, postCommand } from "./api.js";
import { showApproval } from "./approvals.js";
import { h, toast, ui } from "./dom.js";
import { adoptThread } from "./events.js";
import { deferred, hashFor } from "./format.js";
import { addItem, live, rekey, removeItem, setFinal, setTag, showReply, withScroll } from "./items.js";
import { addLocalChannel, markUnread, scheduleRefresh } from "./sidebar.js";
import { nextSeq, rememberDone, state, userName } from "./state.js";
import { renderStop } from "./stop.js";

/** @typedef {import("./state.js").Item} Item */
/** @typedef {import("./state.js").Pending} Pending */
/** @typedef {import("./state.js").View} View */

/** A fresh id for a send (crypto.randomUUID exists only in secure contexts). */
function sendIdFor() {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`;
}

/**
 * @param {View} v
 * @param {string} text
 * @param {{ sendId: string, userItem?: Item }} [again] a Retry: the earlier send's id, and its message still shown
 */
async function sendChat(v, text, again) {
  const id = nextSeq();
  /** @type {Pending} */
  const p = {
    id: id,
    sendId: again ? again.sendId : sendIdFor(),
    channel: v.channel,
    thread: v.thread,
    text: text,
    user: userName(),
    viewKey: v.key,
    createdAt: new Date().toISOString(),
    userMsgId: null,
    messageId: null,
    sent: false,
    localUserId: `local-user-${id}`,
    placeholderId: `local-reply-${id}`,
  };
  state.pending.push(p);
  addLocalChannel(v.channel);
  withScroll(() => {
    const shown = again && live(again.userItem) ? again.userItem : null;
    if (shown) {
      shown.unsent = null;
      shown.el.classList.remove("failed");
      shown.el.classList.add("sending");
      for (const row of shown.main.querySelectorAll(".msg-error")) row.remove();
    }
    p.userItem =
      shown || addItem(v, { id: p.localUserId, role: "user", author: p.user, text: text, createdAt: p.createdAt, state: "sending" });
    p.placeholderItem = addItem(v, { id: p.placeholderId, role: "assistant", state: "placeholder" });
  }, true);

  // A second message typed in a new conversation waits for the first to create the thread.
  let first = false;
  if (!p.thread && v.threadReady) {
    p.thread = (await v.threadReady.promise) || null;
  } else if (!p.thread) {
    v.threadReady = deferred();
    first = true;
  }
  /** @type {import("./api.js").ChatRequest} */
  const body = { channel: p.channel, user: p.user, text: text, id: p.sendId };
  if (p.thread) body.thread = p.thread;
  p.sent = true;
  renderStop();

  let res;
  try {
    res = await postChat(body);
    if (!res || res.thread == null || !("reply" in res ? res.reply?.id != null : res.pendingApproval?.id != null))
      throw new Error("The server sent an unexpected reply.");
  } catch (e) {
    settle(p);
    if (first && v.threadReady && !v.thread) {
      v.threadReady.resolve(null);
      v.threadReady = null;
    }
    failSend(p, e);
    return;
  }
  settle(p);
  const answer = res;
  const thread = String(answer.thread);
  if (p.thread == null) p.thread = thread;
  // Release messages queued behind this one even if the user has left the view meanwhile.
  if (first && v.threadReady) v.threadReady.resolve(thread);
  if ("reply" in answer) rememberDone(String(answer.reply.id));

  const cur = state.view;
  const here = cur && cur.channel === p.channel && (cur.key === p.viewKey ? !cur.thread || cur.thread === thread : cur.thread === thread);
  if (cur && here) {
    if (!cur.thread) adoptThread(cur, thread, text);
    withScroll(() => {
      if (live(p.userItem)) p.userItem.el.classList.remove("sending");
      const ph = live(p.placeholderItem) && p.placeholderItem.id === p.placeholderId ? p.placeholderItem : null;
      if (!("reply" in answer)) {
        // The turn waits: its message came as an event (or shows on the next load); the card says on what.
        if (ph) removeItem(cur, ph);
        showApproval(cur, answer.pendingApproval);
        return;
      }
      const replyId = String(answer.reply.id);
      if (ph) {
        if (cur.items.has(replyId)) removeItem(cur, ph);
        else rekey(cur, ph, replyId);
      }
      const item = showReply(cur, answer);
      if (answer.failed) failTurn(p, item);
    });
  } else if (cur && cur.channel === p.channel) {
    markUnread(thread);
  }
  scheduleRefresh();
}

/** @param {Pending} p */
function settle(p) {
  const i = state.pending.indexOf(p);
  if (i >= 0) state.pending.splice(i, 1);
  renderStop();
}

/**
 * The send did not get an answer (the network, the server). Retry sends the same id: a turn that
 * ran meanwhile answers with its reply, one that failed or never ran runs now.
 * @param {Pending} p
 * @param {unknown} err
 */
function failSend(p, err) {
  const reason = messageOf(err);
  toast(`Message not sent: ${reason}`);
  const v = state.view;
  // Its answer, begun or not, ends with the request: the turn's process is gone or unreachable.
  if (p.messageId) rememberDone(p.messageId);
  if (v && live(p.placeholderItem) && !p.placeholderItem.done) removeItem(v, p.placeholderItem);
  if (!v || !live(p.userItem)) return;
  const item = p.userItem;
  item.unsent = { text: p.text, user: p.user };
  item.el.classList.remove("sending");
  item.el.classList.add("failed");
  item.main.append(
    errorRow(
      `Not sent: ${reason}`,
      () => sendChat(v, p.text, { sendId: p.sendId, userItem: item }),
      () => removeItem(v, item),
      p.text,
    ),
  );
}

/**
 * The turn ran and failed: its reply (stored in the thread) says why. Retry runs it again.
 * @param {Pending} p
 * @param {Item} reply
 */
function failTurn(p, reply) {
  const v = reply.view;
  reply.el.classList.add("failed");
  const row = errorRow("This answer failed.", () => sendChat(v, p.text, { sendId: p.sendId, userItem: p.userItem }), undefined, p.text);
  reply.main.append(row);
}

/**
 * An alert with Retry and Edit; each removes the row first.
 * @param {string} reason
 * @param {() => void} retry
 * @param {(() => void) | undefined} drop what Edit removes besides the row
 * @param {string} text what Edit puts back in the composer
 */
function errorRow(reason, retry, drop, text) {
  const again = h("button", { class: "link-btn", type: "button" }, "Retry");
  const edit = h("button", { class: "link-btn", type: "button" }, "Edit");
  const row = h("div", { class: "msg-error", role: "alert" }, h("span", { text: reason }), again, edit);
  again.addEventListener("click", () => {
    row.remove();
    retry();
  });
  edit.addEventListener("click", () => {
    row.remove();
    drop?.();
    ui.input.value = text;
    autosize();
    ui.input.focus();
  });
  return row;
}

/** @param {View} v @param {string} line a command such as "/memory forget 3" */
async function runCommand(v, line) {
  const m = /^(\/\S+)\s*([\s\S]*)$/.exec(line);
  if (!m) return;
  const command = m[1] ?? "";
  const rest = (m[2] ?? "").trim();
  const item = withScroll(() => {
    const added = addItem(v, { id: `local-cmd-${nextSeq()}`, role: "system", author: "Quorum", state: "placeholder", ephemeral: true });
    const cmd = h("span", { class: "cmd", text: line.length > 200 ? `${line.slice(0, 200)}…` : line });
    added.el.querySelector(".msg-head")?.append(cmd);
    return added;
  }, true);
  addLocalChannel(v.channel);
  let reply = "";
  try {
    const res = await postCommand({ channel: v.channel, user: userName(), command: command, text: rest });
    reply = res && typeof res.text === "string" ? res.text : "";
    setFinal(item, reply || "(no reply)");
  } catch (e) {
    item.el.classList.add("error");
    setFinal(item, `Command failed: ${messageOf(e)}`);
  }
  setTag(item, "only visible to you");
  if (command !== "/project") return;
  scheduleRefresh();
  // A project started: its thread, wherever it was typed, is where it works and reports.
  const started = /\(id ([0-9a-f-]{36})\)/.exec(reply);
  if (started?.[1]) openProjectThread(v.channel, started[1]);
}

/** @param {string} channel @param {string} id a project just started */
async function openProjectThread(channel, id) {
  try {
    const project = await getProject(id);
    if (project && typeof project.thread === "string") location.hash = hashFor(channel, project.thread);
  } catch (e) {
    toast(`Could not open the project's thread: ${messageOf(e)}`);
  }
}

/* ----- composer ----- */

function autosize() {
  ui.input.style.height = "auto";
  ui.input.style.height = `${Math.min(ui.input.scrollHeight, window.innerHeight * 0.4)}px`;
}

function submit() {
  const raw = ui.input.value;
  const text = raw.trim();
  const v = state.view;
  if (!text || !v) return;
  ui.input.value = "";
  autosize();
  // "//path" sends a literal "/path".
  if (text.startsWith("//")) sendChat(v, text.slice(1));
  else if (text.startsWith("/")) runCommand(v, text);
  else sendChat(v, text);
}

export function wireComposer() {
  ui.composer.addEventListener("submit", (e) => {
    e.preventDefault();
    submit();
    ui.input.focus();
  });
  ui.input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      submit();
    }
  });
  ui.input.addEventListener("input", autosize);
}

// @ts-check
/* Messages in the log, and keeping the log scrolled to the newest while the reader is there. */
import { addCodeCopy, showAnswerActions } from "./actions.js";
import { h, ui } from "./dom.js";
import { clockTime, hue, toDate } from "./format.js";
import { renderMarkdown } from "./markdown.js";
import { state } from "./state.js";

/** @typedef {import("./state.js").Item} Item */
/** @typedef {import("./state.js").View} View */

/* ----- scrolling ----- */

let bulk = false; // true while a whole thread is rendered at once

function nearBottom() {
  const m = ui.messages;
  return m.scrollHeight - m.scrollTop - m.clientHeight < 80;
}

export function scrollToBottom() {
  ui.messages.scrollTop = ui.messages.scrollHeight;
  ui.jump.hidden = true;
}

/**
 * Runs a change to the log, then keeps the reader at the bottom if they were there (or `force`),
 * else offers the jump button.
 * @template R
 * @param {() => R} fn
 * @param {boolean} [force]
 * @returns {R}
 */
export function withScroll(fn, force) {
  if (bulk) return fn();
  const stick = force || nearBottom();
  const r = fn();
  if (stick) scrollToBottom();
  else ui.jump.hidden = false;
  return r;
}

/** Renders a whole thread at once: no scrolling after each message. @param {() => void} fn */
export function inBulk(fn) {
  bulk = true;
  try {
    fn();
  } finally {
    bulk = false;
  }
}

export function wireScrolling() {
  ui.messages.addEventListener("scroll", () => {
    if (nearBottom()) ui.jump.hidden = true;
  });
  ui.jump.addEventListener("click", () => {
    scrollToBottom();
    ui.input.focus();
  });
}

/* ----- message items ----- */

/**
 * @typedef {object} ItemSpec
 * @property {string} id
 * @property {string} role "user", "assistant", "system", "progress" or "approval"
 * @property {string} [author]
 * @property {string} [text]
 * @property {string} [createdAt]
 * @property {"placeholder" | "streaming" | "sending"} [state]
 * @property {boolean} [ephemeral]
 * @property {string} [tag]
 */

/**
 * @param {View} v
 * @param {ItemSpec} m
 * @returns {Item}
 */
export function addItem(v, m) {
  const role = m.role;
  const author = m.author || (role === "user" ? "you" : "Quorum");
  const avatar = h(
    "div",
    { class: "avatar", "aria-hidden": "true" },
    role === "user" ? author.charAt(0).toUpperCase() : role === "progress" ? "⋯" : "Q",
  );
  if (role === "user") avatar.style.setProperty("--hue", String(hue(author)));
  const timeText = clockTime(m.createdAt || Date.now());
  const time = h("time", { datetime: (toDate(m.createdAt) || new Date()).toISOString(), text: timeText });
  const tag = h("span", { class: "tag", hidden: true });
  const head = h("div", { class: "msg-head" }, h("span", { class: "author", text: author }), time, tag);
  const body = h("div", { class: "body" });
  const main = h("div", { class: "msg-main" }, head, body);
  const el = h("article", { class: `msg msg-${role}`, "data-id": m.id }, avatar, main);
  /** @type {Item} */
  const item = {
    id: m.id,
    role: role,
    view: v,
    el: el,
    body: body,
    main: main,
    tag: tag,
    text: "",
    done: true,
    ephemeral: !!m.ephemeral,
    unsent: null,
    frame: 0,
  };
  v.items.set(m.id, item);
  ui.messages.append(el);
  if (m.state === "placeholder") setPlaceholder(item);
  else if (m.state === "streaming") setStreaming(item, m.text || "");
  else setFinal(item, m.text || "");
  if (m.state === "sending") el.classList.add("sending");
  if (m.tag) setTag(item, m.tag);
  return item;
}

/** @param {Item} item @param {string} text */
export function setTag(item, text) {
  item.tag.textContent = text || "";
  item.tag.hidden = !text;
}

/** @param {Item} item */
function setPlaceholder(item) {
  item.done = false;
  item.el.setAttribute("aria-busy", "true");
  item.body.replaceChildren(
    h("span", { class: "typing" }, h("i"), h("i"), h("i"), h("span", { class: "sr-only", text: "Quorum is thinking" })),
  );
  setTag(item, "thinking…");
}

/** Shows the reply so far, rendered at most once a frame. @param {Item} item @param {string} text */
export function setStreaming(item, text) {
  if (item.done && item.text) return;
  item.done = false;
  item.text = text;
  item.el.classList.add("streaming");
  item.el.setAttribute("aria-busy", "true");
  setTag(item, "typing…");
  if (item.frame) return;
  item.frame = requestAnimationFrame(() => {
    item.frame = 0;
    if (item.done) return;
    withScroll(() => showMarkdown(item));
  });
}

/** @param {Item} item @param {string} text */
export function setFinal(item, text) {
  if (item.frame) {
    cancelAnimationFrame(item.frame);
    item.frame = 0;
  }
  item.done = true;
  item.text = text;
  item.el.classList.remove("streaming");
  item.el.removeAttribute("aria-busy");
  if (item.tag.textContent === "typing…" || item.tag.textContent === "thinking…") setTag(item, "");
  withScroll(() => showMarkdown(item));
  if (item.role === "assistant" && text) showAnswerActions(item);
}

/** @param {Item} item */
function showMarkdown(item) {
  item.body.replaceChildren(renderMarkdown(item.text));
  addCodeCopy(item.body);
}

/**
 * Shows a turn's answer as the API gave it: its final text (in the item its stream built, if
 * any) and the tools it used.
 * @param {View} v
 * @param {import("./api.js").ChatReply} answer
 * @returns {Item}
 */
export function showReply(v, answer) {
  const id = String(answer.reply.id);
  const item = v.items.get(id) || addItem(v, { id: id, role: "assistant", text: "" });
  setFinal(item, typeof answer.reply.text === "string" ? answer.reply.text : item.text);
  showToolCalls(item, answer.toolCalls);
  return item;
}

/**
 * @param {Item} item
 * @param {import("./api.js").ToolCall[]} calls
 */
export function showToolCalls(item, calls) {
  if (!Array.isArray(calls) || !calls.length) return;
  const old = item.main.querySelector(".tools");
  if (old) old.remove();
  const chips = calls
    .filter((c) => c?.name)
    .map((c) =>
      h("span", { class: `chip${c.ok ? "" : " bad"}`, text: (c.ok ? "✓ " : "✗ ") + c.name, title: c.ok ? "tool ran" : "tool failed" }),
    );
  const label = h("span", { class: "sr-only", text: "Tools used:" });
  item.main.append(h("div", { class: "tools" }, label, ...chips));
}

/**
 * Gives an item the server's id; when the view already shows that id, drops this one for it.
 * @param {View} v
 * @param {Item} item
 * @param {string} id
 * @returns {Item}
 */
export function rekey(v, item, id) {
  const existing = v.items.get(id);
  if (existing && existing !== item) {
    removeItem(v, item);
    return existing;
  }
  v.items.delete(item.id);
  item.id = id;
  item.el.setAttribute("data-id", id);
  v.items.set(id, item);
  return item;
}

/** @param {View} v @param {Item} item */
export function removeItem(v, item) {
  if (v.items.get(item.id) === item) v.items.delete(item.id);
  item.el.remove();
}

/**
 * Whether the item is still on screen in the open view.
 * @param {Item | null | undefined} item
 * @returns {item is Item}
 */
export function live(item) {
  return !!item && item.view === state.view && item.view.items.get(item.id) === item;
}

// @ts-check
/* The sidebar: your name, the channels, the open channel's threads, and the narrow-screen menu. */
import { getChannels, getThreads, messageOf } from "./api.js";
import { h, toast, ui } from "./dom.js";
import { CHANNEL_RE, hashFor, relTime } from "./format.js";
import { LS_CHANNELS, LS_USER, saveJson, state } from "./state.js";
import { renderHeader } from "./status.js";

/* ----- channels ----- */

/** @returns {{ name: string, threads: number }[]} the server's channels and ours, by name */
export function allChannels() {
  /** @type {Map<string, { name: string, threads: number }>} */
  const byName = new Map();
  for (const c of state.channels) byName.set(c.name, c);
  for (const n of state.localChannels) if (!byName.has(n)) byName.set(n, { name: n, threads: 0 });
  if (state.channel && !byName.has(state.channel)) byName.set(state.channel, { name: state.channel, threads: 0 });
  return Array.from(byName.values()).sort((a, b) => a.name.localeCompare(b.name));
}

export function renderChannels() {
  const items = allChannels().map((c) => {
    const a = h(
      "a",
      { href: hashFor(c.name, null), "aria-current": c.name === state.channel ? "page" : null },
      h("span", { class: "name", text: `# ${c.name}` }),
      c.threads ? h("span", { class: "meta" }, String(c.threads), h("span", { class: "sr-only", text: " threads" })) : null,
    );
    return h("li", null, a);
  });
  ui.channelList.replaceChildren(...items);
}

export async function loadChannels() {
  try {
    const list = await getChannels();
    state.channels = Array.isArray(list) ? list.filter((c) => c && typeof c.name === "string") : [];
    const known = new Set(state.channels.map((c) => c.name));
    const before = state.localChannels.length;
    state.localChannels = state.localChannels.filter((n) => !known.has(n));
    if (state.localChannels.length !== before) saveJson(LS_CHANNELS, state.localChannels);
  } catch (e) {
    toast(`Could not load channels: ${messageOf(e)}`);
  }
  renderChannels();
}

/** Lists a channel made here until the server lists it. @param {string} name */
export function addLocalChannel(name) {
  if (state.localChannels.indexOf(name) < 0 && !state.channels.some((c) => c.name === name)) {
    state.localChannels.push(name);
    saveJson(LS_CHANNELS, state.localChannels);
  }
  renderChannels();
}

/* ----- threads ----- */

export function renderThreads() {
  const ch = state.channel;
  ui.threadsHeading.textContent = ch ? `Threads in #${ch}` : "Threads";
  ui.newThread.setAttribute("href", ch ? hashFor(ch, null) : "#");
  const v = state.view;
  const rows = [];
  if (ch && v && !v.thread) {
    rows.push(
      h("li", null, h("a", { href: hashFor(ch, null), "aria-current": "page" }, h("span", { class: "name", text: "New conversation" }))),
    );
  }
  for (const t of state.threads) {
    const unread = state.unread.has(t.thread);
    const a = h(
      "a",
      {
        href: hashFor(ch ?? "", t.thread),
        "aria-current": v && v.thread === t.thread ? "page" : null,
        class: unread ? "unread" : null,
        title: t.title || "",
      },
      h("span", { class: "name", text: t.title || "Untitled thread" }),
      h("span", { class: "meta", text: relTime(t.updatedAt) }),
      unread ? h("span", { class: "sr-only", text: "(new activity)" }) : null,
    );
    rows.push(h("li", null, a));
  }
  ui.threadList.replaceChildren(...rows);
  ui.threadsEmpty.hidden = state.threads.length > 0 || !state.threadsLoaded;
  ui.threadsEmpty.textContent = state.threadsError || "No threads yet. Send a message to start one.";
  if (v) renderHeader();
}

export async function loadThreads() {
  const ch = state.channel;
  if (ch == null) return;
  const gen = ++state.threadsGen;
  try {
    const list = await getThreads(ch);
    if (gen !== state.threadsGen) return;
    /** @type {import("./state.js").ThreadEntry[]} */
    const fresh = Array.isArray(list)
      ? list.filter((t) => t && t.thread != null).map((t) => ({ thread: String(t.thread), title: t.title, updatedAt: t.updatedAt }))
      : [];
    // Keep threads we created optimistically that the server does not list yet.
    const listed = new Set(fresh.map((t) => t.thread));
    for (const t of state.threads) if (t.optimistic && !listed.has(t.thread)) fresh.unshift(t);
    state.threads = fresh;
    state.threadsLoaded = true;
    state.threadsError = "";
  } catch (e) {
    if (gen !== state.threadsGen) return;
    state.threadsLoaded = true;
    state.threadsError = `Could not load threads: ${messageOf(e)}`;
  }
  renderThreads();
}

let refreshTimer = 0;

/** Reloads the threads and channels soon, once for a burst of changes. */
export function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => {
    loadThreads();
    loadChannels();
  }, 400);
}

/** Whether a thread is one this page already knows, rather than a new one of ours. @param {string} thread */
export function knownThread(thread) {
  if (state.foreignThreads.has(thread)) return true;
  if (state.view && state.view.thread === thread) return true;
  if (state.threads.some((t) => t.thread === thread)) return true;
  return state.pending.some((p) => p.thread === thread);
}

/** @param {string} thread */
export function markUnread(thread) {
  if (!thread || (state.view && state.view.thread === thread)) return;
  if (!state.unread.has(thread)) {
    state.unread.add(thread);
    renderThreads();
  }
}

/* ----- the sidebar's own controls ----- */

function storedUserName() {
  try {
    return localStorage.getItem(LS_USER) || "";
  } catch {
    return "";
  }
}

export function closeSidebar() {
  ui.sidebar.classList.remove("open");
  ui.menuBtn.setAttribute("aria-expanded", "false");
}

export function wireSidebar() {
  ui.newChannel.addEventListener("input", () => {
    ui.newChannel.removeAttribute("aria-invalid");
    ui.newChannelError.hidden = true;
  });
  ui.newChannelForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const name = ui.newChannel.value.trim().toLowerCase().replace(/\s+/g, "-").replace(/^#/, "");
    if (!CHANNEL_RE.test(name)) {
      ui.newChannel.setAttribute("aria-invalid", "true");
      ui.newChannelError.textContent = name ? "Use lower case letters, digits, - and _ (up to 80 characters)." : "Type a channel name.";
      ui.newChannelError.hidden = false;
      ui.newChannel.focus();
      return;
    }
    ui.newChannel.value = "";
    addLocalChannel(name);
    location.hash = hashFor(name, null);
    closeSidebar();
    ui.input.focus();
  });

  ui.userName.value = storedUserName() || "you";
  ui.userName.addEventListener("change", () => {
    const name = ui.userName.value.trim() || "you";
    ui.userName.value = name;
    try {
      localStorage.setItem(LS_USER, name);
    } catch {
      /* ignore */
    }
  });

  ui.menuBtn.addEventListener("click", () => {
    const open = !ui.sidebar.classList.contains("open");
    ui.sidebar.classList.toggle("open", open);
    ui.menuBtn.setAttribute("aria-expanded", String(open));
    if (open) ui.userName.focus();
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && ui.sidebar.classList.contains("open")) {
      closeSidebar();
      ui.menuBtn.focus();
    }
  });
}

// @ts-check
/* What the console knows: channels, threads, the open view, sends in flight and streamed replies. */
import { ui } from "./dom.js";
import { CHANNEL_RE } from "./format.js";

export const LS_USER = "quorum.user";
export const LS_CHANNELS = "quorum.localChannels";
export const LS_LAST = "quorum.lastChannel";
export const LS_NOTICE = "quorum.dismissedMissing";

/**
 * A message shown in a view.
 * @typedef {object} Item
 * @property {string} id
 * @property {string} role "user", "assistant", "system", "progress" or "approval"
 * @property {View} view
 * @property {HTMLElement} el
 * @property {HTMLElement} body
 * @property {HTMLElement} main
 * @property {HTMLElement} tag
 * @property {string} text
 * @property {boolean} done
 * @property {boolean} ephemeral shown here only, never stored by the server
 * @property {{ text: string, user: string } | null} unsent a send that got no answer: maybe stored, maybe not
 * @property {number} frame the pending animation frame of a streamed render; 0 when none
 */

/**
 * What the main pane shows: a thread, or a new conversation whose first message makes one.
 * @typedef {object} View
 * @property {number} key
 * @property {string} channel
 * @property {string | null} thread
 * @property {Map<string, Item>} items
 * @property {import("./format.js").Deferred<string | null> | null} threadReady the first send's thread, once known
 */

/**
 * A message sent that POST /api/chat has not answered yet.
 * @typedef {object} Pending
 * @property {number} id
 * @property {string} sendId the id sent with it: a Retry sends it again
 * @property {string} channel
 * @property {string | null} thread
 * @property {string} text
 * @property {string} user
 * @property {number} viewKey
 * @property {string} createdAt
 * @property {string | null} userMsgId the server's id of the message, once known
 * @property {string | null} messageId the server's id of the reply, once known
 * @property {boolean} sent
 * @property {string} localUserId
 * @property {string} placeholderId
 * @property {Item} [userItem]
 * @property {Item} [placeholderItem]
 */

/**
 * A reply streaming in. `stale`: no delta since the socket came back, so its turn may be gone (the
 * server restarted); it shows again when one comes.
 * @typedef {{ channel: string | null, thread: string, text: string, stale?: boolean }} Stream
 */
/** @typedef {import("./api.js").ThreadSummary & { optimistic?: boolean }} ThreadEntry */

/** @param {string} key @returns {unknown} null when absent or unreadable */
function loadJson(key) {
  try {
    return JSON.parse(localStorage.getItem(key) || "null");
  } catch {
    return null;
  }
}

/** @param {string} key @param {unknown} value */
export function saveJson(key, value) {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    /* private mode */
  }
}

const storedChannels = loadJson(LS_CHANNELS);

export const state = {
  /** @type {import("./api.js").ChannelSummary[]} from GET /api/channels */
  channels: [],
  /** @type {string[]} channels made here that the server does not list yet */
  localChannels: Array.isArray(storedChannels) ? storedChannels.filter((c) => typeof c === "string" && CHANNEL_RE.test(c)) : [],
  /** @type {string | null} */
  channel: null,
  /** @type {ThreadEntry[]} threads of state.channel, newest first */
  threads: [],
  threadsGen: 0,
  threadsLoaded: false,
  threadsError: "",
  /** @type {Set<string>} threads of this channel with activity not seen */
  unread: new Set(),
  /** @type {Set<string>} threads seen in events that are not ours (another tab or user) */
  foreignThreads: new Set(),
  /** @type {View | null} what the main pane shows */
  view: null,
  /** @type {Pending[]} sends awaiting POST /api/chat */
  pending: [],
  /** @type {Map<string, Stream>} messageId -> what has streamed so far */
  streams: new Map(),
  /** @type {Set<string>} messageIds whose final text is known */
  doneIds: new Set(),
};

/** Its final text is known: its stream is over, and later deltas for it are stale. Keeps the last 500. @param {string} id */
export function rememberDone(id) {
  state.streams.delete(id);
  state.doneIds.add(id);
  if (state.doneIds.size > 500) {
    const oldest = state.doneIds.values().next().value;
    if (oldest !== undefined) state.doneIds.delete(oldest);
  }
}

let seq = 0;

/** A number no other view, send or command of this page has. */
export function nextSeq() {
  seq += 1;
  return seq;
}

export function userName() {
  return ui.userName.value.trim() || "you";
}

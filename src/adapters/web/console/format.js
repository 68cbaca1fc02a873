// @ts-check
/* How times, names and the page's addresses (#channel/thread) are written and read. */

export const CHANNEL_RE = /^[a-z0-9_-]{1,80}$/;

/**
 * @param {string | number | null | undefined} v an ISO date, or seconds or milliseconds since 1970
 * @returns {Date | null}
 */
export function toDate(v) {
  if (v == null || v === "") return null;
  const d = typeof v === "number" ? new Date(v < 1e12 ? v * 1000 : v) : new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** @param {string | number | null | undefined} v */
export function clockTime(v) {
  const d = toDate(v);
  return d ? d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" }) : "";
}

/** The local time as 24-hour HH:MM. @param {string | number | null | undefined} v */
export function hourMinute(v) {
  const d = toDate(v);
  return d ? `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}` : "";
}

/**
 * What became of a call that waited for approval, in one line.
 * @param {import("./api.js").ApprovalState} outcome
 * @param {string | undefined} by who decided; none when it expired
 * @param {string | number} at when
 */
export function decisionLine(outcome, by, at) {
  if (outcome === "expired") return `Expired at ${hourMinute(at)}: nobody decided in time, so it counts as denied.`;
  return `${outcome === "approved" ? "Approved" : "Denied"} by ${by || "someone"} at ${hourMinute(at)}`;
}

/** A call's arguments as text: its JSON, indented, or the text the model sent. @param {unknown} args */
export function argsText(args) {
  if (typeof args === "string") return args;
  return JSON.stringify(args, null, 2) ?? String(args);
}

/** @param {string | number | null | undefined} v */
export function relTime(v) {
  const d = toDate(v);
  if (!d) return "";
  const s = (Date.now() - d.getTime()) / 1000;
  if (s < 60) return "now";
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  if (s < 7 * 86400) return d.toLocaleDateString(undefined, { weekday: "short" });
  return d.toLocaleDateString(undefined, { month: "short", day: "numeric" });
}

/** A stable hue for a user's avatar. @param {string} name */
export function hue(name) {
  let x = 0;
  for (let i = 0; i < name.length; i++) x = (x * 31 + name.charCodeAt(i)) % 360;
  return x;
}

/**
 * @param {string | null | undefined} s
 * @param {number} n
 */
export function truncate(s, n) {
  const text = String(s || "")
    .replace(/\s+/g, " ")
    .trim();
  return text.length > n ? `${text.slice(0, n - 1)}…` : text;
}

/**
 * @param {string} channel
 * @param {string | null} thread
 */
export function hashFor(channel, thread) {
  return `#${encodeURIComponent(channel)}${thread ? `/${encodeURIComponent(thread)}` : ""}`;
}

/** @returns {{ channel: string, thread: string | null } | null} what the address bar points at */
export function parseHash() {
  const raw = location.hash.replace(/^#/, "");
  if (!raw) return null;
  const i = raw.indexOf("/");
  try {
    const channel = decodeURIComponent(i < 0 ? raw : raw.slice(0, i));
    const thread = i < 0 ? "" : decodeURIComponent(raw.slice(i + 1));
    if (!CHANNEL_RE.test(channel)) return null;
    return { channel: channel, thread: thread || null };
  } catch {
    return null;
  }
}

/**
 * @template T
 * @typedef {{ promise: Promise<T>, resolve: (value: T) => void }} Deferred
 */

/**
 * A promise with its resolve function beside it.
 * @template T
 * @returns {Deferred<T>}
 */
export function deferred() {
  /** @type {(value: T) => void} */
  let resolve = () => {};
  /** @type {Promise<T>} */
  const promise = new Promise((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

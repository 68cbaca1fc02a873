// @ts-check
/* The top bar and what it reports: the view's title, the server's health and the live connection. */
import { h, ui } from "./dom.js";
import { truncate } from "./format.js";
import { LS_NOTICE, state } from "./state.js";

/** @typedef {import("./api.js").Health} Health */

export function renderHeader() {
  const v = state.view;
  if (!v) return;
  const t = v.thread ? state.threads.find((x) => x.thread === v.thread) : undefined;
  ui.title.textContent = v.thread ? (t?.title ? t.title : "Thread") : "New conversation";
  ui.sub.textContent = `#${v.channel}${v.thread ? " · thread" : " · your first message starts a thread"}`;
  ui.input.placeholder = v.thread ? "Reply in thread" : `Message #${v.channel}`;
  document.title = `${v.thread && t?.title ? `${truncate(t.title, 40)} · ` : ""}#${v.channel} · Quorum`;
}

export async function checkHealth() {
  /** @type {Health | null} */
  let data = null;
  let failure = "";
  try {
    const res = await fetch("/api/health", { headers: { accept: "application/json" } });
    try {
      data = /** @type {Health} */ (await res.json());
    } catch {
      data = null;
    }
    if (!data || typeof data !== "object") failure = `The server answered /api/health with HTTP ${res.status}.`;
  } catch {
    failure = "Cannot reach the Quorum server. Is it running?";
  }
  renderHealth(data, failure);
}

/**
 * @param {Health | null} data
 * @param {string} failure why there is no health to show; empty when there is
 */
function renderHealth(data, failure) {
  const ok = !failure && data ? data : null;
  const dot = ui.healthDot;
  dot.className = `dot ${!ok ? "bad" : ok.status === "ok" ? "ok" : "warn"}`;
  dot.setAttribute("aria-label", !ok ? "Server unreachable" : `Server status: ${ok.status}`);

  const rows = [];
  if (!ok) rows.push(h("li", null, h("span", { class: "dot bad" }), h("span", { text: "server unreachable" })));
  else {
    for (const k of /** @type {const} */ (["db", "redis", "llm"])) {
      const val = ok[k] == null ? "unknown" : String(ok[k]);
      const good = val === "ok";
      rows.push(
        h(
          "li",
          null,
          h("span", { class: `dot ${good ? "ok" : "warn"}`, "aria-hidden": "true" }),
          h("span", { text: `${k}: ${good ? "ok" : truncate(val, 90)}`, title: val }),
        ),
      );
    }
  }
  ui.healthList.replaceChildren(...rows);

  // Banner: server unreachable first, then the LLM.
  if (!ok) {
    ui.banner.className = "banner bad";
    ui.banner.replaceChildren(h("strong", { text: "Offline." }), failure);
    ui.banner.hidden = false;
  } else if (ok.llm != null && ok.llm !== "ok" && !String(ok.llm).startsWith("not checked")) {
    ui.banner.className = "banner";
    ui.banner.replaceChildren(h("strong", { text: "The assistant cannot answer yet." }), String(ok.llm));
    ui.banner.hidden = false;
  } else {
    ui.banner.hidden = true;
  }

  // Slack's and Discord's settings serve other platforms: the console needs none of them.
  const missing = ok && Array.isArray(ok.missing) ? ok.missing.map(String).filter((m) => m && !/^(Slack|Discord):/.test(m)) : [];
  const key = missing.slice().sort().join(",");
  if (missing.length && localStorage.getItem(LS_NOTICE) !== key) {
    /** @type {(string | Node)[]} */
    const parts = ["Settings not set: "];
    missing.forEach((m, i) => {
      if (i) parts.push(", ");
      parts.push(h("code", { text: m }));
    });
    parts.push(". Set them in the environment or .env and restart.");
    ui.noticeText.replaceChildren(...parts);
    ui.notice.dataset.key = key;
    ui.notice.hidden = false;
  } else {
    ui.notice.hidden = true;
  }
}

export function wireNotice() {
  ui.noticeClose.addEventListener("click", () => {
    try {
      localStorage.setItem(LS_NOTICE, ui.notice.dataset.key || "");
    } catch {
      /* ignore */
    }
    ui.notice.hidden = true;
    ui.input.focus();
  });
}

/**
 * @param {"connecting" | "live" | "retry"} kind
 * @param {string} text
 * @param {{ label: string, run: () => void }} [action] a button beside the text
 */
export function setConn(kind, text, action) {
  const dot = ui.conn.querySelector(".dot");
  if (dot) dot.className = `dot ${kind === "live" ? "ok" : kind === "retry" ? "bad" : "warn"}`;
  ui.connText.textContent = text;
  const old = ui.conn.querySelector("button");
  if (old) old.remove();
  if (action) {
    const b = h("button", { class: "link-btn", type: "button" }, action.label);
    b.addEventListener("click", action.run);
    ui.conn.append(b);
  }
}

// @ts-check
/* The page's elements, an element builder, and error toasts. */

/**
 * @template {HTMLElement} T
 * @param {string} id
 * @param {{ new (): T }} type what the markup has there
 * @returns {T}
 */
function byId(id, type) {
  const node = document.getElementById(id);
  if (!(node instanceof type)) throw new Error(`console.html has no element #${id} of the expected kind`);
  return node;
}

// Module scripts run once the document is parsed, so every element is there.
export const ui = {
  sidebar: byId("sidebar", HTMLElement),
  menuBtn: byId("menu-btn", HTMLButtonElement),
  logout: byId("logout", HTMLButtonElement),
  healthDot: byId("health-dot", HTMLSpanElement),
  healthList: byId("health-list", HTMLUListElement),
  userName: byId("user-name", HTMLInputElement),
  channelList: byId("channel-list", HTMLUListElement),
  newChannelForm: byId("new-channel-form", HTMLFormElement),
  newChannel: byId("new-channel", HTMLInputElement),
  newChannelError: byId("new-channel-error", HTMLParagraphElement),
  threadsHeading: byId("threads-heading", HTMLHeadingElement),
  threadList: byId("thread-list", HTMLUListElement),
  threadsEmpty: byId("threads-empty", HTMLParagraphElement),
  newThread: byId("new-thread", HTMLAnchorElement),
  title: byId("view-title", HTMLHeadingElement),
  sub: byId("view-sub", HTMLParagraphElement),
  conn: byId("conn", HTMLDivElement),
  connText: byId("conn-text", HTMLSpanElement),
  banner: byId("banner", HTMLDivElement),
  skip: byId("skip", HTMLAnchorElement),
  notice: byId("notice", HTMLElement),
  noticeText: byId("notice-text", HTMLSpanElement),
  noticeClose: byId("notice-close", HTMLButtonElement),
  messages: byId("messages", HTMLDivElement),
  jump: byId("jump", HTMLButtonElement),
  composer: byId("composer", HTMLFormElement),
  input: byId("composer-input", HTMLTextAreaElement),
  stop: byId("stop", HTMLButtonElement),
  toasts: byId("toasts", HTMLDivElement),
};

/** @typedef {string | number | boolean | null | undefined} AttrValue */

/**
 * Builds an element. `text` sets its text; any other attribute is set to its value,
 * `true` sets it empty, and `null`, `undefined` or `false` leave it out.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, AttrValue> | null} [attrs]
 * @param {...(Node | string | null | undefined)} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  if (attrs) {
    for (const [k, value] of Object.entries(attrs)) {
      if (value == null || value === false) continue;
      if (k === "text") node.textContent = String(value);
      else node.setAttribute(k, value === true ? "" : String(value));
    }
  }
  for (const c of children) {
    if (c == null) continue;
    node.append(typeof c === "string" ? document.createTextNode(c) : c);
  }
  return node;
}

/** Shows an error in the corner for ten seconds; at most four at a time. @param {string} message */
export function toast(message) {
  const text = h("span", { text: message });
  const close = h("button", { class: "icon-btn", type: "button", "aria-label": "Dismiss error" }, "×");
  const node = h("div", { class: "toast", role: "alert" }, text, close);
  const remove = () => {
    clearTimeout(timer);
    node.remove();
  };
  const timer = setTimeout(remove, 10000);
  close.addEventListener("click", remove);
  ui.toasts.append(node);
  while (ui.toasts.children.length > 4) ui.toasts.firstElementChild?.remove();
}

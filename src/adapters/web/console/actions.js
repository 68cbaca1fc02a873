// @ts-check
/* What a person can do with an answer: copy it (as the Markdown it was written in), copy a code
   block of it, and have the newest answered again. */
import { h, toast } from "./dom.js";

/** @typedef {import("./state.js").Item} Item */

/** @param {string} text @param {HTMLButtonElement} button says "Copied" for a moment */
async function copy(text, button) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    toast("Could not copy: the browser refused access to the clipboard.");
    return;
  }
  const label = button.textContent;
  button.textContent = "Copied";
  setTimeout(() => {
    button.textContent = label;
  }, 1500);
}

/** Gives each code block of a rendered message a button that copies its code. @param {HTMLElement} body */
export function addCodeCopy(body) {
  for (const pre of body.querySelectorAll("pre")) {
    const button = h("button", { class: "link-btn code-copy", type: "button" }, "Copy code");
    button.addEventListener("click", () => copy(pre.textContent ?? "", button));
    const block = h("div", { class: "code-block" });
    pre.replaceWith(block);
    block.append(button, pre);
  }
}

/** @type {((item: Item) => Promise<void>) | null} regenerate.js, set by main.js (it needs items.js, which needs this) */
let regenerateHandler = null;

/** @param {(item: Item) => Promise<void>} handler */
export function onRegenerate(handler) {
  regenerateHandler = handler;
}

/** The buttons under a finished answer; Regenerate only under the thread's newest. @param {Item} item */
export function showAnswerActions(item) {
  item.main.querySelector(".msg-actions")?.remove();
  const copyButton = h("button", { class: "link-btn", type: "button" }, "Copy");
  copyButton.addEventListener("click", () => copy(item.text, copyButton));
  const actions = h("div", { class: "msg-actions" }, copyButton);
  const handler = regenerateHandler;
  if (handler && item.view.thread && !item.ephemeral) {
    for (const other of item.view.items.values()) other.main.querySelector(".regenerate")?.remove();
    const again = h("button", { class: "link-btn regenerate", type: "button" }, "Regenerate");
    again.addEventListener("click", () => {
      again.disabled = true;
      handler(item).finally(() => {
        again.disabled = false;
      });
    });
    actions.append(again);
  }
  item.main.append(actions);
}

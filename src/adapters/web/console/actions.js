// @ts-check
/* What a person can do with an answer: copy it (as the Markdown it was written in), and copy a
   code block of it. */
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

/** The buttons under a finished answer. @param {Item} item */
export function showAnswerActions(item) {
  item.main.querySelector(".msg-actions")?.remove();
  const copyButton = h("button", { class: "link-btn", type: "button" }, "Copy");
  copyButton.addEventListener("click", () => copy(item.text, copyButton));
  item.main.append(h("div", { class: "msg-actions" }, copyButton));
}

// @ts-check
/* Markdown as the console shows it: marked (GitHub's dialect: lists, tables, quotes, code) turns
   it into HTML, DOMPurify keeps only safe markup. HTML typed into the text is shown as text. Both
   are served from node_modules by the server (console-files.ts). */
import { Marked } from "./marked.js";
import DOMPurify from "./purify.es.mjs";

/** @type {Record<string, string>} */
const ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** @param {string} text */
const escapeHtml = (text) => text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);

const marked = new Marked({
  gfm: true,
  // A chat message's single line breaks are meant as such.
  breaks: true,
  renderer: {
    html: (token) => escapeHtml(token.text),
  },
});

// Links open beside the console, and tell the other site nothing.
DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A") {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer");
  }
});

/**
 * The message as safe elements, ready to put in its body.
 * @param {string} source
 * @returns {DocumentFragment}
 */
export function renderMarkdown(source) {
  const html = marked.parse(source, { async: false });
  return DOMPurify.sanitize(html, { RETURN_DOM_FRAGMENT: true });
}

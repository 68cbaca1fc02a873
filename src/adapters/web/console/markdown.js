// @ts-check
/* A safe Markdown subset. Pure: no DOM, so test/console-page.test.ts imports it as it is. */

/** @type {Record<string, string>} */
const ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** @param {unknown} value */
function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

/**
 * @param {string} url already escaped
 * @param {string} label already escaped
 */
function link(url, label) {
  return `<a href="${url}" target="_blank" rel="noopener noreferrer">${label}</a>`;
}

/** @param {string} s */
function emphasis(s) {
  return s
    .replace(/\*\*(?=\S)([^\n]*?\S)\*\*/g, "<strong>$1</strong>")
    .replace(/(^|[^\w])__(?=\S)([^\n]*?\S)__(?!\w)/g, "$1<strong>$2</strong>")
    .replace(
      /(^|[^*\w])\*(?=[^\s*])([^*\n]*?[^\s*])?\*(?![*\w])/g,
      (/** @type {string} */ match, /** @type {string} */ pre, /** @type {string | undefined} */ body) => {
        return body === undefined ? match : `${pre}<em>${body}</em>`;
      },
    )
    .replace(
      /(^|[^\w])_(?=[^\s_])([^_\n]*?[^\s_])?_(?!\w)/g,
      (/** @type {string} */ match, /** @type {string} */ pre, /** @type {string | undefined} */ body) => {
        return body === undefined ? match : `${pre}<em>${body}</em>`;
      },
    );
}

// URLs stop at escaped quotes and angle brackets.
const URL_BODY = "https?:\\/\\/(?:(?!&(?:lt|gt|quot|#39);)[^\\s\\u0000\\u0001])+";

/**
 * Escapes everything first; every tag emitted below wraps text that is already escaped.
 * Finished pieces are held aside as NUL, an index and SOH (NUL b for blocks), so later
 * rules cannot touch them; the input's own NUL, SOH and STX are dropped first.
 * @param {unknown} source
 * @returns {string}
 */
export function renderMarkdown(source) {
  const lines = String(source == null ? "" : source).replace(/\r\n?/g, "\n");
  // biome-ignore lint/suspicious/noControlCharactersInRegex: drops the characters that mark held pieces
  const text = lines.replace(/[\u0000-\u0002]/g, "");
  /** @type {string[]} */
  const slots = [];
  /**
   * @param {string} html
   * @param {boolean} [block]
   */
  const hold = (html, block) => {
    slots.push(html);
    return `\u0000${block ? "b" : ""}${slots.length - 1}\u0001`;
  };

  let s = escapeHtml(text);
  // Fenced code blocks (an unclosed fence runs to the end, which suits streamed text).
  s = s.replace(
    /(^|\n)```([^\n`]*)\n([\s\S]*?)(?:\n?```[ \t]*(?=\n|$)|$)/g,
    (/** @type {string} */ _match, /** @type {string} */ pre, /** @type {string} */ lang, /** @type {string} */ code) => {
      const label = lang.trim() ? `<span class="lang">${lang.trim()}</span>` : "";
      return pre + hold(`<pre>${label}<code>${code}</code></pre>`, true);
    },
  );
  s = s.replace(/`([^`\n]+)`/g, (/** @type {string} */ _match, /** @type {string} */ code) => hold(`<code>${code}</code>`));
  s = s.replace(
    new RegExp(`\\[([^\\]\\n]+)\\]\\((${URL_BODY.replace("[^\\s", "[^\\s)")})\\)`, "g"),
    (/** @type {string} */ _match, /** @type {string} */ label, /** @type {string} */ url) => {
      return hold(link(url, emphasis(label)));
    },
  );
  s = s.replace(
    new RegExp(`(^|[\\s(]|&lt;)(${URL_BODY})`, "g"),
    (/** @type {string} */ _match, /** @type {string} */ pre, /** @type {string} */ url) => {
      const trail = /[.,:;!?)\]'"*_]+$/.exec(url);
      const tail = trail ? trail[0] : "";
      const href = tail ? url.slice(0, -tail.length) : url;
      return pre + hold(link(href, href)) + tail;
    },
  );
  s = s.replace(/^#{1,6} +(.+)$/gm, '<strong class="h">$1</strong>');
  s = emphasis(s);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finds held blocks, to drop the line breaks around them
  s = s.replace(/\n?(\u0000b\d+\u0001)\n?/g, "$1");
  s = s.replace(/\n/g, "<br>");
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finds held pieces left to put back
  for (let i = 0; i < 4 && /\u0000/.test(s); i++) {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: puts the held pieces back
    s = s.replace(/\u0000b?(\d+)\u0001/g, (/** @type {string} */ _match, /** @type {string} */ n) => slots[Number(n)] ?? _match);
  }
  return s;
}

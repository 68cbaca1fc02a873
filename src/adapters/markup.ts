/**
 * Renders the markup `pattern` finds in `text` through `render`, and the text between through
 * `plain`. A match `render` answers undefined for (a mention of the bot, which only addressed it)
 * is left out with the spaces that set it apart, so "ask @bot about it" reads "ask about it".
 * The result is trimmed.
 */
export function renderMarkup(
  text: string,
  pattern: RegExp,
  render: (match: RegExpMatchArray) => string | undefined,
  plain: (text: string) => string = (t) => t,
): string {
  let out = "";
  let dropped = false;
  let last = 0;
  const add = (piece: string) => {
    if (dropped) {
      piece = piece.replace(/^[ \t]+/, "");
      if (piece === "") return;
      if (out !== "" && !/\s$/.test(out) && !/^[\s,.;:!?)]/.test(piece)) out += " ";
      dropped = false;
    }
    out += piece;
  };
  for (const match of text.matchAll(pattern)) {
    add(plain(text.slice(last, match.index)));
    last = (match.index ?? 0) + match[0].length;
    const shown = render(match);
    if (shown === undefined) {
      out = out.replace(/[ \t]+$/, "");
      dropped = true;
    } else add(shown);
  }
  add(plain(text.slice(last)));
  return out.trim();
}

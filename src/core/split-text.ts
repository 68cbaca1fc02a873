const FENCE = /^\s*(```+|~~~+)(.*)$/;

/**
 * Splits a long Markdown answer into pieces of at most `limit` characters, preferring paragraph
 * breaks, then line breaks, then spaces. A code block cut in two is closed at the end of one
 * piece and reopened, with its language, at the start of the next, so every piece renders.
 */
export function splitText(text: string, limit: number): string[] {
  if (limit < 40) throw new RangeError("limit must leave room for code fences");
  const pieces: string[] = [];
  let rest = text;
  let reopen = "";
  while (reopen.length + rest.length > limit) {
    const budget = limit - reopen.length;
    let cut = chooseCut(rest, budget);
    let piece = rest.slice(0, cut);
    let fence = openFenceAfter(reopen + piece);
    // Leave room to close an open code block inside this piece.
    while (fence && reopen.length + piece.length + 1 + fence.marker.length > limit) {
      cut = chooseCut(rest, cut - fence.marker.length - 1);
      piece = rest.slice(0, cut);
      fence = openFenceAfter(reopen + piece);
    }
    const body = (reopen + piece).replace(/\s+$/, "");
    pieces.push(fence ? `${body}\n${fence.marker}` : body);
    rest = rest.slice(cut).replace(/^\n+/, "");
    reopen = fence ? `${fence.marker}${fence.info}\n` : "";
  }
  const last = (reopen + rest).trim() === "" ? "" : reopen + rest;
  if (last.trim() !== "" || pieces.length === 0) pieces.push(last);
  return pieces;
}

function chooseCut(text: string, budget: number): number {
  const window = text.slice(0, budget + 1);
  for (const separator of ["\n\n", "\n", " "]) {
    const at = window.lastIndexOf(separator);
    // A break in the first third would leave tiny pieces; cut harder instead.
    if (at > budget / 3) return at + (separator === " " ? 1 : 0);
  }
  return budget;
}

/** The fence still open at the end of `text`, if any. */
function openFenceAfter(text: string): { marker: string; info: string } | undefined {
  let open: { marker: string; info: string } | undefined;
  for (const line of text.split("\n")) {
    const match = FENCE.exec(line);
    if (!match) continue;
    const marker = match[1]!;
    if (!open) open = { marker, info: match[2]!.trim() };
    else if (marker.startsWith(open.marker[0]!) && marker.length >= open.marker.length && match[2]!.trim() === "") open = undefined;
  }
  return open;
}

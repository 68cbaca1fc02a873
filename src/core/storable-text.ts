/**
 * Postgres text and jsonb cannot hold U+0000. Text that can carry it (a user's message, a model's
 * output, a tool's result) has it replaced by U+FFFD, the mark of a character that was not kept,
 * before it is stored or shown, so the message is kept instead of failing its insert.
 */
export function storableText(text: string): string {
  return text.includes("\u0000") ? text.replaceAll("\u0000", "\uFFFD") : text;
}

/** `JSON.parse`, with U+0000 in every string (a `\u0000` escape parses to one) made storable. */
export function parseStorableJson(json: string): unknown {
  // A reviver slows every parse; only text that can yield U+0000 needs one.
  if (!json.includes("\\u0000") && !json.includes("\u0000")) return JSON.parse(json);
  return JSON.parse(json, (_key, value: unknown) => (typeof value === "string" ? storableText(value) : value));
}

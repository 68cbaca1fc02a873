const SECRET_WORD = "pass(?:word)?|secret|token|api[-_]?key|authori[sz]ation|cookie|credential|private[-_]?key|signature";
const SECRET_KEY = new RegExp(SECRET_WORD, "i");
const HIDDEN = "[redacted]";

// Secrets inside free text, in the order they are replaced: an authorization scheme before
// `key: value` pairs, so `Authorization: Bearer x` cannot leave `x` behind. Quantifiers around
// key words are bounded so long runs of text cannot make them backtrack for long.
const SECRET_TEXT: [RegExp, string][] = [
  // "password": "…" in JSON that did not parse (cut short, or nested as text).
  [new RegExp(`("[^"\\\\]{0,64}(?:${SECRET_WORD})[^"\\\\]{0,64}"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*(?:"|$)`, "gi"), `$1"${HIDDEN}"`],
  // Authorization values; Discord's `Bot` scheme only before something token-sized.
  [/\b(Bearer|Basic)\s+[\w.~+/=-]+/gi, `$1 ${HIDDEN}`],
  [/\b(Bot)\s+[\w.~+/=-]{20,}/g, `$1 ${HIDDEN}`],
  // A password inside a URL: postgres://user:secret@host.
  [/\b([a-z][a-z\d+.-]{0,20}:\/\/[^\s/:@]{0,64}:)[^\s/@]{1,256}@/gi, `$1${HIDDEN}@`],
  // Key shapes: OpenAI sk-…, Slack xoxb-/xoxp-/xapp-/xoxe-…, GitHub ghp_…, JWTs, Discord bot tokens.
  [/\b(?:sk-[\w-]{8,}|xox[abeoprs]-[\w-]{8,}|xoxe\.xox[\w-]{8,}|xapp-[\w-]{8,}|gh[pousr]_\w{20,})/g, HIDDEN],
  [/\beyJ[\w-]{5,}\.eyJ[\w-]{5,}\.[\w-]*/g, HIDDEN],
  [/\b[\w-]{23,28}\.[\w-]{6}\.[\w-]{27,40}\b/g, HIDDEN],
  // Query parameters that carry credentials: ?token=…, &X-Amz-Signature=…, ?sig=…, ?api_key=….
  [/([?&;][\w.-]{0,32}(?:token|key|secret|pass(?:word)?|signature|sig|auth|credential)[\w.-]{0,32}=)[^&#\s"'<>]+/gi, `$1${HIDDEN}`],
  // password=…, token: …, api_key=… (headers, logs).
  [
    new RegExp(`\\b([\\w-]{0,32}(?:${SECRET_WORD})[\\w-]{0,32}\\s*[=:]\\s*)(?!(?:Bearer|Basic|Bot) |\\[redacted\\])[^\\s&,;"']+`, "gi"),
    `$1${HIDDEN}`,
  ],
];

/**
 * A copy of a value fit for the audit table: values under secret-looking keys are hidden, and
 * secret-looking text (tokens, keys, `password=` pairs) inside strings is scrubbed.
 */
export function redactSecrets(value: unknown): unknown {
  if (typeof value === "string") return redactText(value);
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, SECRET_KEY.test(key) ? HIDDEN : redactSecrets(inner)]));
}

/** Tool output fit for the audit table: JSON is redacted field by field, other text by pattern. */
export function redactOutput(text: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return redactText(text);
  }
  return JSON.stringify(redactSecrets(parsed));
}

/** Text with every secret-looking part (tokens, keys, credentials in URLs and pairs) hidden. */
export function redactText(text: string): string {
  return SECRET_TEXT.reduce((scrubbed, [pattern, replacement]) => scrubbed.replace(pattern, replacement), text);
}

/**
 * A scrubber that also hides the given values wherever they appear (the bot's own configured
 * keys and tokens), whatever their shape; values under 8 characters are left to the patterns.
 */
export function secretScrubber(known: readonly (string | undefined)[]): (text: string) => string {
  // Each value also as it stands inside a JSON string (a log line), where " and \ are escaped.
  const given = known.filter((value): value is string => value !== undefined && value.length >= 8);
  const values = [...new Set(given.flatMap((value) => [value, JSON.stringify(value).slice(1, -1)]))].sort((a, b) => b.length - a.length);
  return (text) => redactText(values.reduce((scrubbed, value) => scrubbed.split(value).join(HIDDEN), text));
}

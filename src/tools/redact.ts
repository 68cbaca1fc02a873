const SECRET_WORD = "pass(?:word)?|secret|token|api[-_]?key|authori[sz]ation|cookie|credential|private[-_]?key";
const SECRET_KEY = new RegExp(SECRET_WORD, "i");
const HIDDEN = "[redacted]";

// Secrets inside free text, in the order they are replaced: an authorization scheme before
// `key: value` pairs, so `Authorization: Bearer x` cannot leave `x` behind. Quantifiers around
// key words are bounded so long runs of text cannot make them backtrack for long.
const SECRET_TEXT: [RegExp, string][] = [
  // "password": "…" in JSON that did not parse (cut short, or nested as text).
  [new RegExp(`("[^"\\\\]{0,64}(?:${SECRET_WORD})[^"\\\\]{0,64}"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*(?:"|$)`, "gi"), `$1"${HIDDEN}"`],
  [/\b(Bearer|Basic)\s+[\w.~+/=-]+/gi, `$1 ${HIDDEN}`],
  // Key formats: OpenAI-style sk-…, Slack xoxb-/xoxp-/xoxa-…, GitHub ghp_….
  [/\b(?:sk-[\w-]{8,}|xox[bpa]-[\w-]{8,}|gh[pousr]_\w{20,})/g, HIDDEN],
  // password=…, token: …, api_key=… (query strings, headers, logs).
  [
    new RegExp(`\\b([\\w-]{0,32}(?:${SECRET_WORD})[\\w-]{0,32}\\s*[=:]\\s*)(?!(?:Bearer|Basic) |\\[redacted\\])[^\\s&,;"']+`, "gi"),
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

function redactText(text: string): string {
  return SECRET_TEXT.reduce((scrubbed, [pattern, replacement]) => scrubbed.replace(pattern, replacement), text);
}

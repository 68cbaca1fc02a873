import type { z } from "zod";

/**
 * `raw` is what the model sent (for the audit row); `sent` is that after repair but before zod
 * fills defaults, so policy checks see only what the caller set; `args` is the validated value.
 */
export type Checked = { ok: true; args: unknown; sent: unknown; raw: unknown } | { ok: false; error: string; raw: unknown };

/**
 * Parses and validates a call's JSON arguments. Common model slips are repaired before giving up:
 * `null` for an optional field, and an object or array sent as a JSON string.
 */
export function checkArguments(schema: z.ZodType, json: string): Checked {
  let raw: unknown;
  try {
    raw = json.trim() === "" ? {} : JSON.parse(json);
  } catch {
    return { ok: false, error: `the arguments are not valid JSON: ${json.slice(0, 200)}`, raw: json };
  }
  if (typeof raw === "string") raw = parseJsonText(raw) ?? raw;
  let candidate = raw;
  for (let attempt = 0; attempt < 4; attempt++) {
    const result = schema.safeParse(candidate);
    if (result.success) return { ok: true, args: result.data, sent: candidate, raw };
    const repaired = repair(candidate, result.error);
    if (repaired === undefined) return { ok: false, error: describeIssues(result.error), raw };
    candidate = repaired;
  }
  const last = schema.safeParse(candidate);
  return last.success ? { ok: true, args: last.data, sent: candidate, raw } : { ok: false, error: describeIssues(last.error), raw };
}

/** "fact: Too small: expected string to have >=1 characters" — the field path first, for the model. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join(".") : "(arguments)"}: ${issue.message}`).join("; ");
}

function repair(value: unknown, error: z.ZodError): unknown {
  const copy = structuredClone(value);
  let changed = false;
  for (const issue of error.issues) {
    if (issue.code !== "invalid_type" || issue.path.length === 0) continue;
    const parent = at(copy, issue.path.slice(0, -1));
    const key = issue.path.at(-1)!;
    if (parent === null || typeof parent !== "object") continue;
    const current = (parent as Record<PropertyKey, unknown>)[key as PropertyKey];
    if (current === null) {
      delete (parent as Record<PropertyKey, unknown>)[key as PropertyKey];
      changed = true;
    } else if (typeof current === "string" && (issue.expected === "object" || issue.expected === "array")) {
      const parsed = parseJsonText(current);
      if (parsed !== undefined) {
        (parent as Record<PropertyKey, unknown>)[key as PropertyKey] = parsed;
        changed = true;
      }
    }
  }
  return changed ? copy : undefined;
}

function at(value: unknown, path: PropertyKey[]): unknown {
  return path.reduce<unknown>((node, key) => (node !== null && typeof node === "object" ? (node as Record<PropertyKey, unknown>)[key] : undefined), value);
}

function parseJsonText(text: string): object | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === "object" ? parsed : undefined;
  } catch {
    return undefined;
  }
}

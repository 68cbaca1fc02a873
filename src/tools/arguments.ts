import type { z } from "zod";
import { parseStorableJson } from "../core/storable-text.js";

/**
 * `raw` is what the model sent (for the audit row); `sent` is that after repair but before zod
 * fills defaults, so policy checks see only what the caller set; `args` is the validated value.
 */
export type Checked = { ok: true; args: unknown; sent: unknown; raw: unknown } | { ok: false; error: string; raw: unknown };

/**
 * Parses and validates a call's JSON arguments. Common model slips are repaired before giving up:
 * `null` for an optional field, an object or array sent as a JSON string, and the reverse.
 */
export function checkArguments(schema: z.ZodType, json: string): Checked {
  let raw: unknown;
  try {
    raw = json.trim() === "" ? {} : parseStorableJson(json);
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
    if (issue.path.length === 0) continue;
    const parent = at(copy, issue.path.slice(0, -1));
    if (parent === null || typeof parent !== "object") continue;
    const fields = parent as Record<PropertyKey, unknown>;
    const key = issue.path.at(-1)! as PropertyKey;
    const current = fields[key];
    // Null for an optional field fails as a wrong type, enum value or union member alike; strict-mode models send it for each unused one.
    if (current === null && !Array.isArray(parent)) {
      delete fields[key];
      changed = true;
    } else if (issue.code !== "invalid_type") {
    } else if (typeof current === "string" && (issue.expected === "object" || issue.expected === "array")) {
      const parsed = parseJsonText(current);
      if (parsed !== undefined) {
        fields[key] = parsed;
        changed = true;
      }
    } else if (current !== null && typeof current === "object" && issue.expected === "string") {
      // The reverse slip: an object where the schema asks for JSON text (strict schemas have no free-form objects).
      fields[key] = JSON.stringify(current);
      changed = true;
    }
  }
  return changed ? copy : undefined;
}

function at(value: unknown, path: PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (node, key) => (node !== null && typeof node === "object" ? (node as Record<PropertyKey, unknown>)[key] : undefined),
    value,
  );
}

function parseJsonText(text: string): object | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === "object" ? parsed : undefined;
  } catch {
    return undefined;
  }
}

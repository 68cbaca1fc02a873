import { redactSecrets } from "./redact.js";
import { parseStorableJson } from "./storable-text.js";

/** A call the model asked for. */
export interface ToolCallRequest {
  id: string;
  name: string;
  /** Raw JSON text as the model produced it; the tool executor parses and validates it. */
  arguments: string;
}

/** A function the model may call; `parameters` is JSON Schema. */
export interface ToolSpec {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

/** A call's arguments as shown to people (audit rows, approval prompts): parsed where JSON, secrets hidden. */
export function shownArguments(raw: string): unknown {
  let value: unknown;
  try {
    value = parseStorableJson(raw);
  } catch {
    value = raw;
  }
  return redactSecrets(value);
}

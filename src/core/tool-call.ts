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

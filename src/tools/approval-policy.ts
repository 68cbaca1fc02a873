/**
 * What a tool call can touch: `read` only reads (or computes), `write` changes what the bot keeps
 * (memories, projects), `external` acts outside the bot (HTTP APIs, MCP tools not marked read-only).
 */
export const toolRisks = ["read", "write", "external"] as const;
export type ToolRisk = (typeof toolRisks)[number];

/** `TOOL_APPROVAL`: the lowest risk that waits for a person, or `none`. */
export const approvalSettings = ["external", "write", "none"] as const;
export type ApprovalSetting = (typeof approvalSettings)[number];

/** Whether a call of a tool with `risk` must wait for a person's yes under `setting`. */
export function needsApproval(risk: ToolRisk, setting: ApprovalSetting): boolean {
  if (setting === "none" || risk === "read") return false;
  return setting === "write" || risk === "external";
}

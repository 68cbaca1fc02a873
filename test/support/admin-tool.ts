import { fileURLToPath } from "node:url";

/** The MCP server whose tools (`ops__add`, ...) only admins may use, as MCP_SERVERS's value. */
export const adminOnlyMcp = JSON.stringify([
  {
    name: "ops",
    command: process.execPath,
    args: ["--import", "tsx", fileURLToPath(new URL("../fakes/mcp-server.ts", import.meta.url))],
    adminOnly: true,
  },
]);

/** The admin-only tool tests look for. */
export const ADMIN_TOOL = "ops__add";

/** A specialist that may use the admin-only tool, as SPECIALISTS's value, and a plan for it alone. */
export const operatorSpecialist = JSON.stringify([
  { name: "operator", capabilities: ["operations"], systemPrompt: "You operate things.", tools: [ADMIN_TOOL] },
]);
export const operatorPlan = [
  { key: "op", capabilities: ["operations"] },
  { key: "sum", capabilities: ["synthesis"], dependsOn: ["op"] },
];

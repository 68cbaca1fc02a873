import { z } from "zod";
import { httpMethods } from "./builtin/http-request.js";

/** One entry of HTTP_APIS; the auth header's value comes from the environment variable it names. */
export const httpApiSchema = z.strictObject({
  name: z.string().regex(/^[a-zA-Z0-9_-]{1,40}$/, "expected a short name of letters, digits, _ or -"),
  baseUrl: z.url({ protocol: /^https?$/ }),
  description: z.string().max(300).optional(),
  methods: z.array(z.enum(httpMethods)).min(1).default(["GET"]),
  paths: z.array(z.string().startsWith("/")).min(1).default(["/**"]),
  auth: z
    .strictObject({
      header: z.string().min(1).default("authorization"),
      env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "expected the name of an environment variable"),
      prefix: z.string().default(""),
    })
    .optional(),
});

const mcpCommon = {
  name: z.string().regex(/^[a-zA-Z0-9-]{1,24}$/, "expected a short name of letters, digits or - (tools are named NAME__tool)"),
  /** Overrides of the executor policy for every tool of the server. */
  timeoutMs: z.number().int().positive().optional(),
  adminOnly: z.boolean().optional(),
  perMinute: z.number().int().positive().optional(),
};

/** One entry of MCP_SERVERS: a command speaking MCP on stdio, or a streamable HTTP endpoint. */
export const mcpServerSchema = z.union([
  z.strictObject({
    ...mcpCommon,
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    env: z.record(z.string(), z.string()).optional(),
    cwd: z.string().optional(),
  }),
  z.strictObject({
    ...mcpCommon,
    url: z.url({ protocol: /^https?$/ }),
    headers: z.record(z.string(), z.string()).default({}),
    /** How often to ping the server so its loss is noticed between calls; default 30 s. */
    pingIntervalMs: z.number().int().positive().optional(),
  }),
]);

export type McpServerSettings = z.output<typeof mcpServerSchema>;

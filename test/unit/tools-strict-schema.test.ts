import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { MemoryStore } from "../../src/agents/memory/store.js";
import { loadConfig } from "../../src/config.js";
import { checkArguments } from "../../src/tools/arguments.js";
import { builtinTools } from "../../src/tools/builtin/index.js";
import { defineTool, type Tool } from "../../src/tools/define.js";

type Schema = Record<string, unknown>;

// Every built-in, with web_search and http_request enabled; the memory tools are never run here.
const config = loadConfig({
  SEARXNG_URL: "http://127.0.0.1:1",
  HTTP_APIS: '[{"name": "gh", "baseUrl": "https://api.github.com", "methods": ["GET", "POST"]}]',
});
const tools = builtinTools(config.tools, {} as MemoryStore).tools;

const hasType = (schema: Schema, type: string): boolean =>
  schema.type === type || (Array.isArray(schema.type) && schema.type.includes(type));
const acceptsNull = (schema: Schema): boolean => hasType(schema, "null") || ((schema.anyOf ?? []) as Schema[]).some(acceptsNull);

/**
 * What breaks OpenAI strict mode in `strict`, walked beside zod's own schema `loose` so that a
 * property zod treats as optional is seen to accept null.
 */
function violations(strict: Schema, loose: Schema, path: string): string[] {
  const found: string[] = [];
  if (hasType(strict, "object")) {
    const properties = (strict.properties ?? {}) as Record<string, Schema>;
    const looseProperties = (loose.properties ?? {}) as Record<string, Schema>;
    const required = (loose.required ?? []) as string[];
    if (strict.additionalProperties !== false) found.push(`${path}: additionalProperties is not false`);
    if (JSON.stringify(strict.required) !== JSON.stringify(Object.keys(properties))) found.push(`${path}: required is not every property`);
    for (const [name, property] of Object.entries(properties)) {
      if (!required.includes(name) && !acceptsNull(property)) found.push(`${path}.${name}: optional but not nullable`);
      found.push(...violations(property, looseProperties[name] ?? {}, `${path}.${name}`));
    }
  }
  if (strict.items) found.push(...violations(strict.items as Schema, (loose.items ?? {}) as Schema, `${path}[]`));
  for (const [index, inner] of ((strict.anyOf ?? []) as Schema[]).entries())
    found.push(...violations(inner, ((loose.anyOf ?? [loose]) as Schema[])[index] ?? loose, path));
  return found;
}

describe("tool schemas for OpenAI strict mode", () => {
  it("covers every built-in tool", () => {
    expect(tools.map((tool) => tool.name).sort()).toEqual([
      "calculator",
      "current_time",
      "forget",
      "http_request",
      "recall",
      "remember",
      "weather",
      "web_search",
    ]);
  });

  it.each(tools.map((tool) => [tool.name, tool] as const))(
    "%s: closed objects, every property required, optional ones nullable",
    (_name, tool: Tool) => {
      const loose = z.toJSONSchema(tool.input, { io: "input" }) as Schema;
      expect(violations(tool.parameters, loose, tool.name)).toEqual([]);
    },
  );

  it("validates a strict-mode call that sends null for every optional field", () => {
    const http = tools.find((tool) => tool.name === "http_request")!;
    // What a strict-mode model must send: every property present, the unused ones null.
    const checked = checkArguments(http.input, JSON.stringify({ api: "gh", method: null, path: "/repos/a/b", query: null, body: null }));
    expect(checked).toMatchObject({ ok: true, args: { api: "gh", method: "GET", path: "/repos/a/b" } });
    expect(checked.ok && checked.args).not.toHaveProperty("query");
    const remember = tools.find((tool) => tool.name === "remember")!;
    expect(checkArguments(remember.input, '{"fact": "x", "kind": null, "importance": null}')).toMatchObject({
      ok: true,
      args: { fact: "x", kind: "semantic" },
    });
  });

  it("makes nested optional fields nullable and closes nested objects", () => {
    const tool = defineTool({
      name: "nested",
      description: "Nested objects.",
      category: "test",
      risk: "read",
      input: z.object({
        items: z.array(z.object({ id: z.number(), tag: z.enum(["a", "b"]).optional() })),
        options: z.object({ loud: z.boolean() }).optional(),
      }),
      run: () => null,
    });
    expect(violations(tool.parameters, z.toJSONSchema(tool.input, { io: "input" }) as Schema, "nested")).toEqual([]);
    expect(checkArguments(tool.input, '{"items": [{"id": 1, "tag": null}], "options": null}')).toMatchObject({
      ok: true,
      args: { items: [{ id: 1 }] },
    });
  });

  it("refuses a free-form object at definition, naming the field", () => {
    expect(() =>
      defineTool({
        name: "loose",
        description: "A record.",
        category: "test",
        risk: "read",
        input: z.object({ opts: z.object({ headers: z.record(z.string(), z.string()) }) }),
        run: () => null,
      }),
    ).toThrow(
      'Tool "loose": opts.headers is a free-form object, which OpenAI strict mode cannot express; use an array of pairs or JSON text.',
    );
  });
});

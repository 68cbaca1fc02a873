import { type Dispatcher, request } from "undici";
import { z } from "zod";
import { defineTool, type Tool } from "../define.js";
import { RetryableToolError } from "../policy.js";
import { checkUrl, guardedAgent } from "../ssrf.js";

export const httpMethods = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
export type HttpMethod = (typeof httpMethods)[number];

/** One REST API the model may call, as HTTP_APIS describes it. */
export interface HttpApi {
  name: string;
  baseUrl: string;
  description?: string;
  methods: HttpMethod[];
  /** Paths under the base URL: `*` matches within one segment, `**` anything. */
  paths: string[];
  /** Sent only to the API's own origin: redirects elsewhere are never followed. */
  auth?: { header: string; value: string };
}

export interface HttpRequestSettings {
  apis: HttpApi[];
  /** Hosts reached even when private or loopback (an internal API you trust). */
  allowedHosts: string[];
  timeoutMs: number;
  maxResponseBytes: number;
}

const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
// Worth another attempt, and only for requests that may safely be repeated.
const RETRYABLE = new Set([429, 502, 503, 504]);
const IDEMPOTENT = new Set<HttpMethod>(["GET", "PUT", "DELETE"]);

/** `http_request`: calls the configured REST APIs, behind the SSRF guard. */
export function httpRequestTool(settings: HttpRequestSettings): Tool {
  const apis = new Map(settings.apis.map((api) => [api.name, api]));
  const allowedHosts = new Set(settings.allowedHosts.map((host) => host.toLowerCase()));
  const dispatcher = guardedAgent(allowedHosts);
  const names = [...apis.keys()] as [string, ...string[]];
  const listing = settings.apis
    .map((api) => `${api.name} (${api.methods.join("/")} ${api.paths.join(", ")})${api.description ? `: ${api.description}` : ""}`)
    .join("; ");

  return defineTool({
    name: "http_request",
    description: `Call a configured REST API and get its JSON or text response. APIs: ${listing}.`,
    category: "web",
    risk: "external",
    policy: { timeoutMs: settings.timeoutMs, maxRetries: 1 },
    // Pairs and JSON text rather than free-form objects, which OpenAI strict mode cannot express.
    input: z.object({
      api: z.enum(names).describe("Which configured API"),
      method: z.enum(httpMethods).default("GET"),
      path: z.string().min(1).max(2_000).describe("Path under the API's base URL, starting with /, without the query"),
      query: z
        .array(z.object({ name: z.string().min(1), value: z.union([z.string(), z.number(), z.boolean()]) }))
        .max(100)
        .optional()
        .describe("Query parameters"),
      body: z
        .string()
        .max(1_000_000)
        .refine((text) => parseJson(text) !== undefined, "must be JSON text")
        .optional()
        .describe('JSON body for POST, PUT and PATCH, as JSON text, e.g. {"title": "x"}'),
    }),
    run: async ({ api: apiName, method, path, query, body }, { signal }) => {
      const api = apis.get(apiName)!;
      if (!api.methods.includes(method)) throw new Error(`${method} is not allowed for ${api.name}; use ${api.methods.join(" or ")}`);
      let url = resolvePath(api, path);
      for (const { name, value } of query ?? []) url.searchParams.append(name, String(value));
      // Redirects are followed only within this origin (below), so one check covers every hop;
      // the guarded dispatcher still checks each address a name resolves to when it connects.
      checkUrl(url, allowedHosts);
      let current = { method: method as HttpMethod, body };
      for (let hop = 0; ; hop++) {
        const headers: Record<string, string> = { accept: "application/json, text/*;q=0.9, */*;q=0.1" };
        if (current.body !== undefined) headers["content-type"] = "application/json";
        if (api.auth) headers[api.auth.header] = api.auth.value;
        const response = await request(url, { method: current.method, headers, body: current.body, dispatcher, signal });
        const location = response.headers.location;
        if (REDIRECTS.has(response.statusCode) && typeof location === "string") {
          await response.body.dump();
          if (hop >= MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects`);
          // 303, and 301/302 after a POST, continue as a GET without the body, as browsers do.
          const next =
            response.statusCode === 303 || ((response.statusCode === 301 || response.statusCode === 302) && current.method === "POST")
              ? { method: "GET" as const, body: undefined }
              : current;
          const target = new URL(location, url);
          // The model may call only this API's paths and methods: a redirect anywhere else (another
          // API allowed for internal hosts, an open redirect) goes back to the model, not followed.
          const refusal =
            pathRefusal(api, target) ?? (api.methods.includes(next.method) ? undefined : `${next.method} is not allowed for ${api.name}`);
          if (refusal)
            return { status: response.statusCode, url: url.toString(), location: target.toString(), redirect: `not followed: ${refusal}` };
          url = target;
          current = next;
          continue;
        }
        const { text, truncated } = await readCapped(response.body, settings.maxResponseBytes);
        if (RETRYABLE.has(response.statusCode) && IDEMPOTENT.has(current.method))
          throw new RetryableToolError(`${api.name} answered ${response.statusCode}: ${text.slice(0, 200)}`);
        const contentType = String(response.headers["content-type"] ?? "");
        return {
          status: response.statusCode,
          url: url.toString(),
          contentType,
          body: contentType.includes("json") && !truncated ? (parseJson(text) ?? text) : text,
          ...(truncated ? { truncated: `response cut at ${settings.maxResponseBytes} bytes` } : {}),
        };
      }
    },
  });
}

/** The URL of `path` under the API's base, refused when it leaves the base or no allowed path matches. */
function resolvePath(api: HttpApi, path: string): URL {
  if (!path.startsWith("/") || path.startsWith("//")) throw new Error(`path must start with a single /, got "${path}"`);
  if (/[?#]/.test(path)) throw new Error("put query parameters in `query`, not in the path");
  const base = new URL(api.baseUrl);
  // The URL parser resolves `..` and `%2e%2e`, so the check sees where the request really goes.
  const url = new URL(base.pathname.replace(/\/$/, "") + path, base.origin);
  const refusal = pathRefusal(api, url);
  if (refusal) throw new Error(refusal);
  return url;
}

/** Why `url` is not one of the API's allowed paths under its base URL, or undefined when it is. */
function pathRefusal(api: HttpApi, url: URL): string | undefined {
  const base = new URL(api.baseUrl);
  const basePath = base.pathname.replace(/\/$/, "");
  if (url.origin !== base.origin) return `${url.origin} is not ${api.name}'s origin`;
  if (!(url.pathname === basePath || url.pathname.startsWith(`${basePath}/`))) return `path ${url.pathname} leaves ${api.name}'s base URL`;
  const relative = url.pathname.slice(basePath.length) || "/";
  if (!api.paths.some((pattern) => globToRegExp(pattern).test(relative)))
    return `path ${relative} is not allowed for ${api.name}; allowed: ${api.paths.join(", ")}`;
  return undefined;
}

function globToRegExp(pattern: string): RegExp {
  const source = pattern
    .split(/(\*\*|\*)/)
    .map((part) => (part === "**" ? ".*" : part === "*" ? "[^/]*" : part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`);
}

async function readCapped(body: Dispatcher.ResponseData["body"], maxBytes: number): Promise<{ text: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size > maxBytes) {
      body.destroy();
      return { text: Buffer.concat(chunks).subarray(0, maxBytes).toString("utf8"), truncated: true };
    }
  }
  return { text: Buffer.concat(chunks).toString("utf8"), truncated: false };
}

/** The parsed value, or undefined when `text` is not JSON. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

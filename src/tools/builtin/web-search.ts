import { z } from "zod";
import { defineTool, type Tool } from "../define.js";
import { RetryableToolError } from "../policy.js";

/** Which search service answers; chosen by config (SEARXNG_URL, BRAVE_API_KEY or TAVILY_API_KEY). */
export type SearchProvider =
  | { kind: "searxng"; url: string }
  | { kind: "brave"; url: string; apiKey: string }
  | { kind: "tavily"; url: string; apiKey: string };

export interface SearchHit {
  title: string;
  url: string;
  snippet: string;
}

export const webSearchHint = "set SEARXNG_URL (a SearXNG instance with the json format enabled), BRAVE_API_KEY or TAVILY_API_KEY";

const searxngReply = z.object({ results: z.array(z.object({ title: z.string(), url: z.string(), content: z.string().optional() })) });
const braveReply = z.object({
  web: z.object({ results: z.array(z.object({ title: z.string(), url: z.string(), description: z.string().optional() })) }).optional(),
});
const tavilyReply = z.object({ results: z.array(z.object({ title: z.string(), url: z.string(), content: z.string().optional() })) });

/** `web_search` through the configured provider; the replies are validated before the model sees them. */
export function webSearchTool(provider: SearchProvider): Tool {
  return defineTool({
    name: "web_search",
    description:
      "Search the web for current information; returns titles, URLs and snippets. Use it for news, recent events and facts you are unsure of.",
    category: "web",
    risk: "read",
    policy: { timeoutMs: 15_000, maxRetries: 1, perMinute: 60 },
    input: z.object({
      query: z.string().min(1).max(400),
      limit: z.number().int().min(1).max(10).default(5),
    }),
    run: async ({ query, limit }, { signal }) => (await search(provider, query, signal)).slice(0, limit),
  });
}

async function search(provider: SearchProvider, query: string, signal: AbortSignal): Promise<SearchHit[]> {
  if (provider.kind === "searxng") {
    const url = new URL("search", withSlash(provider.url));
    url.search = new URLSearchParams({ q: query, format: "json" }).toString();
    const reply = searxngReply.parse(await getJson(url, { signal }));
    return reply.results.map((hit) => ({ title: hit.title, url: hit.url, snippet: hit.content ?? "" }));
  }
  if (provider.kind === "brave") {
    const url = new URL(provider.url);
    url.searchParams.set("q", query);
    const reply = braveReply.parse(
      await getJson(url, { signal, headers: { "x-subscription-token": provider.apiKey, accept: "application/json" } }),
    );
    return (reply.web?.results ?? []).map((hit) => ({ title: hit.title, url: hit.url, snippet: hit.description ?? "" }));
  }
  const reply = tavilyReply.parse(
    await getJson(new URL(provider.url), {
      signal,
      method: "POST",
      headers: { authorization: `Bearer ${provider.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ query, max_results: 10 }),
    }),
  );
  return reply.results.map((hit) => ({ title: hit.title, url: hit.url, snippet: hit.content ?? "" }));
}

/** GET or POST returning JSON; 429 and 5xx are retryable, other failures say what came back. */
export async function getJson(url: URL, init: RequestInit): Promise<unknown> {
  const response = await fetch(url, init);
  if (!response.ok) {
    const detail = (await response.text()).slice(0, 200);
    const message = `${url.host} answered ${response.status}${detail ? `: ${detail}` : ""}`;
    throw response.status === 429 || response.status >= 500 ? new RetryableToolError(message) : new Error(message);
  }
  return response.json();
}

function withSlash(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}

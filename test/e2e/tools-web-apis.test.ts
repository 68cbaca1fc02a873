import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryStore } from "../../src/agents/memory/store.js";
import { loadConfig } from "../../src/config.js";
import { builtinTools } from "../../src/tools/builtin/index.js";
import { weatherTool } from "../../src/tools/builtin/weather.js";
import { webSearchTool } from "../../src/tools/builtin/web-search.js";
import { openToolBench, type ToolBench } from "../support/tools.js";

type Route = (req: IncomingMessage, url: URL, body: string) => { status?: number; json: unknown };

/** One loopback server standing in for SearXNG, Brave, Tavily and Open-Meteo; `seen` keeps each request. */
let server: Server;
let base = "";
const seen: { url: URL; headers: IncomingMessage["headers"]; body: string }[] = [];
const routes: Record<string, Route> = {
  "/searxng/search": (_req, url) => ({
    json: {
      results: [
        { title: `About ${url.searchParams.get("q")}`, url: "https://a.example", content: "snippet a" },
        { title: "B", url: "https://b.example" },
      ],
    },
  }),
  "/brave": (req) =>
    req.headers["x-subscription-token"] === "brave-key"
      ? { json: { web: { results: [{ title: "Brave hit", url: "https://brave.example", description: "from brave" }] } } }
      : { status: 401, json: { error: "bad token" } },
  "/tavily": (req, _url, body) => ({
    json: { results: [{ title: `Tavily ${JSON.parse(body).query}`, url: "https://t.example", content: req.headers.authorization }] },
  }),
  "/geo": (_req, url) =>
    url.searchParams.get("name") === "Portland"
      ? {
          json: {
            results: [
              {
                name: "Portland",
                latitude: 43.66,
                longitude: -70.26,
                country: "United States",
                admin1: "Maine",
                timezone: "America/New_York",
              },
              {
                name: "Portland",
                latitude: 45.52,
                longitude: -122.68,
                country: "United States",
                admin1: "Oregon",
                timezone: "America/Los_Angeles",
              },
            ],
          },
        }
      : { json: {} },
  "/forecast": (_req, url) => ({
    json: {
      timezone: "America/Los_Angeles",
      current: { temperature_2m: 11.5, weather_code: 3, lat: Number(url.searchParams.get("latitude")) },
      current_units: { temperature_2m: "°C" },
      daily: { time: ["2026-12-01", "2026-12-02"], temperature_2m_max: [12, 13] },
      daily_units: { temperature_2m_max: "°C" },
    },
  }),
};

let bench: ToolBench;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req
      .on("data", (chunk) => (body += chunk))
      .on("end", () => {
        const url = new URL(req.url ?? "/", "http://fake");
        seen.push({ url, headers: req.headers, body });
        const route = routes[url.pathname];
        const reply = route ? route(req, url, body) : { status: 404, json: { error: "no route" } };
        res.writeHead(reply.status ?? 200, { "content-type": "application/json" }).end(JSON.stringify(reply.json));
      });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  bench = await openToolBench("builtins");
});

afterAll(async () => {
  await bench.database.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("web_search", () => {
  it("asks SearXNG for JSON", async () => {
    const hits = await bench.result(webSearchTool({ kind: "searxng", url: `${base}/searxng` }), { query: "quorum bots", limit: 1 });
    expect(hits).toEqual([{ title: "About quorum bots", url: "https://a.example", snippet: "snippet a" }]);
    expect(seen.at(-1)!.url.searchParams.get("format")).toBe("json");
  });

  it("sends Brave its key", async () => {
    expect(await bench.result(webSearchTool({ kind: "brave", url: `${base}/brave`, apiKey: "brave-key" }), { query: "x" })).toEqual([
      { title: "Brave hit", url: "https://brave.example", snippet: "from brave" },
    ]);
    const refused = await bench.call(webSearchTool({ kind: "brave", url: `${base}/brave`, apiKey: "wrong" }), { query: "x" });
    expect(refused.content).toMatch(/web_search failed: 127\.0\.0\.1:\d+ answered 401/);
  });

  it("posts the query to Tavily with a bearer key", async () => {
    expect(await bench.result(webSearchTool({ kind: "tavily", url: `${base}/tavily`, apiKey: "tvly-1" }), { query: "news" })).toEqual([
      { title: "Tavily news", url: "https://t.example", snippet: "Bearer tvly-1" },
    ]);
  });

  it("is absent without a provider, with a hint, and chosen by config", async () => {
    const store = new MemoryStore(bench.database.db, { capacity: 100 });
    const none = builtinTools(loadConfig({}).tools, store);
    expect(none.tools.map((tool) => tool.name)).not.toContain("web_search");
    expect(none.unavailable.map((hint) => hint.name)).toEqual(["web_search", "http_request"]);
    expect(none.unavailable[0]!.howToEnable).toMatch(/SEARXNG_URL.*BRAVE_API_KEY.*TAVILY_API_KEY/);
    const brave = builtinTools(loadConfig({ BRAVE_API_KEY: "k", BRAVE_API_URL: `${base}/brave` }).tools, store);
    expect(brave.tools.map((tool) => tool.name)).toContain("web_search");
    expect(loadConfig({ TAVILY_API_KEY: "t" }).tools.search).toMatchObject({ kind: "tavily", url: "https://api.tavily.com/search" });
  });
});

describe("weather", () => {
  const weather = () => weatherTool({ geocodingUrl: `${base}/geo`, forecastUrl: `${base}/forecast` });

  it("geocodes the place, narrowed by what follows a comma, then fetches its forecast", async () => {
    const report = await bench.result(weather(), { place: "Portland, Oregon", days: 2 });
    expect(report).toMatchObject({
      place: "Portland, Oregon, United States",
      latitude: 45.52,
      current: { temperature_2m: 11.5, lat: 45.52 },
      dailyUnits: { temperature_2m_max: "°C" },
    });
    const forecast = seen.at(-1)!.url.searchParams;
    expect([forecast.get("forecast_days"), forecast.get("timezone")]).toEqual(["2", "auto"]);
  });

  it("says when no place matches", async () => {
    expect((await bench.call(weather(), { place: "Nowhere" })).content).toBe('Error: weather failed: no place called "Nowhere" was found');
  });
});

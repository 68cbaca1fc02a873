import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import { checkArguments } from "../../src/tools/arguments.js";
import { type HttpApi, httpRequestTool } from "../../src/tools/builtin/http-request.js";
import type { Tool } from "../../src/tools/define.js";
import { addressRefusal } from "../../src/tools/ssrf.js";

/** A fake REST API on loopback; `hits` counts what reached it. */
let server: Server;
let port = 0;
const hits: { path: string; method?: string; authorization?: string; body: string }[] = [];
let flaky = 0;

function handle(req: IncomingMessage, res: ServerResponse, body: string) {
  const path = req.url ?? "/";
  hits.push({ path, method: req.method, authorization: req.headers.authorization, body });
  const json = (status: number, value: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
  if (path.startsWith("/v1/items")) return json(200, { items: [1, 2], query: path.split("?")[1] ?? "" });
  if (path === "/v1/echo") return json(201, { method: req.method, got: JSON.parse(body || "null") });
  if (path === "/v1/redirect-private") return void res.writeHead(302, { location: "http://10.0.0.1/v1/items" }).end();
  if (path === "/v1/redirect-localhost") return void res.writeHead(302, { location: `http://localhost:${port}/v1/items` }).end();
  if (path === "/v1/redirect-ok") return void res.writeHead(303, { location: "/v1/items?from=redirect" }).end();
  // An internal API that the allowed hosts let another configured API reach.
  if (path === "/v1/redirect-internal") return void res.writeHead(307, { location: `http://localhost:${port}/internal/admin` }).end();
  if (path === "/v1/redirect-admin") return void res.writeHead(302, { location: "/v1/admin" }).end();
  if (path === "/v1/redirect-outside") return void res.writeHead(302, { location: "/internal/admin" }).end();
  if (path === "/v1/redirect-echo") return void res.writeHead(307, { location: "/v1/echo" }).end();
  if (path === "/v1/big") return void res.writeHead(200, { "content-type": "text/plain" }).end("y".repeat(5_000));
  if (path === "/v1/flaky") {
    flaky += 1;
    return flaky === 1 ? json(503, { error: "busy" }) : json(200, { ok: true });
  }
  json(404, { error: "not found" });
}

const api = (baseUrl: string, extra: Partial<HttpApi> = {}): HttpApi => ({
  name: "fake",
  baseUrl,
  methods: ["GET", "POST"],
  paths: ["/items", "/echo", "/redirect-*", "/big", "/flaky"],
  ...extra,
});

const tool = (baseUrl: string, allowedHosts: string[] = [], extra: Partial<HttpApi> = {}) =>
  httpRequestTool({ apis: [api(baseUrl, extra)], allowedHosts, timeoutMs: 5_000, maxResponseBytes: 1_000 });

const run = (target: Tool, args: Record<string, unknown>) =>
  target.run(target.input.parse({ api: "fake", ...args }), { channelId: "web:c", author: { id: "u" }, signal: AbortSignal.timeout(5_000) });

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk)).on("end", () => handle(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("http_request against an allowed host", () => {
  const allowed = () => tool(`http://127.0.0.1:${port}/v1`, ["127.0.0.1"], { auth: { header: "authorization", value: "Bearer secret-1" } });

  it("calls the API with its auth header and query", async () => {
    const result = await run(allowed(), {
      path: "/items",
      query: [
        { name: "q", value: "x y" },
        { name: "n", value: 2 },
      ],
    });
    expect(result).toMatchObject({ status: 200, body: { items: [1, 2], query: "q=x+y&n=2" } });
    expect(hits.at(-1)).toMatchObject({ path: "/v1/items?q=x+y&n=2", authorization: "Bearer secret-1" });
  });

  it("sends a JSON body", async () => {
    expect(await run(allowed(), { method: "POST", path: "/echo", body: '{"a": 1}' })).toMatchObject({
      status: 201,
      body: { method: "POST", got: { a: 1 } },
    });
  });

  it("takes a body sent as an object, and refuses one that is not JSON", () => {
    const target = allowed();
    expect(checkArguments(target.input, JSON.stringify({ api: "fake", path: "/echo", body: { a: 1 } }))).toMatchObject({
      ok: true,
      args: { body: '{"a":1}' },
    });
    expect(checkArguments(target.input, JSON.stringify({ api: "fake", path: "/echo", body: "{a: 1" }))).toMatchObject({
      ok: false,
      error: "body: must be JSON text",
    });
  });

  it("follows a redirect that stays allowed, as a GET", async () => {
    const result = await run(allowed(), { path: "/redirect-ok" });
    expect(result).toMatchObject({ status: 200, url: `http://127.0.0.1:${port}/v1/items?from=redirect` });
  });

  it("cuts a large response", async () => {
    const result = (await run(allowed(), { path: "/big" })) as { body: string; truncated: string };
    expect(result.body).toHaveLength(1_000);
    expect(result.truncated).toBe("response cut at 1000 bytes");
  });

  it("marks a 503 as retryable", async () => {
    await expect(run(allowed(), { path: "/flaky" })).rejects.toMatchObject({
      name: "RetryableToolError",
      message: expect.stringMatching(/answered 503/),
    });
  });

  it.each([
    ["/admin", /path \/admin is not allowed for fake/],
    ["/items/../../admin", /leaves fake's base URL/],
    ["/%2e%2e/admin", /leaves fake's base URL/],
    ["//evil.example/items", /single \//],
    ["/items?x=1", /query/],
  ])("refuses the path %s", async (path, error) => {
    await expect(run(allowed(), { path })).rejects.toThrow(error);
  });

  it("refuses a method the API does not allow", async () => {
    await expect(run(allowed(), { method: "DELETE", path: "/items" })).rejects.toThrow("DELETE is not allowed for fake; use GET or POST");
  });
});

describe("http_request redirects", () => {
  const base = () => `http://127.0.0.1:${port}/v1`;
  // Two APIs whose hosts are both allowed: a redirect from the public one must not reach the internal one.
  const twoApis = (methods: HttpApi["methods"] = ["GET", "POST"]) =>
    httpRequestTool({
      apis: [
        api(base(), { methods, auth: { header: "authorization", value: "Bearer public-1" } }),
        { name: "internal", baseUrl: `http://localhost:${port}/internal`, methods: ["GET", "POST"], paths: ["/**"] },
      ],
      allowedHosts: ["127.0.0.1", "localhost"],
      timeoutMs: 5_000,
      maxResponseBytes: 1_000,
    });
  const reachedInternal = () => hits.some((hit) => hit.path.startsWith("/internal"));

  it("returns a 307 to another allowed API's host to the model, keeping its POST and body away from it", async () => {
    const result = await run(twoApis(), { method: "POST", path: "/redirect-internal", body: '{"drop": "tables"}' });
    expect(result).toEqual({
      status: 307,
      url: `${base()}/redirect-internal`,
      location: `http://localhost:${port}/internal/admin`,
      redirect: `not followed: http://localhost:${port} is not fake's origin`,
    });
    expect(reachedInternal()).toBe(false);
  });

  it.each([
    ["/redirect-admin", "/v1/admin", "path /admin is not allowed for fake"],
    ["/redirect-outside", "/internal/admin", "path /internal/admin leaves fake's base URL"],
  ])("does not follow %s within the origin to a path the API does not allow", async (path, location, why) => {
    const before = hits.length;
    expect(await run(twoApis(), { path })).toMatchObject({
      status: 302,
      location: `http://127.0.0.1:${port}${location}`,
      redirect: expect.stringContaining(`not followed: ${why}`),
    });
    expect(hits.length).toBe(before + 1);
    expect(reachedInternal()).toBe(false);
  });

  it("does not turn a POST into a GET the API does not allow", async () => {
    expect(await run(twoApis(["POST"]), { method: "POST", path: "/redirect-ok", body: "{}" })).toMatchObject({
      status: 303,
      redirect: "not followed: GET is not allowed for fake",
    });
  });

  it("follows a 307 to an allowed path with its method, body and auth", async () => {
    expect(await run(twoApis(), { method: "POST", path: "/redirect-echo", body: '{"a": 1}' })).toMatchObject({
      status: 201,
      body: { method: "POST", got: { a: 1 } },
    });
    expect(hits.at(-1)).toMatchObject({ path: "/v1/echo", method: "POST", authorization: "Bearer public-1" });
  });
});

describe("the SSRF guard", () => {
  it.each([
    ["127.0.0.1", () => `http://127.0.0.1:${port}/v1`, /127\.0\.0\.1 is a loopback address/],
    ["::1", () => `http://[::1]:${port}/v1`, /::1 is a loopback address/],
    ["10.0.0.1", () => "http://10.0.0.1/v1", /10\.0\.0\.1 is a private address/],
    ["169.254.169.254 (cloud metadata)", () => "http://169.254.169.254/latest", /169\.254\.169\.254 is a linkLocal address/],
    ["[::ffff:127.0.0.1]", () => `http://[::ffff:127.0.0.1]:${port}/v1`, /loopback/],
    ["localhost (resolves to loopback)", () => `http://localhost:${port}/v1`, /refused to connect to localhost: .* loopback/],
    ["decimal 2130706433", () => `http://2130706433:${port}/v1`, /127\.0\.0\.1 is a loopback/],
    ["octal 0177.0.0.1", () => `http://0177.0.0.1:${port}/v1`, /127\.0\.0\.1 is a loopback/],
  ])("refuses %s", async (_label, base, error) => {
    const before = hits.length;
    await expect(run(tool(base()), { path: "/items" })).rejects.toThrow(error);
    expect(hits.length).toBe(before);
  });

  it("never follows a redirect to another origin, even a loopback one", async () => {
    const allowed = tool(`http://127.0.0.1:${port}/v1`, ["127.0.0.1"]);
    expect(await run(allowed, { path: "/redirect-private" })).toEqual({
      status: 302,
      url: `http://127.0.0.1:${port}/v1/redirect-private`,
      location: "http://10.0.0.1/v1/items",
      redirect: "not followed: http://10.0.0.1 is not fake's origin",
    });
    const before = hits.length;
    expect(await run(allowed, { path: "/redirect-localhost" })).toMatchObject({
      status: 302,
      redirect: expect.stringMatching(/^not followed/),
    });
    expect(hits.length).toBe(before + 1);
  });

  it("reaches loopback by name only when that name is allowed", async () => {
    expect(await run(tool(`http://localhost:${port}/v1`, ["localhost"]), { path: "/items" })).toMatchObject({ status: 200 });
  });

  it.each([
    ["8.8.8.8", undefined],
    ["2606:4700:4700::1111", undefined],
    ["192.168.1.1", "private"],
    ["172.16.0.1", "private"],
    ["100.100.100.200", "carrierGradeNat"],
    ["0.0.0.0", "unspecified"],
    ["224.0.0.1", "multicast"],
    ["fe80::1", "linkLocal"],
    ["fd00:ec2::254", "uniqueLocal"],
    ["ff02::1", "multicast"],
    ["::ffff:10.0.0.1", "private"],
    ["64:ff9b::7f00:1", "rfc6052"],
    ["2002:7f00:1::", "6to4"],
  ])("judges %s", (address, range) => {
    const refusal = addressRefusal(address);
    if (range === undefined) expect(refusal).toBeUndefined();
    else expect(refusal).toContain(`a ${range} address`);
  });
});

describe("HTTP_APIS", () => {
  const apis = JSON.stringify([
    { name: "gh", baseUrl: "https://api.github.com", paths: ["/repos/**"], auth: { env: "GH_TOKEN", prefix: "Bearer " } },
  ]);

  it("reads the auth header's value from the variable it names", () => {
    const config = loadConfig({ HTTP_APIS: apis, GH_TOKEN: "ghp_1", HTTP_ALLOWED_HOSTS: "Internal.example, [::1]" });
    expect(config.tools.http.apis).toEqual([
      {
        name: "gh",
        baseUrl: "https://api.github.com",
        methods: ["GET"],
        paths: ["/repos/**"],
        auth: { header: "authorization", value: "Bearer ghp_1" },
      },
    ]);
    expect(config.tools.http.allowedHosts).toEqual(["internal.example", "::1"]);
  });

  it("says which variable is missing, and what is malformed", () => {
    expect(() => loadConfig({ HTTP_APIS: apis })).toThrow(
      /HTTP_APIS: .*API "gh" takes its authorization header from GH_TOKEN, which is not set/,
    );
    expect(() => loadConfig({ HTTP_APIS: "[{" })).toThrow(/HTTP_APIS: .*expected a JSON array/);
    expect(() => loadConfig({ HTTP_APIS: '[{"name": "x", "baseUrl": "ftp://x"}]' })).toThrow(ConfigError);
  });
});

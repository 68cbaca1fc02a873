import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { leanFetch } from "../../src/core/lean-fetch.js";

/** What the server was sent, by path. */
const seen: { method?: string; headers: IncomingMessage["headers"]; body: string }[] = [];
let base = "";
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  let body = "";
  req.on("data", (chunk: Buffer) => {
    body += chunk.toString();
  });
  req.on("end", () => {
    seen.push({ method: req.method, headers: req.headers, body });
    if (req.url === "/moved") res.writeHead(302, { location: "/json" }).end();
    else if (req.url === "/empty") res.writeHead(204).end();
    else if (req.url === "/stream") {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("data: one\n\n");
      setTimeout(() => res.end("data: two\n\n"), 20);
    } else res.writeHead(200, { "content-type": "application/json", "set-cookie": ["a=1", "b=2"] }).end(JSON.stringify({ ok: true, body }));
  });
});

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("leanFetch", () => {
  it("sends the method, headers and text body, and answers as fetch does", async () => {
    const response = await leanFetch(`${base}/json`, {
      method: "post",
      headers: new Headers({ authorization: "Bearer t", "content-type": "application/x-www-form-urlencoded" }),
      body: "a=1",
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.get("set-cookie")).toBe("a=1, b=2");
    expect(await response.json()).toEqual({ ok: true, body: "a=1" });
    expect(seen.at(-1)).toMatchObject({ method: "POST", headers: { authorization: "Bearer t" }, body: "a=1" });
  });

  it("streams the body as it arrives", async () => {
    const response = await leanFetch(new URL(`${base}/stream`));
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe("data: one\n\n");
    let rest = "";
    for (let part = await reader.read(); !part.done; part = await reader.read()) rest += new TextDecoder().decode(part.value);
    expect(rest).toBe("data: two\n\n");
  });

  it("follows a redirect unless told not to", async () => {
    expect(await (await leanFetch(`${base}/moved`)).json()).toEqual({ ok: true, body: "" });
    expect((await leanFetch(`${base}/moved`, { redirect: "manual" })).status).toBe(302);
  });

  it("answers a status without a body with none", async () => {
    const response = await leanFetch(`${base}/empty`, { method: "DELETE" });
    expect(response.status).toBe(204);
    expect(response.body).toBeNull();
  });

  it("sends what is not text through fetch", async () => {
    const response = await leanFetch(`${base}/json`, { method: "POST", body: new Uint8Array([104, 105]) });
    expect(await response.json()).toEqual({ ok: true, body: "hi" });
  });

  it("stops on its signal", async () => {
    await expect(leanFetch(`${base}/json`, { signal: AbortSignal.abort() })).rejects.toThrow();
  });
});

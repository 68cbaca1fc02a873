import { request } from "undici";

/** Statuses whose response has no body: `new Response` refuses one. */
const NO_BODY = new Set([204, 205, 304]);

/**
 * `fetch` for a client library's calls to its API server (Slack's Web API, the model server), on
 * undici's `request()` over the same connection pool as the global fetch. The global fetch builds
 * a WHATWG request, controller and body streams for every call, several times the CPU of the call
 * itself; here only the response is wrapped, its body streamed as it arrives. A call with anything
 * but a text body or a plain URL (an upload, a Request), and a redirect the caller would follow,
 * goes through the global fetch.
 */
export const leanFetch: typeof fetch = async (input, init) => {
  const body = init?.body;
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : undefined;
  if (url === undefined || (body != null && typeof body !== "string")) return fetch(input, init);
  const response = await request(url, {
    method: (init?.method ?? "GET").toUpperCase() as "GET",
    headers: plainHeaders(init?.headers),
    body: body ?? undefined,
    signal: init?.signal ?? undefined,
  });
  const status = response.statusCode;
  if (status >= 300 && status < 400 && init?.redirect !== "error" && init?.redirect !== "manual") {
    await response.body.dump();
    return fetch(input, init);
  }
  const headers = new Headers();
  for (const [name, value] of Object.entries(response.headers)) {
    for (const one of Array.isArray(value) ? value : [value]) if (one !== undefined) headers.append(name, one);
  }
  if (NO_BODY.has(status)) {
    await response.body.dump();
    return new Response(null, { status, headers });
  }
  return new Response(response.body, { status, headers });
};

function plainHeaders(headers: RequestInit["headers"]): Record<string, string> | undefined {
  if (headers === undefined) return undefined;
  if (headers instanceof Headers || Array.isArray(headers)) return Object.fromEntries(headers);
  return headers as Record<string, string>;
}

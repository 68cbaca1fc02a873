import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A bare OpenAI-style chat-completions server for the wire formats aimock will not produce:
 * tool-call deltas without ids or with the whole call in one delta, unparsable SSE, and a
 * server that accepts a request and never answers. Everything else belongs in ./llm.ts.
 */
export interface RawReply {
  /** Streams each chunk as `data: <json>` (strings are sent verbatim), then `data: [DONE]`. */
  sse(chunks: (object | string)[]): void;
  /** Any status, headers and body. */
  send(status: number, headers: Record<string, string>, body: string): void;
  /** Reads the request and never answers. */
  hang(): void;
}

export interface RawRequest {
  /** Date.now() when the request arrived. */
  arrivedAt: number;
  body: unknown;
}

export interface RawLlmServer {
  url: string;
  requests: RawRequest[];
  stop(): Promise<void>;
}

export async function startRawLlmServer(handle: (reply: RawReply, request: RawRequest) => void): Promise<RawLlmServer> {
  const requests: RawRequest[] = [];
  const server = createServer((req, res) => {
    const arrivedAt = Date.now();
    void readBody(req).then((text) => {
      const request = { arrivedAt, body: parseJson(text) };
      requests.push(request);
      handle(replyOn(res), request);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections(); // a hung request would otherwise hold close() open
        server.close(() => resolve());
      }),
  };
}

function replyOn(res: ServerResponse): RawReply {
  return {
    sse(chunks) {
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      for (const chunk of chunks) res.write(`data: ${typeof chunk === "string" ? chunk : JSON.stringify(chunk)}\n\n`);
      res.end("data: [DONE]\n\n");
    },
    send(status, headers, body) {
      res.writeHead(status, headers);
      res.end(body);
    },
    hang() {},
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  let text = "";
  for await (const part of req) text += String(part);
  return text;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** One `chat.completion.chunk` with the given delta for choice 0. */
export function chunk(delta: object, finishReason: string | null = null): object {
  return {
    id: "chatcmpl-raw",
    object: "chat.completion.chunk",
    created: 0,
    model: "raw-model",
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  };
}

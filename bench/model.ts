import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export interface BenchModel {
  /** Base URL for an OpenAI client, ending in /v1. */
  url: string;
  /**
   * 0: the whole answer at once. Otherwise its first words at once and the rest `delayMs` later,
   * so a live message is shown before the final text.
   */
  delayMs: number;
  /** Date.now() when the question numbered by the key reached the model. */
  started: Map<string, number>;
  /** Date.now() when its answer's stream ended. */
  ended: Map<string, number>;
  stop(): Promise<void>;
}

/** What the model answers to `question N`: text unique to the question, so the fakes can tell its final answer. */
export const answerTo = (question: string) => `Answer to question ${question}.`;

/**
 * An OpenAI-compatible streaming chat server for the platform benches: it answers `question N`
 * with `answerTo(N)` and records when each question arrived and when its stream ended, so the
 * delay from the model's end to the final answer on the platform can be measured.
 */
export async function startBenchModel(): Promise<BenchModel> {
  const model: BenchModel = { url: "", delayMs: 0, started: new Map(), ended: new Map(), stop: async () => undefined };
  const server = createServer((req, res) => {
    const arrived = Date.now();
    void readJson(req).then((body) => {
      const messages = (body as { messages?: { content?: unknown }[] }).messages ?? [];
      const last = messages.at(-1)?.content;
      const question = /question (\d+)/.exec(typeof last === "string" ? last : JSON.stringify(last ?? ""))?.[1] ?? "";
      if (question) model.started.set(question, arrived);
      const text = question ? answerTo(question) : "Noted.";
      const chunk = (delta: object, finish: string | null = null) =>
        `data: ${JSON.stringify({ id: "bench", object: "chat.completion.chunk", created: 0, model: "bench", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      const usage = `data: ${JSON.stringify({ id: "bench", object: "chat.completion.chunk", created: 0, model: "bench", choices: [], usage: { prompt_tokens: 50, completion_tokens: 8, total_tokens: 58 } })}\n\n`;
      const end = (rest: string) => {
        res.end(`${chunk({ content: rest })}${chunk({}, "stop")}${usage}data: [DONE]\n\n`);
        if (question) model.ended.set(question, Date.now());
      };
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      const head = text.slice(0, 10);
      if (model.delayMs === 0) {
        res.write(chunk({ role: "assistant", content: head }));
        end(text.slice(10));
        return;
      }
      res.write(chunk({ role: "assistant", content: head }));
      setTimeout(() => end(text.slice(10)), model.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  model.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  model.stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return model;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    return {};
  }
}

import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import { z } from "zod";
import type { Config } from "../../config.js";
import { OPENAI_API_URL } from "./types.js";

/** Turns texts into vectors, one per text in order, all of one dimension. */
export interface Embedder {
  readonly model: string;
  embed(texts: string[], options?: { signal?: AbortSignal; timeoutMs?: number }): Promise<number[][]>;
}

/** Why an embedding request failed, in words fit for a log: never the server's text, a key or a URL's secrets. */
export class EmbeddingError extends Error {
  override readonly name = "EmbeddingError";
}

const DEFAULT_TIMEOUT_MS = 20_000;

const response = z.object({
  data: z.array(z.object({ index: z.number().int().min(0), embedding: z.array(z.number().finite()).min(1) })).min(1),
});

/** Embeddings from any OpenAI-compatible server (`POST {base}/embeddings` with `model` and `input`). */
export function createEmbedder(settings: Config["embeddings"] & { model: string }): Embedder {
  const client = new OpenAI({
    apiKey: settings.apiKey,
    baseURL: settings.baseURL ?? OPENAI_API_URL,
    // A failed batch is retried later by the backfill, and a query's failure falls back to full-text.
    maxRetries: 0,
    logLevel: "off",
  });
  return {
    model: settings.model,
    async embed(texts, options = {}) {
      if (texts.length === 0) return [];
      const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      let raw: unknown;
      try {
        // float: base64 (the SDK's default) would be decoded without checking what came back.
        raw = await client.embeddings.create(
          { model: settings.model, input: texts, encoding_format: "float" },
          { signal: options.signal, timeout: timeoutMs },
        );
      } catch (error) {
        throw new EmbeddingError(failureCause(error, timeoutMs), { cause: error });
      }
      return checkedVectors(raw, texts.length);
    },
  };
}

/** The response's vectors in input order, or an EmbeddingError saying what was wrong with it. */
export function checkedVectors(raw: unknown, count: number): number[][] {
  const parsed = response.safeParse(raw);
  if (!parsed.success) throw new EmbeddingError("the embedding server sent a response that is not a list of vectors");
  const vectors: number[][] = [];
  for (const item of parsed.data.data) vectors[item.index] = item.embedding;
  if (vectors.length !== count || vectors.some((v) => v === undefined))
    throw new EmbeddingError(`the embedding server sent ${parsed.data.data.length} vectors for ${count} texts`);
  const dimension = vectors[0]?.length;
  if (vectors.some((v) => v.length !== dimension)) throw new EmbeddingError("the embedding server sent vectors of different dimensions");
  return vectors;
}

function failureCause(error: unknown, timeoutMs: number): string {
  if (error instanceof APIError && error.status !== undefined) {
    const hint =
      error.status === 401 || error.status === 403 ? "; check EMBEDDING_API_KEY" : error.status === 404 ? "; check EMBEDDING_MODEL" : "";
    return `the embedding server answered HTTP ${error.status}${hint}`;
  }
  if (error instanceof APIConnectionTimeoutError) return `the embedding server did not answer within ${Math.round(timeoutMs / 100) / 10} s`;
  if (error instanceof APIConnectionError) return "could not reach the embedding server";
  if (error instanceof APIUserAbortError) return "the embedding request was cancelled";
  return "the embedding server's response could not be read";
}

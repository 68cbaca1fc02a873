import { z } from "zod";
import { OPENAI_API_URL } from "./types.js";

/** What a models list must look like to count as the model server answering (OpenAI's `GET /models`). */
const modelsList = z.object({ data: z.array(z.unknown()) });

/** Where the model server is, as the client is configured. */
export interface LlmCheckSettings {
  baseURL: string | undefined;
  apiKey: string;
}

const CHECK_TIMEOUT_MS = 5_000;
/** Health answers within this even while a check waits on a slow server; the check goes on and is kept. */
const ANSWER_WITHIN_MS = 2_000;
const NOT_YET = "not checked yet: the model server has not answered a models list";

/**
 * Health's word on the model: whether its server lists models with our key (`GET {base}/models`,
 * which costs no tokens), asked at most once per `ttlMs`; "ok" or a sentence saying what is wrong,
 * never the server's own text (it may echo the key). A server with no models list is "not checked",
 * and so is one still silent after 2 s (health must answer load balancers quickly).
 */
/** A check that did not find the model failing: it answered, or it could not be asked. */
export const llmUsable = (status: string) => status === "ok" || status.startsWith("not checked");

export function llmHealthCheck(settings: LlmCheckSettings, ttlMs = 60_000): () => Promise<string> {
  let last: { at: number; result: Promise<string> } | undefined;
  return () => {
    if (!last || Date.now() - last.at >= ttlMs) last = { at: Date.now(), result: checkModels(settings) };
    return Promise.race([last.result, new Promise<string>((resolve) => setTimeout(resolve, ANSWER_WITHIN_MS, NOT_YET).unref())]);
  };
}

async function checkModels({ baseURL, apiKey }: LlmCheckSettings): Promise<string> {
  const base = (baseURL ?? OPENAI_API_URL).replace(/\/+$/, "");
  let response: Response;
  try {
    response = await fetch(`${base}/models`, {
      headers: { authorization: `Bearer ${apiKey}`, accept: "application/json" },
      signal: AbortSignal.timeout(CHECK_TIMEOUT_MS),
    });
  } catch {
    return "the model server is unreachable (OPENAI_BASE_URL)";
  }
  if (response.status === 401 || response.status === 403)
    return `the model server refused the credentials (HTTP ${response.status}); check OPENAI_API_KEY`;
  if (response.status === 404 || response.status === 405) return "not checked: the model server has no models list";
  if (!response.ok) return `the model server is failing (HTTP ${response.status} to a models list)`;
  const body = await response.json().catch(() => undefined);
  return modelsList.safeParse(body).success ? "ok" : "the model server sent a models list it could not read";
}

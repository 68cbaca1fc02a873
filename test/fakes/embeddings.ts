import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * How the fake answers: vectors, or one of the ways an embedding server fails. `timeout` never
 * answers (until stop), `status` answers that HTTP status, `dimension` sends vectors of another
 * size than the usual, `garbage` sends JSON that is not a list of vectors.
 */
type EmbeddingsMode = "ok" | "timeout" | { status: number } | { dimension: number } | "garbage";

export interface FakeEmbeddings {
  /** Base URL for an OpenAI client, ending in /v1. */
  url: string;
  mode: EmbeddingsMode;
  /** The inputs of each request answered or not, in arrival order. */
  requests: { model: string; input: string[]; authorization: string | undefined }[];
  /** Called with each request's number (from 1) before it is answered, as `mode` says then. */
  onRequest?: (n: number) => void;
  stop(): Promise<void>;
}

export const FAKE_DIMENSION = 512;

const STOPWORDS = new Set(
  "a an the is are was were be been of to in on at for by with and or not no do does did who what which when where why how our we you your i me my it its this that these those there here has have had will would can could should about from as into than then so if any all some after tell me".split(
    " ",
  ),
);

/**
 * Words that mean the same concept, so that a paraphrase lands near what it paraphrases. Small
 * and explicit on purpose: the fake stands for a model that knows these, nothing more.
 */
const SYNONYMS: Record<string, string> = {
  billing: "payment",
  bill: "payment",
  meet: "meeting",
  daily: "meeting",
  phone: "mobile",
  app: "mobile",
  group: "team",
  prod: "production",
  client: "customer",
  snapshot: "backup",
  mockup: "design",
  remote: "vpn",
  change: "rotate",
  rotat: "rotate",
  weekday: "day",
  thursday: "day",
  friday: "day",
  tuesday: "day",
  december: "year",
  home: "pet",
  eat: "meal",
  pay: "payment",
  invoice: "payment",
  charge: "payment",
  own: "owner",
  look: "owner",
  responsible: "owner",
  charge_of: "owner",
  maintain: "owner",
  lead: "owner",
  deploy: "release",
  ship: "release",
  launch: "release",
  rollout: "release",
  standup: "meeting",
  sync: "meeting",
  huddle: "meeting",
  call: "meeting",
  server: "machine",
  host: "machine",
  box: "machine",
  database: "datastore",
  db: "datastore",
  postgres: "datastore",
  password: "secret",
  credential: "secret",
  key: "secret",
  token: "secret",
  lunch: "meal",
  food: "meal",
  office: "workplace",
  building: "workplace",
  desk: "workplace",
  holiday: "vacation",
  leave: "vacation",
  away: "vacation",
  time_off: "vacation",
  bug: "defect",
  issue: "defect",
  incident: "defect",
  outage: "defect",
  dog: "pet",
  cat: "pet",
  budget: "money",
  cost: "money",
  spend: "money",
  price: "money",
  morning: "early",
  dawn: "early",
  evening: "late",
  night: "late",
  boss: "manager",
  head: "manager",
  manager: "manager",
  fix: "repair",
  patch: "repair",
  repair: "repair",
  docs: "documentation",
  wiki: "documentation",
  manual: "documentation",
  guide: "documentation",
};

function stem(word: string): string {
  for (const suffix of ["ing", "ed", "s"])
    if (word.length > suffix.length + 2 && word.endsWith(suffix)) return word.slice(0, -suffix.length);
  return word;
}

/** The concepts of a text: its words without stopwords, stemmed, synonyms folded. */
function concepts(text: string): string[] {
  const words = text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  return words.filter((w) => !STOPWORDS.has(w)).map((w) => SYNONYMS[stem(w)] ?? SYNONYMS[w] ?? stem(w));
}

function hash(text: string, seed: number): number {
  let h = 2166136261 ^ seed;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Concepts of the synonym table are what a text is about: they weigh more than other words. */
const TOPICS = new Set(Object.values(SYNONYMS));

/** A deterministic unit vector: each concept adds ±weight at two hashed places. */
export function fakeEmbedding(text: string, dimension = FAKE_DIMENSION): number[] {
  const vector = new Array<number>(dimension).fill(0);
  for (const concept of concepts(text))
    for (const seed of [1, 2]) {
      const h = hash(concept, seed);
      const weight = TOPICS.has(concept) ? 2 : 1;
      vector[h % dimension] = (vector[h % dimension] ?? 0) + (h & 0x80000000 ? -weight : weight);
    }
  const norm = Math.hypot(...vector);
  // A text with no concept still gets a vector, far from everything.
  if (norm === 0) vector[hash(text, 3) % dimension] = 1;
  return vector.map((v) => (norm === 0 ? v : v / norm));
}

/** An OpenAI-compatible `POST /v1/embeddings` on loopback. */
export async function startFakeEmbeddings(): Promise<FakeEmbeddings> {
  const waiting = new Set<ServerResponse>();
  const fake: FakeEmbeddings = {
    url: "",
    mode: "ok",
    requests: [],
    stop: async () => {
      for (const res of waiting) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((req, res) => void answer(fake, waiting, req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return fake;
}

async function answer(fake: FakeEmbeddings, waiting: Set<ServerResponse>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let body = "";
  for await (const chunk of req) body += chunk;
  if (req.method !== "POST" || req.url !== "/v1/embeddings") {
    res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "not found" } }));
    return;
  }
  const parsed = JSON.parse(body) as { model: string; input: string | string[] };
  const input = typeof parsed.input === "string" ? [parsed.input] : parsed.input;
  fake.requests.push({ model: parsed.model, input, authorization: req.headers.authorization });
  fake.onRequest?.(fake.requests.length);
  const mode = fake.mode;
  const json = (status: number, value: unknown): void =>
    void res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
  if (mode === "timeout") {
    waiting.add(res);
    return;
  }
  if (mode === "garbage") return json(200, { object: "list", data: "not vectors" });
  if (typeof mode === "object" && "status" in mode) return json(mode.status, { error: { message: `fake failure ${mode.status}` } });
  const dimension = typeof mode === "object" ? mode.dimension : FAKE_DIMENSION;
  json(200, {
    object: "list",
    model: parsed.model,
    data: input.map((text, index) => ({ object: "embedding", index, embedding: fakeEmbedding(text, dimension) })),
    usage: { prompt_tokens: input.length, total_tokens: input.length },
  });
}

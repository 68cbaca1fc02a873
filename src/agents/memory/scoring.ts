import { type SQL, sql } from "drizzle-orm";
import { type MemoryKind, memories } from "../../db/schema.js";

/** Importance a memory gets when the caller does not say. */
export const DEFAULT_IMPORTANCE: Readonly<Record<MemoryKind, number>> = {
  working: 0.4,
  episodic: 0.5,
  semantic: 0.7,
  procedural: 0.8,
};

const HOUR = 3600;
const DAY = 24 * HOUR;

/** Seconds after which a memory's value halves, counted from its last use. */
export const HALF_LIFE_SECONDS: Readonly<Record<MemoryKind, number>> = {
  working: 6 * HOUR,
  episodic: 7 * DAY,
  semantic: 90 * DAY,
  procedural: 180 * DAY,
};

/** value *= 1 + ACCESS_BOOST * ln(1 + accessCount): 1 use ≈ +7%, 10 ≈ +24%, 100 ≈ +46%. */
export const ACCESS_BOOST = 0.1;

/**
 * Recall score = relevance × (VALUE_BASE + value), relevance being ts_rank. With a base of 1 the
 * value (0 for a forgotten memory, about 1 for a fresh important one, up to ~1.5 with heavy use)
 * can raise a score about 2.5 times at most: a memory that matches more of the question usually
 * wins, and among equally relevant ones the more important, fresher and more used wins. A fully
 * decayed memory that matches well is still recalled, after the others.
 */
export const VALUE_BASE = 1;

/**
 * Recall ranks a bounded pool of candidates rather than every match, so that a common word in a
 * channel of 100k memories does not mean scoring tens of thousands of rows (each a heap page
 * visit). The pool, all found through indexes:
 *  - exact: every match, when the channel holds at most EXACT_UP_TO memories;
 *  - recent: matches among the channel's RECENT_WINDOW latest memories;
 *  - all words: up to ALL_TERMS_CAP memories containing every word of the question;
 *  - rare words: up to RARE_TERM_CAP memories for each word seen in fewer than RARE_TERM_SEEN of
 *    the recent window (a cheap estimate of document frequency: rare words are the telling ones);
 *  - word pairs: up to PAIR_CAP memories for each pair among the PAIR_TERMS rarest words that
 *    co-occur in fewer than PAIR_SEEN memories of the recent window.
 * Every candidate is then scored exactly. Up to EXACT_UP_TO memories (and whenever all matches fall
 * in the pool) the result equals a full ranking; beyond, it is a close approximation.
 */
export const RECALL_POOL = {
  EXACT_UP_TO: 2000,
  RECENT_WINDOW: 256,
  ALL_TERMS_CAP: 64,
  RARE_TERM_SEEN: 3,
  RARE_TERM_CAP: 32,
  PAIR_TERMS: 4,
  PAIR_SEEN: 4,
  PAIR_CAP: 16,
} as const;

/**
 * Hybrid recall (with embeddings): up to POOL candidates by full-text rank and POOL by vector
 * distance, fused by reciprocal rank (1 / (RRF_K + rank) from each list it is in), then weighed by
 * value as full-text recall is. A candidate is relevant when its cosine similarity to the question
 * is at least MIN_SIMILARITY, or when it matches words of the question and is not plainly unrelated
 * (similarity at least WORD_MATCH_MIN_SIMILARITY, or not embedded yet). Nothing relevant, nothing
 * recalled. The floors suit OpenAI's text-embedding-3 models.
 */
export const HYBRID = {
  POOL: 40,
  RRF_K: 60,
  MIN_SIMILARITY: 0.35,
  WORD_MATCH_MIN_SIMILARITY: 0.15,
} as const;

/** A new memory at least this similar to one of its channel, kind and thread is the same memory, reworded. */
export const DUPLICATE_SIMILARITY = 0.95;

/** When a duplicate is remembered again its importance rises by this much (capped at 1). */
export const REPEAT_IMPORTANCE_BUMP = 0.05;

/** 0..1 in steps of 1e-4 (the column is a real; tiny values would only risk float underflow). */
export function clampImportance(value: number | undefined, kind: MemoryKind): number {
  if (value === undefined || !Number.isFinite(value)) return DEFAULT_IMPORTANCE[kind];
  return Math.round(Math.min(1, Math.max(0, value)) * 10_000) / 10_000;
}

/**
 * Decay stops after this many half-lives (a factor of 2^-64 ≈ 5e-20): Postgres raises an error
 * rather than underflow to zero in power() and in float multiplication.
 */
export const MAX_HALF_LIVES = 64;

/** The value of a memory as the SQL computes it, for display and tests. */
export function memoryValue(
  memory: { kind: MemoryKind; importance: number; accessCount: number; createdAt: Date; lastAccessedAt: Date },
  now: Date = new Date(),
): number {
  const last = Math.max(memory.createdAt.getTime(), memory.lastAccessedAt.getTime());
  const ageSeconds = Math.max(0, (now.getTime() - last) / 1000);
  const decay = 0.5 ** Math.min(MAX_HALF_LIVES, ageSeconds / HALF_LIFE_SECONDS[memory.kind]);
  return memory.importance * decay * (1 + ACCESS_BOOST * Math.log1p(memory.accessCount));
}

// Constants are inlined as literals (never user input): they let the planner fold them.
const num = (n: number): SQL => sql.raw(String(n));

/** SQL: seconds each row's kind takes to lose half its value. */
function halfLifeSql(): SQL {
  const cases = (Object.keys(HALF_LIFE_SECONDS) as MemoryKind[]).map((kind) => sql.raw(` when '${kind}' then ${HALF_LIFE_SECONDS[kind]}`));
  return sql`(case ${memories.kind}${sql.join(cases)} else ${num(HALF_LIFE_SECONDS.episodic)} end)::float8`;
}

/**
 * SQL: importance × 0.5^(age / half-life of the kind) × (1 + ACCESS_BOOST·ln(1 + accessCount)),
 * age counted from max(createdAt, lastAccessedAt), float8 throughout.
 */
export function valueSql(): SQL {
  const age = sql`greatest(0, extract(epoch from (now() - greatest(${memories.createdAt}, ${memories.lastAccessedAt})))::float8)`;
  return sql`(${memories.importance}::float8 * power(0.5::float8, least(${num(MAX_HALF_LIVES)}, ${age} / ${halfLifeSql()})) * (1 + ${num(ACCESS_BOOST)} * ln(1 + ${memories.accessCount}::float8)))`;
}

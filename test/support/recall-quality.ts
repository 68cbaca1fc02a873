import type { MemoryStore } from "../../src/agents/memory/store.js";

/**
 * A recall-quality set in the manner of long-term-memory benchmarks: facts a team teaches its bot,
 * distractors, and for each fact a question sharing its words and one meaning the same in other
 * words; plus questions nothing answers. Sized for a test; the benchmark runs the same.
 */
const QUALITY_FACTS: { fact: string; keyword: string; paraphrase: string }[] = [
  { fact: "Dana owns the payments service", keyword: "who owns the payments service?", paraphrase: "Who looks after billing?" },
  { fact: "Releases ship on Thursdays", keyword: "when do releases ship?", paraphrase: "Which weekday do we deploy?" },
  { fact: "The standup meeting is at 9:30", keyword: "when is the standup?", paraphrase: "What time is the daily sync?" },
  {
    fact: "The production database runs on Postgres 15",
    keyword: "which postgres version does production run?",
    paraphrase: "What datastore engine do we use in prod?",
  },
  {
    fact: "The office wifi password is on the fridge",
    keyword: "where is the wifi password?",
    paraphrase: "Where can I find the network credential for the building?",
  },
  { fact: "Lunch is served at noon on Fridays", keyword: "when is lunch served?", paraphrase: "What time do we eat together?" },
  { fact: "Marco is on holiday until June", keyword: "when is Marco back from holiday?", paraphrase: "Who is on leave this month?" },
  { fact: "The login bug was fixed by Priya", keyword: "who fixed the login bug?", paraphrase: "Who patched the sign-in defect?" },
  {
    fact: "Our cloud budget is 40k per month",
    keyword: "what is the cloud budget?",
    paraphrase: "How much money can we spend on hosting?",
  },
  { fact: "The on-call manager this week is Sam", keyword: "who is the on-call manager?", paraphrase: "Who is the boss on duty?" },
  {
    fact: "The API documentation lives in the wiki",
    keyword: "where is the API documentation?",
    paraphrase: "Where is the guide to our interface?",
  },
  { fact: "Backups run every night at 2am", keyword: "when do backups run?", paraphrase: "What time in the evening are snapshots taken?" },
  { fact: "Jo leads the mobile team", keyword: "who leads the mobile team?", paraphrase: "Who is responsible for the phone app group?" },
  {
    fact: "The staging server is called mercury",
    keyword: "what is the staging server called?",
    paraphrase: "What is the name of the test box?",
  },
  {
    fact: "Customer incidents go to the support channel",
    keyword: "where do customer incidents go?",
    paraphrase: "Where do we report outages from clients?",
  },
  { fact: "Ana's cat is named Pixel", keyword: "what is Ana's cat named?", paraphrase: "Who has a pet at home?" },
  { fact: "Invoices are sent on the first of the month", keyword: "when are invoices sent?", paraphrase: "When do we bill clients?" },
  {
    fact: "The design meeting happens every Tuesday afternoon",
    keyword: "when is the design meeting?",
    paraphrase: "When is the weekly huddle about mockups?",
  },
  { fact: "Deploys are frozen during December", keyword: "when are deploys frozen?", paraphrase: "Can we launch at the end of the year?" },
  {
    fact: "The VPN key must be rotated every 90 days",
    keyword: "how often is the VPN key rotated?",
    paraphrase: "How often do we change the token for remote access?",
  },
];

const QUALITY_DISTRACTORS: string[] = [
  "The team offsite was in Porto last spring",
  "Someone left an umbrella in the meeting room",
  "The coffee machine on floor two is broken",
  "Our logo uses a shade of teal",
  "The intern program starts in September",
  "Slides for the all-hands are in the shared drive",
  "The parking garage closes at midnight",
  "Sam prefers tabs over spaces",
  "The quarterly report is due next Friday",
  "Marketing wants a new landing page",
  "The old build agents were retired",
  "Priya likes her tea without sugar",
  "The plants by the window need water on Mondays",
  "The company turns ten next year",
  "Our style guide forbids exclamation marks",
  "The printer on floor three jams often",
  "Jo ran a marathon in October",
  "The recruiting pipeline has twelve candidates",
  "We renamed the analytics project to Lens",
  "The team photo is pinned in the lobby",
];

/** Questions no memory answers: a turn asking them should get none. */
const QUALITY_UNRELATED: string[] = [
  "What is the capital of Portugal?",
  "How tall is Mount Everest?",
  "Translate hello into Spanish",
  "What is two plus two?",
  "Who wrote Hamlet?",
];

export interface QualityFigures {
  /** Share of keyword questions whose fact is among the recalled. */
  keyword: number;
  /** Share of paraphrased questions whose fact is among the recalled. */
  paraphrase: number;
  /** Memories recalled for a question nothing answers, on average. */
  unrelatedRecalled: number;
}

/** Teaches the set to `channelId`; `settle` waits for embeddings where there are any. */
export async function teachQualitySet(store: MemoryStore, channelId: string, settle: () => Promise<void> = async () => {}): Promise<void> {
  for (const content of [...QUALITY_FACTS.map((f) => f.fact), ...QUALITY_DISTRACTORS])
    await store.remember({ channelId, kind: "semantic", content, author: "team" });
  await settle();
}

/** Asks every question as a turn would (recall of 5) and scores the answers. */
export async function measureQuality(store: MemoryStore, channelId: string): Promise<QualityFigures> {
  const hits = async (question: "keyword" | "paraphrase") => {
    let found = 0;
    for (const item of QUALITY_FACTS) {
      const recalled = await store.recall({ channelId, query: item[question], limit: 5 });
      if (recalled.some((memory) => memory.content === item.fact)) found += 1;
    }
    return found / QUALITY_FACTS.length;
  };
  let unrelated = 0;
  for (const question of QUALITY_UNRELATED) unrelated += (await store.recall({ channelId, query: question, limit: 5 })).length;
  return { keyword: await hits("keyword"), paraphrase: await hits("paraphrase"), unrelatedRecalled: unrelated / QUALITY_UNRELATED.length };
}

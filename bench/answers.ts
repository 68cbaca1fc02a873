import { processCpuMs } from "./cpu.js";
import type { BenchDatabase } from "./database.js";
import { runLoad } from "./load.js";
import type { BenchModel } from "./model.js";
import { type BenchResult, percentile } from "./result.js";

/** One platform's side of the answer benches. */
export interface AnswerTarget {
  /** The bot's process, whose CPU time is counted. */
  pid: number;
  /** Where the bot keeps its data: PGlite's CPU is in the bot's process, Postgres' in `serverCpuMs`. */
  database: Pick<BenchDatabase, "engine" | "serverCpuMs">;
  model: BenchModel;
  /** Sends the mention `question N`; resolves once its final answer reached the fake platform, with when it and the first text did (Date.now()). */
  answer(question: string): Promise<{ firstAt: number; finalAt: number }>;
  /** API calls the fake platform received so far. */
  calls(): number;
  /** Calls a second the bot sends at most for as long as they keep coming, under the platform's limit for it in all (Discord's). */
  callsPerSecond?: number;
}

export interface AnswerCounts {
  /** Answers per run at c=1 and at c=16. */
  serial: number;
  concurrent: number;
  /** Answers timed for "final answer after model end". */
  fallback: number;
}

let nextQuestion = 0;
const question = () => String(nextQuestion++);

/**
 * Answers per second at c=1 and c=16, with an instant model and with one that ends 100 ms after
 * its first words; the bot process's CPU time and the platform API calls per answer at c=16.
 */
export async function throughputRows(name: string, target: AnswerTarget, counts: AnswerCounts): Promise<BenchResult[]> {
  const rows: BenchResult[] = [];
  for (const delayMs of [0, 100]) {
    target.model.delayMs = delayMs;
    const model = delayMs === 0 ? "instant model" : `${delayMs} ms model`;
    for (const concurrency of [1, 16]) {
      const count = concurrency === 1 ? counts.serial : counts.concurrent;
      const [cpuBefore, serverBefore, callsBefore] = [processCpuMs(target.pid), await target.database.serverCpuMs(), target.calls()];
      const firstText: number[] = [];
      const load = await runLoad(count, concurrency, async () => {
        const asked = question();
        const { firstAt } = await target.answer(asked);
        firstText.push(firstAt - (target.model.started.get(asked) ?? Number.NaN));
      });
      // What an answer still does after its final text (the 👀 taken off) is its cost too.
      await settled(target);
      const cpu = (processCpuMs(target.pid) - cpuBefore) / count;
      const serverCpu = ((await target.database.serverCpuMs()) - serverBefore) / count;
      const calls = (target.calls() - callsBefore) / count;
      rows.push({
        name,
        metric: `c=${concurrency} answers/s, ${model}`,
        value: load.perSecond,
        unit: "ans/s",
        note: `mention sent → final answer${
          target.callsPerSecond
            ? `; ${target.callsPerSecond} calls a second, the bot's pace under the platform's limit, allow ${(target.callsPerSecond / calls).toFixed(1)}`
            : ""
        }`,
      });
      if (concurrency === 1 && delayMs === 0) {
        firstText.sort((a, b) => a - b);
        const note = "question at the model → first text on the platform";
        rows.push(
          { name, metric: "c=1 first text after model start p50", value: percentile(firstText, 50), unit: "ms", note },
          { name, metric: "c=1 first text after model start p99", value: percentile(firstText, 99), unit: "ms", note: "goal < 50 ms" },
        );
      }
      if (concurrency === 16) {
        const pglite = target.database.engine === "pglite";
        const where = pglite ? "the bot's process with PGlite in it" : "the bot's process, not Postgres";
        rows.push({ name, metric: `c=16 CPU per answer, ${model}`, value: cpu, unit: "ms", note: `${where}, user + system; goal < 8 ms` });
        if (!pglite)
          rows.push({
            name,
            metric: `c=16 Postgres CPU per answer, ${model}`,
            value: serverCpu,
            unit: "ms",
            note: "the server's backends for the bot",
          });
        rows.push({ name, metric: `c=16 API calls per answer, ${model}`, value: calls, unit: "calls" });
      }
    }
  }
  return rows;
}

/**
 * Final answer on the platform minus the end of the model's stream, one answer at a time, with a
 * model that ends 100 ms after its first words (so a live message is up when it ends).
 */
export async function fallbackRows(name: string, target: AnswerTarget, count: number, note: string): Promise<BenchResult[]> {
  target.model.delayMs = 100;
  const lags: number[] = [];
  await runLoad(count, 1, async () => {
    const asked = question();
    const { finalAt } = await target.answer(asked);
    const endedAt = target.model.ended.get(asked);
    if (endedAt === undefined) throw new Error(`the model never ended question ${asked}`);
    lags.push(finalAt - endedAt);
  });
  lags.sort((a, b) => a - b);
  return [
    { name, metric: "final answer after model end p50", value: percentile(lags, 50), unit: "ms", note },
    { name, metric: "final answer after model end p99", value: percentile(lags, 99), unit: "ms" },
  ];
}

/** Until the platform saw no call for 300 ms: the last answers' trailing calls are counted. */
async function settled(target: AnswerTarget): Promise<void> {
  let seen = -1;
  while (seen !== target.calls()) {
    seen = target.calls();
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

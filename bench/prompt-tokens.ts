import type { ChatCompletionRequest } from "@copilotkit/aimock";
import { messageTokens } from "../src/agents/assistant/tokens.js";
import { startTestApp } from "../test/support/app.js";
import type { BenchResult } from "./result.js";

/** Prompt tokens the model receives on each turn of one long thread. */
export async function benchPromptTokens(turns = 200): Promise<BenchResult[]> {
  const t = await startTestApp({ CONTEXT_TOKEN_BUDGET: "3000" });
  t.llm.mock.addFixture({
    match: { predicate: () => true },
    response: {
      content: "Here is a considered answer about the rollout plan, the risks we discussed, and what to check before Friday's release.",
    },
  });
  try {
    let thread: string | undefined;
    for (let i = 0; i < turns; i++) {
      const { json } = await t.post("/api/chat", {
        channel: "long",
        user: "ada",
        text: `Turn ${i}: what should we check next for the release of component ${i}?`,
        thread,
      });
      thread = json.thread;
    }
    const sizes = t.llm.mock
      .getRequests()
      .map((entry) =>
        (entry.body as ChatCompletionRequest).messages.reduce(
          (sum, m) => sum + messageTokens(typeof m.content === "string" ? m.content : ""),
          0,
        ),
      );
    const tail = sizes.slice(Math.floor(turns / 2));
    const name = "prompt tokens";
    return [
      ...[10, 50, 100, 150, 200]
        .filter((n) => n <= turns)
        .map((n) => ({ name, metric: `turn ${n}`, value: sizes[n - 1]!, unit: "tokens" })),
      {
        name,
        metric: "spread over last half",
        value: Math.max(...tail) - Math.min(...tail),
        unit: "tokens",
        note: "budget 3000; flat means a small spread",
      },
    ];
  } finally {
    await t.stop();
  }
}

import { describe, expect, it } from "vitest";
import { LlmError } from "../../src/agents/llm/types.js";
import { Coordinator } from "../../src/agents/team/coordinator.js";
import { specialistRoster } from "../../src/agents/team/specialists.js";
import { ScriptedLlm } from "../support/scripted-llm.js";

const plan = (tasks: { key: string; capabilities: string[]; dependsOn?: string[] }[]) =>
  JSON.stringify({ tasks: tasks.map((task) => ({ description: `Do ${task.key}`, dependsOn: [], ...task })) });

const diamond = plan([
  { key: "a", capabilities: ["research"] },
  { key: "b", capabilities: ["analysis"], dependsOn: ["a"] },
  { key: "c", capabilities: ["research"], dependsOn: ["a"] },
  { key: "d", capabilities: ["synthesis"], dependsOn: ["b", "c"] },
]);

describe("coordinator", () => {
  const roster = specialistRoster([]);

  it("plans a goal in one call, names the specialists in its instructions, and assigns each task", async () => {
    const llm = new ScriptedLlm().next(diamond);
    const planned = await new Coordinator(llm, roster).plan("Compare the vendors");
    expect(planned.tasks.map((task) => [task.key, task.specialist])).toEqual([
      ["a", "research"],
      ["b", "analysis"],
      ["c", "research"],
      ["d", "synthesis"],
    ]);
    expect(planned).toMatchObject({ reportTask: "d" });
    expect(planned).not.toHaveProperty("repairedFrom");
    expect(llm.requests).toHaveLength(1);
    const [system, user] = llm.requests[0]!.messages;
    expect(system).toMatchObject({ role: "system", content: expect.stringContaining("- analysis: analysis, compare") });
    expect(user).toEqual({ role: "user", content: "Goal: Compare the vendors" });
  });

  it("asks once for a corrected plan, saying what was wrong, then falls back to the linear plan", async () => {
    const cyclic = plan([
      { key: "x", capabilities: ["research"], dependsOn: ["y"] },
      { key: "y", capabilities: ["synthesis"], dependsOn: ["x"] },
    ]);
    const repaired = new ScriptedLlm().next(
      cyclic,
      plan([
        { key: "x", capabilities: ["research"] },
        { key: "y", capabilities: ["synthesis"], dependsOn: ["x"] },
      ]),
    );
    const corrected = await new Coordinator(repaired, roster).plan("Find out and write it up");
    expect(corrected.repairedFrom).toContain("cycle: x -> y -> x");
    expect(corrected.tasks.map((task) => task.key)).toEqual(["x", "y"]);
    expect(repaired.lastRequest().messages.slice(-2)).toEqual([
      { role: "assistant", content: cyclic },
      { role: "user", content: expect.stringMatching(/^That plan is invalid: .*cycle: x -> y -> x/) },
    ]);

    const hopeless = new ScriptedLlm().next("I would rather not.", '{"tasks": [{"key": "only"}]}');
    const fallback = await new Coordinator(hopeless, roster).plan("Plan this if you can");
    expect(fallback.fallbackReason).toBeDefined();
    expect(fallback.tasks.map((task) => task.key)).toEqual(["research", "analysis", "synthesis"]);
    expect(hopeless.requests).toHaveLength(2);
  });

  it("prefers the idle one of equal specialists, by a count that may arrive while the model answers", async () => {
    const twins = ["ann", "bob"].map((name) => ({ name, capabilities: ["research", "synthesis"], systemPrompt: "Work.", tools: [] }));
    let tell: (busy: Map<string, number>) => void = () => undefined;
    const busy = new Promise<Map<string, number>>((resolve) => (tell = resolve));
    const llm = new ScriptedLlm().next(async () => {
      tell(new Map([["ann", 2]]));
      return plan([
        { key: "a", capabilities: ["research"] },
        { key: "w", capabilities: ["synthesis"], dependsOn: ["a"] },
      ]);
    });
    const planned = await new Coordinator(llm, twins).plan("Look it up", { busy });
    // Ann runs two tasks already: bob gets a, and still has fewer when w is assigned.
    expect(planned.tasks.map((task) => [task.key, task.specialist])).toEqual([
      ["a", "bob"],
      ["w", "bob"],
    ]);
  });

  it("stops planning when its signal fires", async () => {
    const controller = new AbortController();
    const llm = new ScriptedLlm().next(async () => {
      controller.abort();
      return new Promise(() => undefined);
    });
    const error = await new Coordinator(llm, roster).plan("Something long", { signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmError);
    expect((error as LlmError).kind).toBe("aborted");
  });
});

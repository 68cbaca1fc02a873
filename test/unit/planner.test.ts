import { describe, expect, it } from "vitest";
import { checkPlan, dependantsOf, linearPlan, sinks, topologicalOrder } from "../../src/agents/team/planner.js";
import { builtinSpecialists, chooseSpecialist, type Specialist, specialistRoster } from "../../src/agents/team/specialists.js";
import { loadConfig } from "../../src/config.js";

const plan = (tasks: unknown[]) => JSON.stringify({ tasks });

describe("checkPlan", () => {
  it("accepts a DAG as bare JSON, fenced, or inside prose, with defaults filled in", () => {
    const json = plan([
      { key: "a", description: "find" },
      { key: "b", description: "write", dependsOn: ["a"] },
    ]);
    for (const text of [json, `\`\`\`json\n${json}\n\`\`\``, `Here is the plan: ${json} Good luck.`]) {
      const checked = checkPlan(text);
      expect(checked.ok).toBe(true);
      if (checked.ok) expect(checked.plan.tasks[0]).toMatchObject({ key: "a", capabilities: [], complexity: "medium", dependsOn: [] });
    }
  });

  it("names what is wrong: no JSON, a field, a count, a duplicate, an unknown dependency, a cycle", () => {
    const cases: [string, RegExp][] = [
      ["I cannot plan this.", /no JSON object/],
      [plan([{ key: "a" }, { key: "b", description: "x" }]), /tasks\.0\.description/],
      [plan([{ key: "a", description: "only one" }]), /tasks: Too small/],
      [
        plan([
          { key: "a", description: "x" },
          { key: "a", description: "y" },
        ]),
        /two tasks have the key "a"/,
      ],
      [
        plan([
          { key: "a", description: "x" },
          { key: "b", description: "y", dependsOn: ["zz"] },
        ]),
        /"b" depends on "zz", which is not a task/,
      ],
      [
        plan([
          { key: "a", description: "x", dependsOn: ["a"] },
          { key: "b", description: "y" },
        ]),
        /"a" depends on itself/,
      ],
      [
        plan([
          { key: "a", description: "x", dependsOn: ["c"] },
          { key: "b", description: "y", dependsOn: ["a"] },
          { key: "c", description: "z", dependsOn: ["b"] },
        ]),
        /cycle: a -> c -> b -> a/,
      ],
      [
        plan([
          { key: "bad key!", description: "x" },
          { key: "b", description: "y" },
        ]),
        /tasks\.0\.key: a task key/,
      ],
    ];
    for (const [text, reason] of cases) {
      const checked = checkPlan(text);
      expect(checked.ok, text).toBe(false);
      if (!checked.ok) expect(checked.error).toMatch(reason);
    }
  });
});

describe("graph helpers", () => {
  const tasks = [
    { key: "d", dependsOn: ["b", "c"], description: "", capabilities: [], complexity: "low" as const },
    { key: "b", dependsOn: ["a"], description: "", capabilities: [], complexity: "low" as const },
    { key: "a", dependsOn: [], description: "", capabilities: [], complexity: "low" as const },
    { key: "c", dependsOn: ["a"], description: "", capabilities: [], complexity: "low" as const },
  ];

  it("orders a task after what it depends on, finds the ends and everything downstream", () => {
    const order = topologicalOrder(tasks).map((task) => task.key);
    for (const task of tasks) for (const dep of task.dependsOn) expect(order.indexOf(dep)).toBeLessThan(order.indexOf(task.key));
    expect(sinks(tasks)).toEqual(["d"]);
    expect([...dependantsOf("a", tasks)].sort()).toEqual(["b", "c", "d"]);
    expect([...dependantsOf("c", tasks)]).toEqual(["d"]);
  });

  it("has a safe linear fallback that is itself a valid plan", () => {
    const fallback = linearPlan("Compare vendors");
    expect(checkPlan(JSON.stringify(fallback)).ok).toBe(true);
    expect(fallback.tasks.map((task) => task.dependsOn)).toEqual([[], ["research"], ["analysis"]]);
  });
});

describe("specialists", () => {
  const legal: Specialist = { name: "legal", capabilities: ["legal", "contracts"], systemPrompt: "You review contracts.", tools: [] };
  const research2: Specialist = { ...builtinSpecialists[0]!, name: "research2" };

  it("chooses by capabilities, a word of the description counting half", () => {
    const roster = specialistRoster([legal]);
    expect(chooseSpecialist({ capabilities: ["contracts"], description: "Review the MSA" }, roster, new Map()).name).toBe("legal");
    expect(chooseSpecialist({ capabilities: [], description: "Compare the offers and calculate the cost" }, roster, new Map()).name).toBe(
      "analysis",
    );
    expect(chooseSpecialist({ capabilities: ["synthesis"], description: "x" }, roster, new Map()).name).toBe("synthesis");
  });

  it("prefers the idle one among equally able specialists", () => {
    const roster = specialistRoster([research2]);
    const task = { capabilities: ["research"], description: "find facts" };
    expect(chooseSpecialist(task, roster, new Map()).name).toBe("research");
    expect(chooseSpecialist(task, roster, new Map([["research", 2]])).name).toBe("research2");
  });

  it("lets a custom specialist replace a built-in of the same name", () => {
    const roster = specialistRoster([{ ...legal, name: "research" }]);
    expect(roster.filter((s) => s.name === "research")).toHaveLength(1);
    expect(roster.find((s) => s.name === "research")!.capabilities).toEqual(["legal", "contracts"]);
  });

  it("reads custom specialists from SPECIALISTS and explains a bad value", () => {
    const config = loadConfig({
      SPECIALISTS: JSON.stringify([{ name: "legal", capabilities: ["Legal"], systemPrompt: "Review.", tools: ["recall"] }]),
    });
    expect(config.projects.specialists).toEqual([{ name: "legal", capabilities: ["legal"], systemPrompt: "Review.", tools: ["recall"] }]);
    expect(() => loadConfig({ SPECIALISTS: "[{" })).toThrow(/SPECIALISTS: got "\[\{"; expected a JSON array/);
    expect(() => loadConfig({ SPECIALISTS: JSON.stringify([{ name: "Legal Team", capabilities: [], systemPrompt: "" }]) })).toThrow(
      /SPECIALISTS/,
    );
  });
});

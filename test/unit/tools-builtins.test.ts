import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ConversationStore } from "../../src/agents/conversation/conversation-store.js";
import { MemoryStore } from "../../src/agents/memory/store.js";
import { calculate } from "../../src/tools/builtin/calculator.js";
import { currentTimeTool } from "../../src/tools/builtin/current-time.js";
import { memoryTools } from "../../src/tools/builtin/memory.js";
import { openToolBench, type ToolBench } from "../support/tools.js";

let bench: ToolBench;

beforeAll(async () => {
  bench = await openToolBench("builtins");
});

afterAll(async () => {
  await bench.database.close();
});

describe("current_time", () => {
  it("tells the time in an IANA zone", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: new Date("2026-07-01T12:00:00Z") });
    try {
      expect(await bench.result(currentTimeTool, { timeZone: "America/New_York" })).toEqual({
        timeZone: "America/New_York",
        local: "2026-07-01T08:00:00-04:00",
        weekday: "Wednesday",
        utc: "2026-07-01T12:00:00.000Z",
      });
      expect(await bench.result(currentTimeTool, {})).toMatchObject({ timeZone: "UTC", local: "2026-07-01T12:00:00+00:00" });
    } finally {
      vi.useRealTimers();
    }
  });

  it("refuses a zone that does not exist, naming the field", async () => {
    expect((await bench.call(currentTimeTool, { timeZone: "Mars/Olympus" })).content).toMatch(
      /invalid arguments for current_time: timeZone: not an IANA time zone/,
    );
  });
});

describe("memory tools", () => {
  it("forget deletes a memory of this channel only", async () => {
    const [remember, , forget] = memoryTools(new MemoryStore(bench.database.db, { capacity: 100 }));
    const stored = (await bench.result(remember!, { fact: "The deploy day is Thursday" })) as { id: number };
    const other = await new ConversationStore(bench.database.db).ensureChannel("web", "elsewhere", "elsewhere");
    expect((await bench.call(forget!, { id: stored.id }, { ...bench.context, channelId: other.id })).content).toBe(
      `Error: forget failed: this channel has no memory with id ${stored.id}`,
    );
    expect(await bench.result(forget!, { id: stored.id })).toEqual({ forgotten: stored.id });
    expect((await bench.call(forget!, { id: stored.id })).ok).toBe(false);
  });
});

describe("calculator limits", () => {
  it.each([
    ["combinations(3*10^9, 10^9)", /combinations is limited/],
    ["(10^7)!", /factorial is limited/],
    ["permutations(2*10^5)", /permutations is limited/],
    ["sum(1:1e9)", /range/],
    ["cos = 1", /assignment/],
    ['parse("1")', /forbidden function: parse/],
    ['simplify("x")', /forbidden function: simplify/],
    ['f = typed("f", {})', /assignment/],
    ["[1,2][1]", /not allowed|array|index/i],
    ["{a: 1}", /object/],
    ["1; 2", /block/],
  ])("refuses %s", async (expression, error) => {
    await expect(calculate(expression)).rejects.toThrow(error);
  });

  it("still computes the bounded functions", async () => {
    expect(await calculate("combinations(5, 2) + 5! + permutations(4, 2)")).toBe(142);
  });
});

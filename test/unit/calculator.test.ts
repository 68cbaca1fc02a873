import { describe, expect, it } from "vitest";
import { calculate } from "../../src/tools/builtin/calculator.js";

describe("calculator", () => {
  it.each([
    ["(17.5 * 12) / 3", 70],
    ["round(1234.5678, 2)", 1234.57],
    ["2^10", 1024],
    ["max(3, 9, 4)", 9],
    ["cos(pi)", -1],
    ["10 mod 3", 1],
  ])("%s = %d", async (expression, value) => {
    expect(await calculate(expression)).toBeCloseTo(value, 10);
  });

  it.each([
    ["x = 2", /assignment/],
    ["f(x) = x^2", /functionassignment/],
    ['import({"a": 1})', /forbidden function: import/],
    ['evaluate("1+1")', /forbidden function: evaluate/],
    ["createUnit('x')", /forbidden function/],
    ["[1, 2, 3]", /array/],
    ["a.b", /accessor/],
    ["ones(10000, 10000)", /forbidden function: ones/],
    ["factorial(1e9)", /limited/],
    ["unknownName + 1", /Unknown name/],
    ['"text"', /Only numbers/],
    ["1 +", /parse/],
    [`${"1+".repeat(300)}1`, /longer than/],
  ])("refuses %s", async (expression, error) => {
    await expect(calculate(expression)).rejects.toThrow(error);
  });
});

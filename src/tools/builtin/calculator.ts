import type { FactoryFunctionMap, MathJsInstance, MathNode } from "mathjs";
import { z } from "zod";
import { defineTool } from "../define.js";

const FUNCTIONS = new Set([
  "abs",
  "acos",
  "acosh",
  "asin",
  "asinh",
  "atan",
  "atan2",
  "atanh",
  "cbrt",
  "ceil",
  "cos",
  "cosh",
  "exp",
  "floor",
  "gcd",
  "hypot",
  "lcm",
  "log",
  "log10",
  "log2",
  "max",
  "mean",
  "median",
  "min",
  "mod",
  "nthRoot",
  "pow",
  "round",
  "sign",
  "sin",
  "sinh",
  "sqrt",
  "std",
  "sum",
  "tan",
  "tanh",
  "variance",
  "combinations",
  "permutations",
  "factorial",
]);
const CONSTANTS = new Set(["pi", "e", "tau", "phi", "PI", "E", "Infinity"]);
// Node types an arithmetic expression needs; assignment, function definition, indexing, objects and blocks stay out.
const NODE_TYPES = new Set(["ConstantNode", "SymbolNode", "OperatorNode", "ParenthesisNode", "FunctionNode", "ConditionalNode"]);
const MAX_LENGTH = 500;
const MAX_NODES = 200;
// These loop once per unit of their arguments, synchronously, where no timeout can stop them;
// past this bound they only give Infinity or NaN anyway.
const MAX_ARGUMENT = 100_000;

export class CalculatorError extends Error {
  override name = "CalculatorError";
}

// Checked when evaluated, so computed arguments like combinations(3*10^9, 10^9) are bounded too.
const bounded =
  (name: string, fn: (...args: number[]) => number) =>
  (...args: number[]) => {
    if (args.some((arg) => Math.abs(arg) > MAX_ARGUMENT))
      throw new CalculatorError(`${name} is limited to arguments up to ${MAX_ARGUMENT}.`);
    return fn(...args);
  };

let loading: Promise<MathJsInstance> | undefined;

/**
 * mathjs, loaded at the first calculation: it is most of what a start would otherwise import.
 * (Loading it just after the start instead blocked the event loop while the first requests came.)
 */
function mathjs(): Promise<MathJsInstance> {
  loading ??= import("mathjs").then(({ all, create }) => {
    // mathjs types `all` as possibly undefined; it is always present at run time.
    const math = create(all as FactoryFunctionMap, { number: "number" });
    math.import(
      {
        factorial: bounded("factorial", math.factorial as (n: number) => number),
        combinations: bounded("combinations", math.combinations as (n: number, k: number) => number),
        permutations: bounded("permutations", math.permutations as (n: number, k?: number) => number),
      },
      { override: true },
    );
    return math;
  });
  return loading;
}

function check(root: MathNode): void {
  let nodes = 0;
  root.traverse((node, _path, parent) => {
    nodes += 1;
    if (nodes > MAX_NODES) throw new CalculatorError(`Expression too large (over ${MAX_NODES} parts).`);
    if (!NODE_TYPES.has(node.type))
      throw new CalculatorError(`Not allowed in a calculation: ${node.type.replace(/Node$/, "").toLowerCase()}.`);
    if (node.type === "FunctionNode") {
      const fn = (node as MathNode & { fn: MathNode }).fn;
      if (fn.type !== "SymbolNode" || !FUNCTIONS.has((fn as MathNode & { name: string }).name))
        throw new CalculatorError(`Unknown or forbidden function: ${fn.toString()}.`);
    } else if (node.type === "SymbolNode") {
      const name = (node as MathNode & { name: string }).name;
      const isCallee = parent?.type === "FunctionNode" && (parent as MathNode & { fn: MathNode }).fn === node;
      if (!isCallee && !CONSTANTS.has(name)) throw new CalculatorError(`Unknown name: ${name}.`);
    } else if (node.type === "ConstantNode") {
      const value = (node as MathNode & { value: unknown }).value;
      if (typeof value !== "number") throw new CalculatorError("Only numbers are allowed.");
    }
  });
}

/** Evaluates arithmetic only: no assignment, imports, function definitions or unbounded work. */
export async function calculate(expression: string): Promise<number> {
  if (expression.length > MAX_LENGTH) throw new CalculatorError(`Expression longer than ${MAX_LENGTH} characters.`);
  const math = await mathjs();
  let root: MathNode;
  try {
    root = math.parse(expression);
  } catch (error) {
    throw new CalculatorError(`Could not parse the expression: ${(error as Error).message}`);
  }
  check(root);
  let value: unknown;
  try {
    value = root.compile().evaluate({});
  } catch (error) {
    throw new CalculatorError(`Could not evaluate: ${(error as Error).message}`);
  }
  if (typeof value !== "number") throw new CalculatorError("The expression did not produce a single number.");
  return value;
}

export const calculatorTool = defineTool({
  name: "calculator",
  description:
    "Evaluate an arithmetic expression exactly, e.g. `(17.5 * 12) / 3`, `sqrt(2)^2`, `round(1234.5678, 2)`, `15% of 80` as `0.15 * 80`. Use it for any arithmetic instead of computing in your head.",
  category: "math",
  risk: "read",
  // Evaluation is synchronous and bounded above; the limit covers loading mathjs on a busy machine.
  policy: { timeoutMs: 10_000 },
  input: z.object({ expression: z.string().min(1).max(MAX_LENGTH).describe("The expression to evaluate") }),
  run: async ({ expression }) => ({ expression, result: await calculate(expression) }),
});

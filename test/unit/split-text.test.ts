import { describe, expect, it } from "vitest";
import { splitText } from "../../src/core/split-text.js";

const paragraph = (i: number) => `Paragraph ${i}: ${"the rollout needs a careful look at error rates and latency ".repeat(4).trim()}.`;

/** Re-joins pieces the way a reader sees them: reopened fences collapse back. */
function rejoin(pieces: string[]): string {
  return pieces.join("\n").replace(/\n```\n```\w*\n/g, "\n");
}

describe("splitText", () => {
  it("returns short text as it is", () => {
    expect(splitText("hello", 100)).toEqual(["hello"]);
  });

  it("splits on paragraph boundaries under the limit and loses nothing", () => {
    const text = Array.from({ length: 30 }, (_, i) => paragraph(i)).join("\n\n");
    const pieces = splitText(text, 2_000);
    expect(pieces.length).toBeGreaterThan(1);
    for (const piece of pieces) {
      expect(piece.length).toBeLessThanOrEqual(2_000);
      expect(piece.startsWith("Paragraph")).toBe(true);
      expect(piece.endsWith(".")).toBe(true);
    }
    expect(pieces.join("\n\n")).toBe(text);
  });

  it("keeps code fences intact across pieces, with their language", () => {
    const code = Array.from({ length: 200 }, (_, i) => `const value${i} = compute(${i}); // step ${i}`).join("\n");
    const text = `Here is the script:\n\n\`\`\`ts\n${code}\n\`\`\`\n\nThat is all.`;
    const pieces = splitText(text, 2_000);
    expect(pieces.length).toBeGreaterThan(3);
    for (const piece of pieces) {
      expect(piece.length).toBeLessThanOrEqual(2_000);
      expect((piece.match(/^```/gm) ?? []).length % 2).toBe(0);
    }
    expect(pieces[1]!.startsWith("```ts\n")).toBe(true);
    expect(rejoin(pieces)).toBe(text);
  });

  it("cuts a single enormous line without dropping characters", () => {
    const text = "x".repeat(10_000);
    const pieces = splitText(text, 3_500);
    expect(pieces.map((piece) => piece.length)).toEqual([3_500, 3_500, 3_000]);
    expect(pieces.join("")).toBe(text);
  });
});

import { describe, expect, it } from "vitest";
import { toSearchText } from "../../src/agents/memory/recall-query.js";
import { scratchPglite } from "../support/databases.js";
import { memoryStoreSuite } from "../support/memory-store-suite.js";

describe("toSearchText", () => {
  it("ORs the words and strips websearch syntax", () => {
    expect(toSearchText('release "codename" -Bluefin OR or')).toBe("release or codename or Bluefin");
    expect(toSearchText('  ?? -- "" ')).toBe("");
    expect(toSearchText("state-of-the-art ops@example.com")).toBe("state-of-the-art or ops@example.com");
  });

  it("keeps at most 32 words", () => {
    const words = Array.from({ length: 50 }, (_, i) => `w${i}`);
    expect(toSearchText(words.join(" ")).split(" or ")).toHaveLength(32);
  });
});

memoryStoreSuite("pglite", scratchPglite);

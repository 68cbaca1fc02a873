import { describe, expect, it } from "vitest";
import { holdReply } from "../../src/agents/assistant/held-reply.js";
import type { ReplyStream } from "../../src/core/poster.js";

function recorder(): ReplyStream & { seen: string[] } {
  const seen: string[] = [];
  return {
    seen,
    append: (delta) => void seen.push(`+${delta}`),
    complete: () => void seen.push("complete"),
    finish: async (text) => {
      seen.push(`=${text}`);
      return { id: "m1" };
    },
  };
}

function gate() {
  let open!: () => void;
  let fail!: (error: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { ready, open, fail };
}

describe("holdReply", () => {
  it("shows nothing until the message is on disk, then everything in order", async () => {
    const inner = recorder();
    const { ready, open } = gate();
    const reply = holdReply(inner, ready);
    reply.append("Hel");
    reply.append("lo");
    const finished = reply.finish("Hello!");
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(inner.seen).toEqual([]);
    open();
    expect(await finished).toEqual({ id: "m1" });
    reply.append(" late");
    expect(inner.seen).toEqual(["+Hel", "+lo", "=Hello!", "+ late"]);
  });

  it("says the answer is complete after the pieces it held", async () => {
    const inner = recorder();
    const { ready, open } = gate();
    const reply = holdReply(inner, ready);
    reply.append("Hello");
    reply.complete?.();
    open();
    await reply.finish("Hello");
    expect(inner.seen).toEqual(["+Hello", "complete", "=Hello"]);
  });

  it("passes pieces straight on once the message is on disk", async () => {
    const inner = recorder();
    const reply = holdReply(inner, Promise.resolve());
    await Promise.resolve();
    await Promise.resolve();
    reply.append("a");
    expect(inner.seen).toEqual(["+a"]);
  });

  it("shows nothing and fails the reply when the message could not be made durable", async () => {
    const inner = recorder();
    const { ready, fail } = gate();
    const reply = holdReply(inner, ready);
    reply.append("secret");
    fail(new Error("disk full"));
    await expect(reply.finish("final")).rejects.toThrow("disk full");
    expect(inner.seen).toEqual([]);
  });
});

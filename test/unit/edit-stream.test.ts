import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { type EditableMessage, EditStream } from "../../src/adapters/edit-stream.js";

const INTERVAL = 200;
// Node timers may fire a millisecond or two early against Date.now(); the spacing checked is the documented one.
const CLOCK_SLACK = 3;

interface Write {
  kind: "post" | "edit" | "publish";
  id: string | undefined;
  text: string;
  at: number;
}

/** An EditableMessage that records each write and its time; `post` waits for `postGate` when given. */
function fakeMessage(postGate?: Promise<void>) {
  const writes: Write[] = [];
  let posting: () => void = () => undefined;
  const postStarted = new Promise<void>((resolve) => (posting = resolve));
  const message: EditableMessage = {
    async post(text) {
      posting();
      await postGate;
      writes.push({ kind: "post", id: undefined, text, at: Date.now() });
      return "m1";
    },
    async edit(id, text) {
      writes.push({ kind: "edit", id, text, at: Date.now() });
    },
    async publish(id, text) {
      writes.push({ kind: "publish", id, text, at: Date.now() });
      return id ?? "m1";
    },
    preview: (text) => `${text} …`,
  };
  return { message, writes, postStarted };
}

/** Live writes (post and edits) keep the interval apart; the final publish does not wait for it. */
function expectSpaced(writes: Write[]): void {
  const live = writes.filter((w) => w.kind !== "publish");
  for (let i = 1; i < live.length; i++) expect(live[i]!.at - live[i - 1]!.at).toBeGreaterThanOrEqual(INTERVAL - CLOCK_SLACK);
}

/** An interval no test outlives: a write that arrives did not wait for it. */
const HOUR = 3_600_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = pino({ level: "silent" });

describe("EditStream", () => {
  it("drops a live edit still waiting for its slot when finish() comes, and publishes without waiting for the interval", async () => {
    let releasePost: () => void = () => undefined;
    const { message, writes, postStarted } = fakeMessage(new Promise((resolve) => (releasePost = resolve)));
    const stream = new EditStream(message, HOUR, log);
    stream.append("Hel");
    await postStarted;
    // Arrives while the first post is in flight: a live edit is queued behind it and must wait its slot.
    stream.append("lo");
    const finished = stream.finish("Hello");
    releasePost();
    expect(await finished).toEqual({ id: "m1" });
    expect(writes.map(({ kind, id, text }) => ({ kind, id, text }))).toEqual([
      { kind: "post", id: undefined, text: "Hel …" },
      { kind: "publish", id: "m1", text: "Hello" },
    ]);
  });

  it("drops a live edit already sleeping towards its slot when finish() comes", async () => {
    let releasePost: () => void = () => undefined;
    const { message, writes, postStarted } = fakeMessage(new Promise((resolve) => (releasePost = resolve)));
    const stream = new EditStream(message, HOUR, log);
    stream.append("Hel");
    await postStarted;
    stream.append("lo");
    releasePost();
    // The queued edit now waits out the interval since the post; finish() ends that wait.
    await sleep(20);
    await stream.finish("Hello");
    expect(writes.map((w) => w.kind)).toEqual(["post", "publish"]);
  });

  it("drops a live edit whose timer has not fired yet", async () => {
    const { message, writes } = fakeMessage();
    const stream = new EditStream(message, HOUR, log);
    stream.append("a");
    await sleep(20);
    stream.append("b");
    await stream.finish("ab");
    expect(writes.map((w) => w.kind)).toEqual(["post", "publish"]);
  });

  it("keeps editing live while the answer streams, at most once per interval, then publishes the whole text", async () => {
    const { message, writes } = fakeMessage();
    const stream = new EditStream(message, INTERVAL, log);
    for (const delta of ["one", " two", " three", " four"]) {
      stream.append(delta);
      await sleep(INTERVAL * 0.6);
    }
    await stream.finish("one two three four.");
    const kinds = writes.map((w) => w.kind);
    expect(kinds[0]).toBe("post");
    expect(kinds.at(-1)).toBe("publish");
    expect(kinds.filter((k) => k === "edit").length).toBeGreaterThanOrEqual(1);
    expect(writes.at(-1)).toMatchObject({ id: "m1", text: "one two three four." });
    expectSpaced(writes);
  });

  it("publishes an answer complete before its first live post as one write", async () => {
    const { message, writes } = fakeMessage();
    const stream = new EditStream(message, HOUR, log);
    stream.append("Hel");
    stream.append("lo");
    await stream.finish("Hello");
    expect(writes.map(({ kind, id, text }) => ({ kind, id, text }))).toEqual([{ kind: "publish", id: undefined, text: "Hello" }]);
  });

  it("shows nothing live of an answer complete before its first post, however long storing it takes", async () => {
    const { message, writes } = fakeMessage();
    const stream = new EditStream(message, HOUR, log);
    stream.append("Hello");
    stream.complete();
    // The reply being stored: the first post's timer turn passes meanwhile.
    await sleep(20);
    await stream.finish("Hello");
    expect(writes.map(({ kind, id, text }) => ({ kind, id, text }))).toEqual([{ kind: "publish", id: undefined, text: "Hello" }]);
  });

  it("publishes into the live message once one is out when the answer completes", async () => {
    const { message, writes } = fakeMessage();
    const stream = new EditStream(message, HOUR, log);
    stream.append("Hel");
    await sleep(20);
    stream.append("lo");
    stream.complete();
    await sleep(20);
    await stream.finish("Hello");
    expect(writes.map(({ kind, id, text }) => ({ kind, id, text }))).toEqual([
      { kind: "post", id: undefined, text: "Hel …" },
      { kind: "publish", id: "m1", text: "Hello" },
    ]);
  });

  it("publishes straight away when nothing was shown yet", async () => {
    const { message, writes } = fakeMessage();
    const stream = new EditStream(message, INTERVAL, log);
    await stream.finish("short");
    expect(writes.map(({ kind, id, text }) => ({ kind, id, text }))).toEqual([{ kind: "publish", id: undefined, text: "short" }]);
  });
});

import { randomUUID } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConversationStore } from "../../src/agents/conversation/conversation-store.js";
import type { ProjectPlan } from "../../src/agents/team/coordinator.js";
import type { Database, Db } from "../../src/db/client.js";
import { rowsOf } from "../../src/db/rows.js";
import { llmUsage, messages } from "../../src/db/schema.js";
import { ProjectStore } from "../../src/jobs/project-store.js";
import { scratchPostgres } from "../support/databases.js";

const diamond: ProjectPlan = {
  reportTask: "d",
  tasks: [
    { key: "a", description: "A", specialist: "research", capabilities: ["research"], complexity: "low", dependsOn: [] },
    { key: "b", description: "B", specialist: "analysis", capabilities: ["analysis"], complexity: "low", dependsOn: ["a"] },
    { key: "c", description: "C", specialist: "research", capabilities: ["research"], complexity: "low", dependsOn: ["a"] },
    { key: "d", description: "D", specialist: "synthesis", capabilities: ["synthesis"], complexity: "low", dependsOn: ["b", "c"] },
  ],
};

const note = { from: "test", to: "coordinator", kind: "completion", content: "done" };

/**
 * A task finishes and steps its project in one statement (ProjectStore.complete), on Postgres,
 * where two tasks can finish at the same moment on two connections.
 */
describe("finishing a project's tasks", () => {
  let database: Database;
  let conversations: ConversationStore;
  let store: ProjectStore;
  let channelId: string;

  beforeAll(async () => {
    database = await scratchPostgres();
    conversations = new ConversationStore(database.db);
    store = new ProjectStore(database.db, conversations);
    channelId = (await conversations.ensureChannel("web", "complete")).id;
  });
  afterAll(() => database?.close());

  async function planned(): Promise<string> {
    const id = randomUUID();
    const conversation = await conversations.openThread(channelId, id, "Project");
    await store.create({
      id,
      channelId,
      conversationId: conversation.id,
      thread: id,
      goal: "Finish",
      createdBy: "ann",
      creatorRole: "member",
      statusMessageId: "status",
    });
    expect(await store.savePlan(id, diamond, [])).toEqual(["a"]);
    return id;
  }

  it("queues what became ready and ends the project, in the same statement as the finish", async () => {
    const id = await planned();
    await store.startTask(id, "a");
    // a's summary went out before it finished; b's could not be posted.
    const conversationId = (await store.get(id))!.conversationId;
    const first = await store.complete(id, "a", "A done", note, { text: "a is done: A done", conversationId });
    const a = { key: "a", description: "A", status: "done", result: "A done", error: null };
    // Each with what its specialist needs: its description and specialist, and its dependencies' results.
    expect({ ...first, ready: first.ready.sort((x, y) => x.key.localeCompare(y.key)) }).toEqual({
      ready: [
        { key: "b", description: "B", specialist: "analysis", dependencies: [a] },
        { key: "c", description: "C", specialist: "research", dependencies: [a] },
      ],
      ended: false,
      racing: false,
    });
    expect((await store.task(id, "a"))?.summaryPostedAt).toBeInstanceOf(Date);
    // The summary is in the project's conversation, as the thread shows it.
    const [summaryRow] = await database.db.select().from(messages).where(eq(messages.conversationId, conversationId!));
    expect(summaryRow).toMatchObject({ role: "assistant", author: "quorum", content: "a is done: A done" });
    await store.startTask(id, "b");
    await store.startTask(id, "c");
    // c still runs: d waits for it, and c's finish may be racing this one.
    expect(await store.complete(id, "b", "B done", note)).toEqual({ ready: [], ended: false, racing: true });
    const d = await store.complete(id, "c", "C done", note);
    expect({
      ...d,
      ready: d.ready.map((task) => [task.key, task.dependencies.map((dependency) => [dependency.key, dependency.result])]),
    }).toEqual({
      ready: [
        [
          "d",
          [
            ["b", "B done"],
            ["c", "C done"],
          ],
        ],
      ],
      ended: false,
      racing: false,
    });
    expect((await store.task(id, "b"))?.summaryPostedAt).toBeNull();
    await store.startTask(id, "d");
    expect(await store.complete(id, "d", "The report", note)).toEqual({ ready: [], ended: true, racing: false });
    const project = await store.get(id);
    expect(project).toMatchObject({ status: "done", report: "The report" });
    // Run again (a duplicated job): nothing changes.
    expect(await store.complete(id, "d", "Another report", note)).toEqual({ ready: [], ended: false, racing: false });
    expect((await store.get(id))?.report).toBe("The report");
  });

  it("records a step's model calls in the statement that records its outcome, even when the step changes nothing", async () => {
    const id = await planned();
    const calls = [
      { model: "m1", promptTokens: 10, completionTokens: 5 },
      { model: "m2", promptTokens: 1, completionTokens: 2 },
    ];
    const tokensToday = async () => {
      const rows = await database.db.execute(
        sql`select coalesce(sum(tokens), 0)::int as n from channel_usage_days where channel_id = ${channelId} and day = (now() at time zone 'utc')::date`,
      );
      return rowsOf<{ n: number }>(rows)[0]?.n ?? 0;
    };
    const before = await tokensToday();
    await store.startTask(id, "a");
    await store.complete(id, "a", "A done", note, undefined, calls);
    // A duplicated job's completion changes nothing, but its call was made: it counts.
    await store.complete(id, "a", "A again", note, undefined, [calls[0]!]);
    const rows = await database.db
      .select({ taskKey: llmUsage.taskKey, model: llmUsage.model, channelId: llmUsage.channelId, tokens: llmUsage.completionTokens })
      .from(llmUsage)
      .where(eq(llmUsage.projectId, id));
    expect(rows.map((row) => [row.taskKey, row.model, row.channelId, row.tokens]).sort()).toEqual([
      ["a", "m1", channelId, 5],
      ["a", "m1", channelId, 5],
      ["a", "m2", channelId, 2],
    ]);
    expect((await tokensToday()) - before).toBe(33);
    // The plan's calls are recorded with the plan, and a plan saved twice still counts its calls.
    expect(await store.savePlan(id, diamond, [], [calls[1]!])).toBeUndefined();
    expect((await tokensToday()) - before).toBe(36);
  });

  it("says so when two tasks finish at once and miss each other, and a step then sees both", async () => {
    const id = await planned();
    await store.startTask(id, "a");
    await store.complete(id, "a", "A done", note);
    await store.startTask(id, "b");
    await store.startTask(id, "c");
    let inner: Awaited<ReturnType<ProjectStore["complete"]>> | undefined;
    let outer: Awaited<ReturnType<ProjectStore["complete"]>> | undefined;
    await database.db.transaction(async (tx) => {
      // b's finish is not committed yet when c's finishes on another connection.
      inner = await new ProjectStore(tx as unknown as Db, conversations).complete(id, "b", "B done", note);
      outer = await store.complete(id, "c", "C done", note);
    });
    // Neither saw the other done, so neither queued d; both say a step is due.
    expect(inner).toEqual({ ready: [], ended: false, racing: true });
    expect(outer).toEqual({ ready: [], ended: false, racing: true });
    const step = await store.step(id);
    expect({
      ...step,
      ready: step.ready.map((task) => [task.key, task.dependencies.map((dependency) => dependency.result).sort()]),
    }).toEqual({
      ready: [["d", ["B done", "C done"]]],
      ended: false,
    });
  });
});

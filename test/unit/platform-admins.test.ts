import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SlackPeople } from "../../src/adapters/slack/people.js";
import type { ApprovalFlow } from "../../src/agents/approvals/approval-flow.js";
import type { AssistantDirectory } from "../../src/agents/assistant/assistant-directory.js";
import { ConversationStore } from "../../src/agents/conversation/conversation-store.js";
import type { CommandContext } from "../../src/commands/index.js";
import { ThreadQueue } from "../../src/core/thread-queue.js";
import type { Database } from "../../src/db/client.js";
import { createLogger } from "../../src/wiring/log.js";
import { Router } from "../../src/wiring/router.js";
import { scratchPglite } from "../support/databases.js";

type SlackUser = { name: string; profile?: { display_name?: string }; is_admin?: boolean; is_owner?: boolean };

/** users.info over a table of people, counting calls; an unknown id fails as Slack's does. */
function usersInfo(people: Record<string, SlackUser>) {
  const calls: string[] = [];
  return {
    calls,
    info: async ({ user }: { user: string }) => {
      calls.push(user);
      const found = people[user];
      if (!found) throw new Error("An API error occurred: user_not_found");
      return { ok: true, user: { id: user, ...found } };
    },
  };
}

describe("Slack people: names and workspace roles from users.info", () => {
  const people = {
    U0ADMIN: { name: "ann", profile: { display_name: "Ann" }, is_admin: true },
    U0OWNER: { name: "otto", is_admin: true, is_owner: true },
    U0MEMBER: { name: "mel", is_admin: false, is_owner: false },
  };

  it("counts workspace admins and owners as admins, and no one else", async () => {
    const slack = new SlackPeople(usersInfo(people) as never);
    expect(await slack.get("U0ADMIN")).toEqual({ id: "U0ADMIN", name: "Ann", isAdmin: true });
    expect(await slack.get("U0OWNER")).toEqual({ id: "U0OWNER", name: "otto", isAdmin: true });
    expect(await slack.get("U0MEMBER")).toEqual({ id: "U0MEMBER", name: "mel", isAdmin: false });
    // Owner alone (Slack reports owners as admins too, but the owner flag is enough).
    const ownerOnly = new SlackPeople(usersInfo({ U1: { name: "o", is_owner: true } }) as never);
    expect((await ownerOnly.get("U1")).isAdmin).toBe(true);
  });

  it("asks Slack once per person within the TTL, then again once it expires", async () => {
    let now = 1_000;
    const users = usersInfo(people);
    const slack = new SlackPeople(users as never, { ttlMs: 60_000, now: () => now });
    await Promise.all([slack.get("U0ADMIN"), slack.get("U0ADMIN"), slack.get("U0ADMIN")]);
    await slack.get("U0ADMIN");
    now += 59_000;
    await slack.get("U0ADMIN");
    expect(users.calls).toEqual(["U0ADMIN"]);

    // Demoted meanwhile: seen once the entry expires.
    people.U0ADMIN.is_admin = false;
    now += 2_000;
    expect((await slack.get("U0ADMIN")).isAdmin).toBe(false);
    expect(users.calls).toEqual(["U0ADMIN", "U0ADMIN"]);
  });

  it("keeps a bounded number of people", async () => {
    const users = usersInfo(people);
    const slack = new SlackPeople(users as never, { max: 2 });
    for (const id of ["U0ADMIN", "U0OWNER", "U0MEMBER", "U0ADMIN"]) await slack.get(id);
    expect(users.calls).toEqual(["U0ADMIN", "U0OWNER", "U0MEMBER", "U0ADMIN"]);
  });

  it("grants nothing and keeps nothing when Slack cannot say", async () => {
    const users = usersInfo(people);
    const slack = new SlackPeople(users as never);
    expect(await slack.get("U0GONE")).toEqual({ id: "U0GONE" });
    expect(await slack.get("U0GONE")).toEqual({ id: "U0GONE" });
    expect(users.calls).toEqual(["U0GONE", "U0GONE"]);
  });
});

describe("commands are run once per delivery id", () => {
  let database: Database;
  let router: Router;
  let contexts = 0;

  beforeAll(async () => {
    database = await scratchPglite();
    const conversations = new ConversationStore(database.db, database);
    router = new Router({
      conversations,
      assistants: {} as AssistantDirectory,
      threads: new ThreadQueue(),
      approvals: {} as ApprovalFlow,
      log: createLogger("silent"),
      commandContext: async () => {
        contexts += 1;
        return {} as CommandContext;
      },
    });
  });
  afterAll(async () => {
    await database.close();
  });

  it("answers a second request with the same id as a duplicate, without running it", async () => {
    const invocation = {
      platform: "slack" as const,
      deliveryId: "trigger:1.2.abc",
      channel: "C1",
      author: { id: "U1" },
      command: "/nope",
      text: "",
    };
    const replies = await Promise.all([
      router.handleCommand(invocation),
      router.handleCommand(invocation),
      router.handleCommand(invocation),
    ]);
    expect(replies.filter((reply) => reply.duplicate)).toHaveLength(2);
    expect(replies.filter((reply) => !reply.duplicate)[0]!.text).toContain("I do not know /nope");
    expect(contexts).toBe(1);
    // The id is per platform; requests without one (the web console) are never deduplicated.
    await router.handleCommand({ ...invocation, platform: "discord" });
    const { deliveryId: _none, ...web } = { ...invocation, platform: "web" as const };
    await router.handleCommand(web);
    await router.handleCommand(web);
    expect(contexts).toBe(4);
  });
});

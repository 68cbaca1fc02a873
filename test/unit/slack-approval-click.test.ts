import { describe, expect, it } from "vitest";
import { approvalClick, refusalText } from "../../src/adapters/slack/approval-click.js";

const click = (action: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  type: "block_actions",
  user: { id: "U0BOB", username: "bob", name: "bob", team_id: "T0001" },
  team: { id: "T0001", domain: "quorum-test" },
  channel: { id: "C0GENERAL", name: "general" },
  container: { type: "message", message_ts: "1700000000.000300", channel_id: "C0GENERAL", is_ephemeral: false },
  message: { type: "message", ts: "1700000000.000300", thread_ts: "1700000000.000100", text: "approve?" },
  actions: [{ type: "button", block_id: "approval", action_id: "approval_deny", value: "a1", action_ts: "1700000001.000000", ...action }],
  ...extra,
});

describe("a Slack approval click", () => {
  it("reads the approval, the decision, the clicker and the thread", () => {
    expect(approvalClick.parse(click({}))).toEqual({
      id: "a1",
      approve: false,
      user: { id: "U0BOB", name: "bob", team: "T0001" },
      channel: "C0GENERAL",
      thread: "1700000000.000100",
      messageId: "1700000000.000300",
    });
    expect(approvalClick.parse(click({ action_id: "approval_approve" })).approve).toBe(true);
  });

  it("refuses a click on another button, more than one action, or one without the approval's id", () => {
    expect(approvalClick.safeParse(click({ action_id: "other" })).success).toBe(false);
    expect(approvalClick.safeParse(click({ value: undefined })).success).toBe(false);
    const [action] = click({}).actions;
    expect(approvalClick.safeParse(click({}, { actions: [action, action] })).success).toBe(false);
  });

  it("tells the clicker in one sentence why nothing was decided", () => {
    const at = new Date("2026-12-03T18:00:00Z");
    expect(refusalText({ status: "forbidden", asker: { id: "U0ADA", name: "ada" } })).toBe(
      "Only <@U0ADA> or a workspace admin can decide this.",
    );
    expect(refusalText({ status: "taken", outcome: { state: "denied", by: "ada", at } })).toBe(
      `This was already decided: 🚫 Denied by ada at <!date^${at.getTime() / 1000}^{date_short_pretty} {time}|2026-12-03T18:00:00.000Z>.`,
    );
    expect(refusalText({ status: "expired" })).toBe("This approval expired before anyone decided, so the call counted as denied.");
    expect(refusalText({ status: "unknown" })).toBe("This approval no longer exists, so nothing was run.");
  });
});

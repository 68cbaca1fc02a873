import { z } from "zod";
import { decisionText } from "../../core/approval-text.js";
import type { ApprovalDecisionResult } from "../../core/bot.js";
import { APPROVE_ACTION, DENY_ACTION } from "./approval-actions.js";
import { slackDate } from "./format.js";

/**
 * The fields of a `block_actions` payload that a click on the approval prompt needs; everything
 * else passes by. A button click carries exactly one action, whose value is the approval's id.
 */
export const approvalClick = z
  .object({
    type: z.literal("block_actions"),
    user: z.object({
      id: z.string().min(1),
      username: z.string().optional(),
      name: z.string().optional(),
      team_id: z.string().optional(),
    }),
    team: z.object({ id: z.string() }).nullish(),
    channel: z.object({ id: z.string().min(1) }),
    message: z.object({ ts: z.string().min(1), thread_ts: z.string().optional() }),
    actions: z.tuple([z.object({ action_id: z.enum([APPROVE_ACTION, DENY_ACTION]), value: z.string().min(1).max(200) })]),
  })
  .transform(({ user, team, channel, message, actions: [action] }) => ({
    id: action.value,
    approve: action.action_id === APPROVE_ACTION,
    user: { id: user.id, name: user.name ?? user.username, team: user.team_id ?? team?.id },
    channel: channel.id,
    // The prompt is a reply in the asker's thread; a prompt outside any thread is its own.
    thread: message.thread_ts ?? message.ts,
    messageId: message.ts,
  }));

/** What the clicker alone is told when their click decided nothing, in Slack mrkdwn. */
export function refusalText(result: Exclude<ApprovalDecisionResult, { status: "decided" }>): string {
  switch (result.status) {
    case "forbidden":
      return `Only <@${result.asker.id}> or a workspace admin can decide this.`;
    case "taken":
      return `This was already decided: ${decisionText(result.outcome, slackDate(result.outcome.at))}`;
    case "expired":
      return "This approval expired before anyone decided, so the call counted as denied.";
    case "unknown":
      return "This approval no longer exists, so nothing was run.";
  }
}

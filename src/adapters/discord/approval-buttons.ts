import { decisionText } from "../../core/approval-text.js";
import type { ApprovalDecisionResult } from "../../core/bot.js";

const PREFIX = "approval:";

/** A button's custom id: what it decides and on which approval (Discord allows 100 characters). */
export function approvalButtonId(choice: "approve" | "deny", id: string): string {
  return `${PREFIX}${choice}:${id}`;
}

/** The decision a button's custom id carries; undefined for any other component. */
export function parseApprovalButton(customId: string): { approve: boolean; id: string } | undefined {
  const match = /^approval:(approve|deny):([\w-]{1,64})$/.exec(customId);
  return match ? { approve: match[1] === "approve", id: match[2]! } : undefined;
}

/** A moment as Discord markup, which each reader sees in their own time zone. */
export function discordTime(date: Date): string {
  return `<t:${Math.floor(date.getTime() / 1000)}:f>`;
}

/** What someone whose click decided nothing is told, privately. */
export function refusalText(result: Exclude<ApprovalDecisionResult, { status: "decided" }>): string {
  switch (result.status) {
    case "forbidden":
      return `Only <@${result.asker.id}> or a server admin can decide this.`;
    case "taken":
      return `Already decided: ${decisionText(result.outcome, discordTime(result.outcome.at))}`;
    case "expired":
      return "This approval expired: nobody decided within 15 minutes, so the call counted as denied.";
    case "unknown":
      return "This approval is not known here any more.";
  }
}

import type { ApprovalOutcomeView, ApprovalPrompt } from "./poster.js";

// Arguments beyond this are cut in the prompt (the call itself keeps them whole).
const ARGS_SHOWN = 1_500;

/** The prompt as Markdown: the tool, its arguments (secrets already hidden), who may decide, until when. */
export function approvalText(prompt: ApprovalPrompt): string {
  const args = JSON.stringify(prompt.args, null, 2) ?? "null";
  const shown = args.length > ARGS_SHOWN ? `${args.slice(0, ARGS_SHOWN)}\n…` : args;
  return [
    `🔐 **Approval needed** to run \`${prompt.tool}\` with:`,
    `\`\`\`json\n${shown}\n\`\`\``,
    `Only ${prompt.asker.name} or an admin can decide. Without a decision by ${clock(prompt.expiresAt)} it counts as denied.`,
  ].join("\n");
}

/** One line that says what became of it; `at` as the platform writes a moment (its own markup, or the clock time). */
export function decisionText(outcome: ApprovalOutcomeView, at: string = clock(outcome.at)): string {
  if (outcome.state === "expired") return `⌛ Nobody decided in time (${at}): counted as denied.`;
  return outcome.state === "approved" ? `✅ Approved by ${outcome.by} at ${at}.` : `🚫 Denied by ${outcome.by} at ${at}.`;
}

function clock(date: Date): string {
  return `${date.toISOString().slice(11, 16)} UTC`;
}

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

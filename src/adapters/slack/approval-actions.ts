/** The ids of the approval prompt's buttons; each button's `value` is the approval's id. */
export const APPROVAL_BLOCK = "approval";
export const APPROVE_ACTION = "approval_approve";
export const DENY_ACTION = "approval_deny";

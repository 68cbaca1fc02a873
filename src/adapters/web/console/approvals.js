// @ts-check
/* Tool calls that wait for the operator's yes: a card in the thread with the call and its Approve
   and Deny buttons, the decision a click sends (POST /api/approvals/:id), and what became of it. */
import { getApprovals, messageOf, postApproval, refusal } from "./api.js";
import { h, toast, ui } from "./dom.js";
import { argsText, decisionLine, hourMinute } from "./format.js";
import { addItem, setTag, showReply, withScroll } from "./items.js";
import { markUnread, scheduleRefresh } from "./sidebar.js";
import { rememberDone, state, userName } from "./state.js";

/** @typedef {import("./api.js").Approval} Approval */
/** @typedef {import("./api.js").ConsoleEvent} ConsoleEvent */
/** @typedef {import("./state.js").Item} Item */
/** @typedef {import("./state.js").View} View */

/**
 * The parts of a card that change.
 * @typedef {object} Card
 * @property {Item} item
 * @property {HTMLElement} actions the buttons' row, gone once nothing is left to decide
 * @property {HTMLButtonElement} approve
 * @property {HTMLButtonElement} deny
 * @property {HTMLElement} status what became of the call, or why a decision did not take
 * @property {boolean} settled
 */

/** @type {WeakMap<Item, Card>} */
const cards = new WeakMap();

/** @param {string} id */
const itemId = (id) => `approval:${id}`;

/**
 * Shows a call that waits in view `v`, once however often it is announced.
 * @param {View} v
 * @param {Approval} approval
 */
export function showApproval(v, approval) {
  if (!approval || approval.id == null) return;
  const id = String(approval.id);
  if (v.items.has(itemId(id))) return;
  withScroll(() => {
    const item = addItem(v, { id: itemId(id), role: "approval", tag: "needs approval" });
    const approve = h("button", { class: "approve", type: "button" }, "Approve");
    const deny = h("button", { class: "deny", type: "button" }, "Deny");
    const actions = h("div", { class: "approval-actions" }, approve, deny);
    const status = h("p", { class: "approval-status", role: "status" });
    // The POST /api/chat answer does not say who asked or until when; the events and reloads do.
    const asker = approval.asker?.name;
    const until = hourMinute(approval.expiresAt);
    const meta = [asker && `Asked by ${asker}.`, until && `Counts as denied if nobody decides by ${until}.`].filter(Boolean).join(" ");
    // Every part from the server is text: arguments can hold anything the model wrote.
    item.body.replaceChildren(
      h("p", null, "Run ", h("code", { text: String(approval.tool) }), " with:"),
      h("pre", { class: "approval-args", text: argsText(approval.args) }),
      h("p", { class: "approval-meta", text: meta, hidden: !meta }),
      actions,
      status,
    );
    /** @type {Card} */
    const card = { item: item, actions: actions, approve: approve, deny: deny, status: status, settled: false };
    cards.set(item, card);
    approve.addEventListener("click", () => decide(card, id, true));
    deny.addEventListener("click", () => decide(card, id, false));
  });
}

/** Shows the calls a freshly loaded thread still waits on (their events came before this page). @param {View} v */
export async function loadApprovals(v) {
  if (!v.thread) return;
  let list;
  try {
    list = await getApprovals(v.thread);
  } catch (e) {
    if (state.view === v) toast(`Could not load this thread's approvals: ${messageOf(e)}`);
    return;
  }
  if (state.view !== v || !Array.isArray(list)) return;
  for (const approval of list) showApproval(v, approval);
}

/** @param {Extract<ConsoleEvent, { type: "approval.requested" }>} ev */
export function onApprovalRequested(ev) {
  const v = state.view;
  if (v && v.thread === ev.thread) showApproval(v, ev.approval);
  else markUnread(ev.thread);
}

/** @param {Extract<ConsoleEvent, { type: "approval.decided" }>} ev */
export function onApprovalDecided(ev) {
  const item = state.view?.thread === ev.thread ? state.view.items.get(itemId(String(ev.id))) : undefined;
  const card = item && cards.get(item);
  if (card) settle(card, decisionLine(ev.state, ev.by, ev.at));
}

/**
 * Sends the decision, then shows the turn that went on: its reply, or the next call it waits on.
 * @param {Card} card
 * @param {string} id
 * @param {boolean} approve
 */
async function decide(card, id, approve) {
  const { channel, thread } = card.item.view;
  card.approve.disabled = true;
  card.deny.disabled = true;
  card.item.el.setAttribute("aria-busy", "true");
  showStatus(card, approve ? "Approving…" : "Denying…", false);
  const by = userName();
  let answer;
  try {
    answer = await postApproval(id, { approve: approve, user: by });
    if (!answer || answer.thread == null || !("reply" in answer ? answer.reply?.id != null : answer.pendingApproval?.id != null))
      throw new Error("The server sent an unexpected reply.");
  } catch (e) {
    const refused = refusal(e);
    // Unknown, already decided or expired: there is nothing left to decide, and the server says why.
    if (refused && [404, 409, 410].includes(refused.status)) settle(card, refused.detail, true);
    else {
      card.approve.disabled = false;
      card.deny.disabled = false;
      card.item.el.removeAttribute("aria-busy");
      showStatus(card, `Not decided: ${messageOf(e)}`, true);
    }
    return;
  }
  // approval.decided has usually said so by now; without the socket, this answer is how we know.
  if (!card.settled) settle(card, decisionLine(approve ? "approved" : "denied", by, Date.now()));
  if ("reply" in answer) rememberDone(String(answer.reply.id));
  const v = state.view;
  if (v && v.thread === thread) {
    if ("reply" in answer) {
      const reply = answer;
      withScroll(() => {
        const item = showReply(v, reply);
        if (reply.failed) item.el.classList.add("failed");
      });
    } else showApproval(v, answer.pendingApproval);
  } else if (state.channel === channel && thread) markUnread(thread);
  scheduleRefresh();
}

/** Shows what became of the call, or why it cannot be decided here; the buttons go. @param {Card} card @param {string} text @param {boolean} [error] */
function settle(card, text, error = false) {
  card.settled = true;
  // Focus would fall to the page with the button it was on; the composer is where work goes on.
  const focused = card.actions.contains(document.activeElement);
  card.actions.remove();
  if (focused) ui.input.focus();
  card.item.el.removeAttribute("aria-busy");
  setTag(card.item, "");
  showStatus(card, text, error);
}

/** @param {Card} card @param {string} text @param {boolean} error */
function showStatus(card, text, error) {
  card.status.textContent = text;
  card.status.classList.toggle("error", error);
}

// @ts-check
/* Regenerate: the thread's last message answered again (POST /api/threads/:thread/regenerate); the
   new answer streams in below, and the earlier one stays. */
import { messageOf, postRegenerate } from "./api.js";
import { showApproval } from "./approvals.js";
import { toast } from "./dom.js";
import { showReply, withScroll } from "./items.js";
import { scheduleRefresh } from "./sidebar.js";
import { rememberDone, state, userName } from "./state.js";

/** @param {import("./state.js").Item} item the answer whose Regenerate was clicked */
export async function regenerate(item) {
  const v = item.view;
  if (!v.thread) return;
  let answer;
  try {
    answer = await postRegenerate(v.thread, { channel: v.channel, user: userName() });
    if (!answer || !("reply" in answer ? answer.reply?.id != null : answer.pendingApproval?.id != null))
      throw new Error("The server sent an unexpected reply.");
  } catch (e) {
    toast(`Could not answer again: ${messageOf(e)}`);
    return;
  }
  const shown = answer;
  if ("reply" in shown) rememberDone(String(shown.reply.id));
  if (state.view === v)
    withScroll(() => {
      if ("reply" in shown) showReply(v, shown);
      else showApproval(v, shown.pendingApproval);
    });
  scheduleRefresh();
}

// @ts-check
/* Stop: the composer's button (and Esc) that ends the answer being written in the open view; the
   server aborts the model call and keeps what was written, marked stopped. */
import { messageOf, postStop, refusal } from "./api.js";
import { toast, ui } from "./dom.js";
import { state } from "./state.js";

/** This page's sends in the open view that wait for their answer. */
function running() {
  const v = state.view;
  if (!v) return [];
  return state.pending.filter((p) => p.sent && (p.viewKey === v.key || (v.thread !== null && p.thread === v.thread)));
}

/** Shows Stop while an answer of the open view is being written. */
export function renderStop() {
  const show = running().length > 0;
  // Focus on a button about to hide goes back to the composer.
  if (!show && document.activeElement === ui.stop) ui.input.focus();
  ui.stop.hidden = !show;
}

async function stop() {
  const v = state.view;
  const p = running()[0];
  const thread = p?.thread ?? v?.thread;
  if (!v || !p) return;
  if (!thread) {
    toast("The answer has not started yet; stop it in a moment.");
    return;
  }
  try {
    await postStop(thread, v.channel);
  } catch (e) {
    // 409: it ended meanwhile; its answer shows as it is.
    if (refusal(e)?.status !== 409) toast(`Could not stop the answer: ${messageOf(e)}`);
  }
}

export function wireStop() {
  ui.stop.addEventListener("click", () => {
    stop();
    ui.input.focus();
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !ui.stop.hidden && !ui.sidebar.classList.contains("open")) {
      e.preventDefault();
      stop();
    }
  });
}

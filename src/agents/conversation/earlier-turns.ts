import { CLAIM_STALE_MS } from "../../core/claim.js";
import type { ConversationStore } from "./conversation-store.js";

/** A turn that waits for an earlier message's turn in another process looks again after this, doubling up to the most. */
const FIRST_POLL_MS = 25;
const MOST_POLL_MS = 500;

/** Where a turn stands: its message's `seq` in its conversation, or with `channelId` in any thread of that (DM) channel. */
export interface TurnPlace {
  conversationId: string;
  seq: number;
  channelId?: string;
  /** The message opened its thread: no message of the thread came before it. */
  opened?: boolean;
}

/**
 * Resolves once the turns of the earlier messages of the thread have ended, in any process (see
 * docs/internals.md, "Many processes"). `awaitHere` may hand back what to await for the given
 * message ids (turns of this process); otherwise they are looked for again after a pause.
 */
export async function afterEarlierTurns(
  conversations: ConversationStore,
  at: TurnPlace,
  awaitHere: (messageIds: string[]) => Promise<unknown> | undefined = () => undefined,
): Promise<void> {
  // Receiving the thread's first message opens it, and any other waits for that commit (see
  // ConversationStore.receive): nothing of the thread is ahead of its opener, in any process.
  if (at.opened && at.channelId === undefined) return;
  for (let pause = FIRST_POLL_MS; ; pause = Math.min(pause * 2, MOST_POLL_MS)) {
    const ahead = await conversations.unsettledBefore(at, CLAIM_STALE_MS);
    if (ahead.length === 0) return;
    const here = awaitHere(ahead);
    await (here ?? new Promise((resolve) => setTimeout(resolve, pause)));
  }
}

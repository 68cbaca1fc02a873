import type { ApprovalOutcomeView, ApprovalPrompt } from "../../core/poster.js";

export type ConsoleEvent =
  | { type: "message.user"; channel: string; thread: string; messageId: string; author: string; text: string }
  | { type: "message.delta"; channel: string; thread: string; messageId: string; delta: string }
  /** The reply is stored; `failed` (with the error's kind) when its text says the turn failed. */
  | { type: "message.done"; channel: string; thread: string; messageId: string; text: string; failed?: true; error?: string }
  /** A tool call in the thread waits for the operator's yes (POST /api/approvals/:id). */
  | { type: "approval.requested"; channel: string; thread: string; approval: ApprovalPrompt }
  | { type: "approval.decided"; channel: string; thread: string; id: string; state: ApprovalOutcomeView["state"]; by?: string; at: Date }
  | { type: "project.progress"; channel: string; thread: string; projectId: string; text: string }
  | { type: "project.done"; channel: string; thread: string; projectId: string; text: string };

type Listener = (event: ConsoleEvent) => void;

/** Where console events go: the browsers of this process, or a relay to the process serving them. */
export interface ConsoleEvents {
  publish(event: ConsoleEvent): void;
}

/** Fans console events out to the browsers watching a channel. */
export class EventHub implements ConsoleEvents {
  readonly #listeners = new Map<string, Set<Listener>>();

  subscribe(channel: string, listener: Listener): () => void {
    const set = this.#listeners.get(channel) ?? new Set<Listener>();
    set.add(listener);
    this.#listeners.set(channel, set);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(channel);
    };
  }

  publish(event: ConsoleEvent): void {
    for (const listener of this.#listeners.get(event.channel) ?? []) listener(event);
  }
}

/**
 * Work of one thread runs one piece at a time, in the order it was queued: the turns of its
 * messages, and a turn going on after a person decided on one of its calls.
 */
export class ThreadQueue {
  readonly #threads = new Map<string, Promise<unknown>>();

  /** Whether something of this thread is queued or running. */
  busy(key: string): boolean {
    return this.#threads.has(key);
  }

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#threads.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    this.#threads.set(key, settled);
    void settled.then(() => {
      if (this.#threads.get(key) === settled) this.#threads.delete(key);
    });
    return next;
  }
}

/** The queue key of a thread: the channel's row id and the platform's thread id. */
export const threadKey = (channelId: string, thread: string): string => `${channelId}\n${thread}`;

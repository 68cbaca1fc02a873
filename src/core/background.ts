import type { Logger } from "pino";

/**
 * Bookkeeping that need not delay a reply; shutdown waits for it. Work starts once the code that
 * queued it has run to its end (a macrotask later), so that a write on PGlite, which holds the
 * thread while it runs, comes after the reply has gone out, not before.
 */
export class Background {
  readonly #pending = new Set<Promise<void>>();

  constructor(private readonly log: Logger) {}

  /** The returned promise settles when the work has; it never rejects (failures are logged). */
  run(label: string, work: () => Promise<unknown>): Promise<void> {
    const task = new Promise((resolve) => setImmediate(resolve)).then(work).then(
      () => undefined,
      (error: unknown) => this.log.warn({ err: error, task: label }, "background task failed"),
    );
    this.#pending.add(task);
    void task.finally(() => this.#pending.delete(task));
    return task;
  }

  async drain(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }
}

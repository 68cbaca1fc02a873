/** Waiting for something a fake recorded, now or later, with a timeout that says what was seen. */
export interface Waiter<T> {
  predicate: (item: T) => boolean;
  resolve: (item: T) => void;
}

/** Hands `item` to every waiter whose predicate it satisfies. */
export function notify<T>(waiters: Waiter<T>[], item: T): void {
  for (const waiter of [...waiters]) {
    if (!waiter.predicate(item)) continue;
    waiters.splice(waiters.indexOf(waiter), 1);
    waiter.resolve(item);
  }
}

/** Resolves with the first existing or future item matching `predicate`, or rejects after `timeoutMs`. */
export function waitOn<T>(
  waiters: Waiter<T>[],
  existing: readonly T[],
  predicate: (item: T) => boolean,
  timeoutMs: number,
  describe: () => string,
): Promise<T> {
  const found = existing.find(predicate);
  if (found !== undefined) return Promise.resolve(found);
  return new Promise<T>((resolve, reject) => {
    const waiter: Waiter<T> = {
      predicate,
      resolve: (item) => {
        clearTimeout(timer);
        resolve(item);
      },
    };
    const timer = setTimeout(() => {
      const index = waiters.indexOf(waiter);
      if (index >= 0) waiters.splice(index, 1);
      reject(new Error(describe()));
    }, timeoutMs);
    waiters.push(waiter);
  });
}

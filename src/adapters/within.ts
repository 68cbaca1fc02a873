/**
 * `work`'s result, or `fallback` once `ms` have passed (or when it fails): for lookups that only
 * make a message nicer to read, which must not hold the message up. The work itself goes on, so
 * a cache it fills is filled for the next message.
 */
export function within<T>(work: Promise<T>, ms: number, fallback: T): Promise<T> {
  return new Promise<T>((resolve) => {
    const timer = setTimeout(() => resolve(fallback), ms);
    timer.unref?.();
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      () => {
        clearTimeout(timer);
        resolve(fallback);
      },
    );
  });
}

/**
 * A part the request needs (the database, Redis) did not answer in time. The request fails with
 * this message (HTTP 503) instead of waiting; the part may still be working, so the caller may
 * try again.
 */
export class UnavailableError extends Error {
  override name = "UnavailableError";
}

/** `work`, or an UnavailableError saying `what` did not answer within `ms`. The work itself is not stopped. */
export function withinDeadline<T>(work: PromiseLike<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new UnavailableError(`${what} did not answer within ${formatMs(ms)}; try again shortly.`)), ms);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

function formatMs(ms: number): string {
  return ms % 1_000 === 0 ? `${ms / 1_000} s` : `${ms} ms`;
}

/** The UnavailableError behind `error`, if any: libraries (drizzle) wrap what they call. */
export function unavailableCause(error: unknown): UnavailableError | undefined {
  for (let at = error, depth = 0; at instanceof Error && depth < 5; at = at.cause, depth++) if (at instanceof UnavailableError) return at;
  return undefined;
}

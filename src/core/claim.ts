import type { Logger } from "pino";

/** Running work renews its claim this often. */
export const CLAIM_RENEW_MS = 20_000;
/** A claim not renewed for this long is work whose process died: another may take it over. */
export const CLAIM_STALE_MS = 60_000;

/** `work`, with `renew` called every `CLAIM_RENEW_MS` until it settles, so no one takes it over meanwhile. */
export async function renewing<T>(work: Promise<T>, renew: () => Promise<void>, log: Logger): Promise<T> {
  const timer = setInterval(() => {
    renew().catch((error: unknown) => log.warn({ err: error }, "claim not renewed"));
  }, CLAIM_RENEW_MS);
  timer.unref();
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

import type { BenchResult } from "./result.js";
import { chatSideBySide } from "./side-by-side.js";

/** Far more often than Prometheus's default 15 s, so that a scrape's cost shows in the p99. */
const SCRAPE_EVERY_MS = 1_000;

/**
 * Chat at c=1 without a scraper against with `/metrics` scraped every second meanwhile. Both bots
 * count their messages (the counters cannot be turned off); "on" adds the scrapes: rendering the
 * registry, the default process metrics, and the projects counted in the database.
 */
export async function benchMetrics(count = 1_000): Promise<BenchResult[]> {
  return chatSideBySide({
    name: "metrics (pglite)",
    on: {},
    during: ({ url, token }) => {
      let scrapes = 0;
      const scrape = async () => {
        const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
        const body = await response.text();
        if (response.status !== 200 || !body.includes("quorum_replies_total")) throw new Error(`/metrics answered ${response.status}`);
        scrapes++;
      };
      let failure: unknown;
      const timer = setInterval(() => void scrape().catch((error: unknown) => (failure ??= error)), SCRAPE_EVERY_MS);
      return async () => {
        clearInterval(timer);
        if (failure) throw failure;
        return `${scrapes} scrapes, one every ${SCRAPE_EVERY_MS} ms`;
      };
    },
    count,
  });
}

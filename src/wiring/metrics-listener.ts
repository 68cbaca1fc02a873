import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { bearerMatches, digest } from "../adapters/web/access.js";
import type { Metrics } from "./metrics.js";

export interface MetricsListener {
  port: number;
  close(): Promise<void>;
}

/**
 * GET /metrics of a process with no web server (a worker), to METRICS_TOKEN as a bearer token
 * alone: the token and tool counters of the project tasks it runs. Nothing else is served.
 */
export async function listenForMetrics(
  options: { host: string; port: number; token: string },
  metrics: Metrics,
  log: Logger,
): Promise<MetricsListener> {
  const expected = digest(options.token);
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://worker").pathname;
    if (path !== "/metrics")
      return void res.writeHead(404, { "content-type": "text/plain" }).end("Not found: only GET /metrics is served here.\n");
    if (req.method !== "GET") return void res.writeHead(405, { allow: "GET", "content-type": "text/plain" }).end("Only GET /metrics.\n");
    if (!bearerMatches(req.headers.authorization, expected))
      return void res
        .writeHead(401, { "www-authenticate": "Bearer", "content-type": "text/plain" })
        .end("Send METRICS_TOKEN as a bearer token.\n");
    metrics.scrape().then(
      ({ contentType, body }) => res.writeHead(200, { "content-type": contentType }).end(body),
      (error: unknown) => {
        log.warn({ err: error }, "metrics scrape failed");
        res.writeHead(500, { "content-type": "text/plain" }).end("The metrics could not be gathered; see the worker's log.\n");
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ port }, "worker metrics listening");
  return {
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

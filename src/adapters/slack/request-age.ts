import type { RequestListener } from "node:http";

/** Slack's replay window: a request dated further from now, either way, is refused. */
const MAX_SKEW_SECONDS = 5 * 60;

/**
 * Refuses a request whose `X-Slack-Request-Timestamp` is missing or more than five minutes from
 * now, past or future, before Bolt sees it. Bolt refuses only old ones; a captured request dated
 * ahead would otherwise stay replayable until its date passed.
 */
export function refuseOutsideReplayWindow(listener: RequestListener, now: () => number = Date.now): RequestListener {
  return (req, res) => {
    const timestamp = Number(req.headers["x-slack-request-timestamp"]);
    if (!Number.isInteger(timestamp) || Math.abs(now() / 1000 - timestamp) > MAX_SKEW_SECONDS) {
      res.writeHead(401, { "content-type": "text/plain; charset=utf-8" });
      res.end("X-Slack-Request-Timestamp is missing or more than five minutes from now");
      return;
    }
    listener(req, res);
  };
}

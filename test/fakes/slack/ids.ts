/**
 * The fake workspace's identity and Slack's message timestamps, shared by the fake Web API,
 * the event builders and the Socket Mode server so that every id and `ts` agrees.
 */
export const FAKE_SLACK = {
  teamId: "T0001",
  teamName: "Quorum Test",
  teamDomain: "quorum-test",
  appId: "A0QUORUM",
  botUserId: "U0BOT",
  botId: "B0BOT",
  botName: "quorum",
  /** The Events API verification token Slack still puts in every payload (deprecated, never checked). */
  verificationToken: "fakeVerificationToken0001",
} as const;

let lastMicros = 0;

/**
 * A new Slack message timestamp ("1712345678.000100" style: seconds, a dot, six digits),
 * taken from the wall clock and strictly increasing across everything in this process, so bot
 * replies always sort after the user messages that caused them.
 */
export function nextTs(): string {
  lastMicros = Math.max(Date.now() * 1000, lastMicros + 100);
  return formatTs(lastMicros);
}

export function formatTs(micros: number): string {
  const seconds = Math.floor(micros / 1_000_000);
  const rest = micros - seconds * 1_000_000;
  return `${seconds}.${String(rest).padStart(6, "0")}`;
}

/** Orders two Slack timestamps numerically (they are not always the same width). */
export function compareTs(a: string, b: string): number {
  const [aSec = "0", aFrac = ""] = a.split(".");
  const [bSec = "0", bFrac = ""] = b.split(".");
  const bySeconds = Number(aSec) - Number(bSec);
  if (bySeconds !== 0) return bySeconds;
  return Number(aFrac.padEnd(6, "0")) - Number(bFrac.padEnd(6, "0"));
}

let counter = 0;

/** A short unique uppercase id with Slack's look, e.g. `id("Ev")` → "Ev0001K2J9". */
export function slackId(prefix: string): string {
  counter += 1;
  return `${prefix}${counter.toString(36).toUpperCase().padStart(4, "0")}${Math.random().toString(36).slice(2, 6).toUpperCase()}`;
}

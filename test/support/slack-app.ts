import { type FakeSlack, type FakeSlackOptions, startFakeSlack } from "../fakes/slack/index.js";
import { startTestApp, type TestApp } from "./app.js";

export interface SlackApp {
  slack: FakeSlack;
  t: TestApp;
  /** The app's Events API URL, where slash commands are posted too. */
  events: string;
  stop(): Promise<void>;
}

/** A fake Slack on loopback and the real app connected to it over HTTP as its bot. */
export async function startSlackApp(options: FakeSlackOptions = {}, env: Record<string, string> = {}): Promise<SlackApp> {
  const slack = await startFakeSlack(options);
  const t = await startTestApp({ ...slack.env("http"), ...env });
  return {
    slack,
    t,
    events: `${t.app.url}/slack/events`,
    async stop() {
      await t.stop();
      await slack.stop();
    },
  };
}

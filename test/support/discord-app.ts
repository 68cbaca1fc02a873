import { type FakeDiscord, startFakeDiscord } from "../fakes/discord/index.js";
import { startTestApp, type TestApp } from "./app.js";

export interface DiscordApp {
  discord: FakeDiscord;
  t: TestApp;
  stop(): Promise<void>;
}

/** A fake Discord on loopback and the real app connected to it as its bot. */
export async function startDiscordApp(env: Record<string, string> = {}): Promise<DiscordApp> {
  const discord = await startFakeDiscord();
  const t = await startTestApp({ ...discord.env(), ...env });
  return {
    discord,
    t,
    async stop() {
      await t.stop();
      await discord.stop();
    },
  };
}

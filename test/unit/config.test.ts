import { describe, expect, it } from "vitest";
import { ConfigError, isSecret, loadConfig, missingSettings } from "../../src/config.js";

describe("config", () => {
  it("defaults to PGlite and the web console with nothing set", () => {
    const config = loadConfig({});
    expect(config.database).toEqual({ kind: "pglite", dir: "./.data/pglite" });
    expect(config.webConsole).toBe(true);
    expect(config.llm.configured).toBe(false);
    expect(missingSettings(config).join("\n")).toMatch(/OPENAI_API_KEY[\s\S]*SLACK_BOT_TOKEN[\s\S]*DISCORD_TOKEN/);
  });

  it("names the variable, the value given and what is expected", () => {
    expect(() => loadConfig({ PORT: "eighty", REDIS_URL: "not a url" })).toThrow(ConfigError);
    try {
      loadConfig({ PORT: "eighty", REDIS_URL: "not a url", WEB_CONSOLE: "maybe" });
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toMatch(/PORT: got "eighty"; .*number/);
      expect(message).toMatch(/REDIS_URL: got "not a url"; expected a URL/);
      expect(message).toMatch(/WEB_CONSOLE: got "maybe"; .*"on"/);
    }
  });

  it("never prints a secret it rejects", () => {
    expect(() => loadConfig({ SLACK_APP_TOKEN: "xapp-secret", OPENAI_API_KEY: "sk-live", OPENAI_BASE_URL: "nope" })).toThrow(
      /OPENAI_BASE_URL: got "nope"/,
    );
  });

  it("selects Postgres and the platforms from their settings", () => {
    const config = loadConfig({
      DATABASE_URL: "postgres://u@h/db",
      SLACK_BOT_TOKEN: "xoxb-1",
      SLACK_SIGNING_SECRET: "s",
      OPENAI_BASE_URL: "http://127.0.0.1:11434/v1",
    });
    expect(config.database).toEqual({ kind: "postgres", url: "postgres://u@h/db", prepare: true, statementTimeoutMs: 10_000 });
    expect(loadConfig({ DATABASE_URL: "postgres://u@h/db", DATABASE_PREPARE: "off" }).database).toMatchObject({ prepare: false });
    expect(() => loadConfig({ DATABASE_PREPARE: "sometimes" })).toThrow(/DATABASE_PREPARE/);
    expect(config.slack?.apiUrl).toBe("https://slack.com/api/");
    expect(config.webConsole).toBe(false);
    expect(config.llm.configured).toBe(true);
  });

  it("traces only with OTEL_EXPORTER_OTLP_ENDPOINT, sending to its /v1/traces", () => {
    expect(loadConfig({}).tracing).toBeUndefined();
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "" }).tracing).toBeUndefined();
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }).tracing).toEqual({
      tracesUrl: "http://collector:4318/v1/traces",
      serviceName: "quorum",
    });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "https://otlp.example.com/otlp/", OTEL_SERVICE_NAME: "quorum-eu" }).tracing).toEqual({
      tracesUrl: "https://otlp.example.com/otlp/v1/traces",
      serviceName: "quorum-eu",
    });
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4317" })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT: got "collector:4317"; expected an OTLP\/HTTP collector's base URL/,
    );
  });

  it("reads LLM_PRICES and CHANNEL_DAILY_TOKENS, saying where a price is wrong", () => {
    expect(loadConfig({}).usage).toEqual({ prices: {}, dailyTokens: undefined });
    expect(loadConfig({ CHANNEL_DAILY_TOKENS: "", LLM_PRICES: "" }).usage).toEqual({ prices: {}, dailyTokens: undefined });
    expect(loadConfig({ CHANNEL_DAILY_TOKENS: "0" }).usage.dailyTokens).toBeUndefined();
    const config = loadConfig({ CHANNEL_DAILY_TOKENS: "200000", LLM_PRICES: '{"gpt-4o-mini": {"input": 0.15, "output": 0.6}}' });
    expect(config.usage).toEqual({ prices: { "gpt-4o-mini": { input: 0.15, output: 0.6 } }, dailyTokens: 200_000 });
    expect(() => loadConfig({ CHANNEL_DAILY_TOKENS: "lots" })).toThrow(
      /CHANNEL_DAILY_TOKENS: got "lots"; expected a whole number of tokens/,
    );
    expect(() => loadConfig({ CHANNEL_DAILY_TOKENS: "-5" })).toThrow(/CHANNEL_DAILY_TOKENS: got "-5"; expected 0 \(no budget\) or more/);
    expect(() => loadConfig({ LLM_PRICES: "{gpt" })).toThrow(/LLM_PRICES: got "\{gpt"; expected a JSON object/);
    expect(() => loadConfig({ LLM_PRICES: '{"gpt-4o": {"input": -1, "output": 2}}' })).toThrow(
      /LLM_PRICES: .*expected USD per million prompt tokens, 0 or more \(at gpt-4o\.input\)/,
    );
    expect(() => loadConfig({ LLM_PRICES: '{"gpt-4o": {"input": 1, "outpt": 2}}' })).toThrow(/LLM_PRICES: .*\(at gpt-4o/);
    // A count of tokens is no secret: shown when wrong, and not hidden from logs.
    expect(isSecret("CHANNEL_DAILY_TOKENS")).toBe(false);
    expect(isSecret("CONTEXT_TOKEN_BUDGET")).toBe(false);
    expect(isSecret("METRICS_TOKEN")).toBe(true);
    expect(isSecret("SLACK_BOT_TOKEN")).toBe(true);
  });

  it("gives a worker a metrics listener only with METRICS_PORT and METRICS_TOKEN", () => {
    const token = "0123456789abcdef0123";
    expect(loadConfig({}).workerMetrics).toBeUndefined();
    expect(loadConfig({ METRICS_PORT: "", METRICS_TOKEN: token }).workerMetrics).toBeUndefined();
    expect(loadConfig({ METRICS_PORT: "9464", METRICS_TOKEN: token }).workerMetrics).toEqual({ port: 9464, token });
    expect(() => loadConfig({ METRICS_PORT: "9464" })).toThrow(/METRICS_PORT: got "9464"; needs METRICS_TOKEN/);
    expect(() => loadConfig({ METRICS_PORT: "ninety", METRICS_TOKEN: token })).toThrow(/METRICS_PORT/);
  });

  it("reads ACK_REACTION as a Slack reaction name, eyes by default and empty for none", () => {
    const slack = { SLACK_BOT_TOKEN: "xoxb-1", SLACK_SIGNING_SECRET: "s" };
    expect(loadConfig(slack).slack?.ackReaction).toBe("eyes");
    expect(loadConfig(slack).slack?.ackReactionDelayMs).toBe(500);
    expect(loadConfig({ ...slack, ACK_REACTION_DELAY_MS: "0" }).slack?.ackReactionDelayMs).toBe(0);
    expect(() => loadConfig({ ...slack, ACK_REACTION_DELAY_MS: "-1" })).toThrow(/ACK_REACTION_DELAY_MS/);
    expect(loadConfig({ ...slack, ACK_REACTION: "hourglass_flowing_sand" }).slack?.ackReaction).toBe("hourglass_flowing_sand");
    expect(loadConfig({ ...slack, ACK_REACTION: "" }).slack?.ackReaction).toBeUndefined();
    expect(loadConfig({ ...slack, ACK_REACTION: ":eyes:" }).slack?.ackReaction).toBe("eyes");
    expect(() => loadConfig({ ...slack, ACK_REACTION: "two words" })).toThrow(/ACK_REACTION[\s\S]*a Slack reaction name/);
  });
});

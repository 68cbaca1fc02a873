import { z } from "zod";

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === "" ? undefined : v))
  .optional();

const url = (example: string) =>
  z
    .string()
    .trim()
    .refine((v) => URL.canParse(v), { message: `expected a URL such as ${example}` });

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const configSchema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().trim().min(1).default("127.0.0.1"),
    DATABASE_URL: url("postgres://user@127.0.0.1:5432/quorum").optional().or(z.literal("").transform(() => undefined)),
    PGLITE_DIR: z.string().trim().min(1).default("./.data/pglite"),
    REDIS_URL: url("redis://127.0.0.1:6379").default("redis://127.0.0.1:6379"),
    OPENAI_API_KEY: optionalString,
    OPENAI_BASE_URL: url("http://127.0.0.1:11434/v1").optional().or(z.literal("").transform(() => undefined)),
    LLM_MODEL: z.string().trim().min(1).default("gpt-4o-mini"),
    LLM_TIMEOUT_MS: positiveInt(60_000),
    LLM_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(3),
    AGENT_MAX_STEPS: positiveInt(8),
    CONTEXT_TOKEN_BUDGET: positiveInt(6_000),
    MEMORY_CAPACITY: positiveInt(2_000),
    SLACK_BOT_TOKEN: optionalString,
    SLACK_SIGNING_SECRET: optionalString,
    SLACK_APP_TOKEN: optionalString,
    SLACK_API_URL: url("https://slack.com/api/").default("https://slack.com/api/"),
    DISCORD_TOKEN: optionalString,
    DISCORD_APPLICATION_ID: optionalString,
    DISCORD_GUILD_ID: optionalString,
    DISCORD_API_URL: url("https://discord.com/api").default("https://discord.com/api"),
    WEB_CONSOLE: z.enum(["on", "off"]).optional(),
    LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  })
  .transform((env) => {
    const slack = env.SLACK_BOT_TOKEN !== undefined && env.SLACK_SIGNING_SECRET !== undefined;
    const discord = env.DISCORD_TOKEN !== undefined && env.DISCORD_APPLICATION_ID !== undefined;
    return {
      port: env.PORT,
      host: env.HOST,
      database: env.DATABASE_URL
        ? ({ kind: "postgres", url: env.DATABASE_URL } as const)
        : ({ kind: "pglite", dir: env.PGLITE_DIR } as const),
      redisUrl: env.REDIS_URL,
      llm: {
        // A local server (Ollama, llama.cpp) needs a base URL but no key.
        configured: env.OPENAI_API_KEY !== undefined || env.OPENAI_BASE_URL !== undefined,
        apiKey: env.OPENAI_API_KEY ?? "not-needed",
        baseURL: env.OPENAI_BASE_URL,
        model: env.LLM_MODEL,
        timeoutMs: env.LLM_TIMEOUT_MS,
        maxRetries: env.LLM_MAX_RETRIES,
      },
      agent: {
        maxSteps: env.AGENT_MAX_STEPS,
        contextTokenBudget: env.CONTEXT_TOKEN_BUDGET,
        memoryCapacity: env.MEMORY_CAPACITY,
      },
      slack: slack
        ? {
            botToken: env.SLACK_BOT_TOKEN as string,
            signingSecret: env.SLACK_SIGNING_SECRET as string,
            appToken: env.SLACK_APP_TOKEN,
            apiUrl: env.SLACK_API_URL,
          }
        : undefined,
      discord: discord
        ? {
            token: env.DISCORD_TOKEN as string,
            applicationId: env.DISCORD_APPLICATION_ID as string,
            guildId: env.DISCORD_GUILD_ID,
            apiUrl: env.DISCORD_API_URL,
          }
        : undefined,
      webConsole: env.WEB_CONSOLE ? env.WEB_CONSOLE === "on" : !slack && !discord,
      logLevel: env.LOG_LEVEL,
    };
  });

export type Config = z.output<typeof configSchema>;

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Parses settings; a bad value names the variable, what was given and what is expected. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = configSchema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? "?");
    const given = env[name];
    const shown = given === undefined ? "nothing" : isSecret(name) ? "a value (hidden)" : JSON.stringify(given);
    return `  ${name}: got ${shown}; ${issue.message}`;
  });
  throw new ConfigError(`Invalid settings:\n${lines.join("\n")}`);
}

export function isSecret(name: string): boolean {
  return /KEY|TOKEN|SECRET|PASSWORD/i.test(name);
}

/** What is missing, and what setting it would enable; printed at start and served by /api/health. */
export function missingSettings(config: Config): string[] {
  const missing: string[] = [];
  if (!config.llm.configured)
    missing.push("LLM: set OPENAI_API_KEY (and OPENAI_BASE_URL, LLM_MODEL for other OpenAI-compatible servers) so the assistant can answer");
  if (!config.slack)
    missing.push("Slack: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (SLACK_APP_TOKEN for Socket Mode) to serve a Slack workspace");
  if (!config.discord)
    missing.push("Discord: set DISCORD_TOKEN and DISCORD_APPLICATION_ID to serve a Discord server");
  return missing;
}

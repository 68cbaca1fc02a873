import { randomBytes } from "node:crypto";
import { z } from "zod";
import { specialistSchema } from "./agents/team/specialists.js";
import { pricesSchema } from "./agents/usage/prices.js";
import { approvalSettings } from "./tools/approval-policy.js";
import { httpApiSchema, mcpServerSchema } from "./tools/settings.js";

/** A token that opens an HTTP route: printable, no spaces, long enough not to be guessed. */
const accessToken = z
  .string()
  .trim()
  .max(200, "expected at most 200 characters")
  .regex(/^[\x21-\x7e]*$/, "expected printable ASCII without spaces, e.g. the output of `openssl rand -hex 32`")
  .refine((token) => token === "" || token.length >= 16, "expected at least 16 characters, e.g. the output of `openssl rand -hex 32`")
  .optional();

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

/** JSON in one variable, checked by `schema`; empty is an empty array or object. */
const json = <T extends z.ZodType>(kind: "array" | "object", schema: T) =>
  z
    .string()
    .trim()
    .transform((text, ctx) => {
      if (text === "") return kind === "array" ? [] : {};
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: `expected a JSON ${kind}` });
        return z.NEVER;
      }
    })
    .pipe(schema);

/** A JSON array in one variable, each item checked by `item`. */
const jsonArray = <T extends z.ZodType>(item: T) => json("array", z.array(item));

export const configSchema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().trim().min(1).default("127.0.0.1"),
    DATABASE_URL: url("postgres://user@127.0.0.1:5432/quorum")
      .optional()
      .or(z.literal("").transform(() => undefined)),
    PGLITE_DIR: z.string().trim().min(1).default("./.data/pglite"),
    DATABASE_PREPARE: z.enum(["on", "off"]).default("on"),
    DATABASE_STATEMENT_TIMEOUT_MS: positiveInt(10_000),
    REDIS_URL: url("redis://127.0.0.1:6379").default("redis://127.0.0.1:6379"),
    REDIS_PREFIX: z
      .string()
      .trim()
      .regex(/^[a-zA-Z0-9_-]{1,40}$/, "expected letters, digits, - or _")
      .default("quorum"),
    OPENAI_API_KEY: optionalString,
    OPENAI_BASE_URL: url("http://127.0.0.1:11434/v1")
      .optional()
      .or(z.literal("").transform(() => undefined)),
    LLM_MODEL: z.string().trim().min(1).default("gpt-4o-mini"),
    LLM_TIMEOUT_MS: positiveInt(60_000),
    LLM_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(3),
    LLM_VISION: z.enum(["on", "off"], { error: "expected on (images attached to messages go to the model) or off" }).default("on"),
    LLM_PRICES: json("object", pricesSchema).default({}),
    // Empty or 0: no budget.
    CHANNEL_DAILY_TOKENS: z.coerce
      .number({ error: "expected a whole number of tokens per channel per UTC day, or 0 for no budget" })
      .int("expected a whole number of tokens")
      .min(0, "expected 0 (no budget) or more")
      .default(0),
    AGENT_MAX_STEPS: positiveInt(8),
    CONTEXT_TOKEN_BUDGET: positiveInt(6_000),
    MEMORY_CAPACITY: positiveInt(50_000),
    EMBEDDING_MODEL: optionalString,
    EMBEDDING_BASE_URL: url("http://127.0.0.1:11434/v1")
      .optional()
      .or(z.literal("").transform(() => undefined)),
    EMBEDDING_API_KEY: optionalString,
    SLACK_BOT_TOKEN: optionalString,
    SLACK_SIGNING_SECRET: optionalString,
    SLACK_APP_TOKEN: optionalString,
    SLACK_API_URL: url("https://slack.com/api/").default("https://slack.com/api/"),
    // Slack's name of the reaction put on a message while its answer is written; empty for none.
    ACK_REACTION: z
      .string()
      .trim()
      // People write reactions as :eyes:; Slack's reactions.add wants the bare name.
      .transform((name) => name.replace(/^:(.*):$/, "$1"))
      .pipe(z.string().regex(/^[a-z0-9_+'-]*(::skin-tone-[2-6])?$/, "expected a Slack reaction name, e.g. eyes, or empty for none"))
      .default("eyes"),
    // An answer published sooner needs no reaction: two Slack calls fewer, and no 👀 that flickers.
    ACK_REACTION_DELAY_MS: z.coerce.number().int().min(0).default(500),
    DISCORD_TOKEN: optionalString,
    DISCORD_APPLICATION_ID: optionalString,
    DISCORD_GUILD_ID: optionalString,
    DISCORD_API_URL: url("https://discord.com/api").default("https://discord.com/api"),
    // Every process must say the same: each holds some of the shards, one process per shard.
    DISCORD_SHARD_COUNT: positiveInt(1),
    WEB_CONSOLE: z.enum(["on", "off"]).optional(),
    // Whoever guesses it owns the bot, and wrong guesses are only slowed per address.
    CONSOLE_TOKEN: accessToken,
    // Only reads /metrics; still a secret, as scrapes show what the bot is doing.
    METRICS_TOKEN: accessToken,
    // A worker's own /metrics listener (an app process serves /metrics on PORT).
    METRICS_PORT: z
      .literal("")
      .transform(() => undefined)
      .or(z.coerce.number().int().min(1).max(65535))
      .optional(),
    PUBLIC_URL: z
      .string()
      .trim()
      .transform((v, ctx) => {
        if (v === "") return undefined;
        const parsed = URL.canParse(v) ? new URL(v) : undefined;
        if (!parsed || !["http:", "https:"].includes(parsed.protocol) || parsed.pathname !== "/" || parsed.search || parsed.hash) {
          ctx.addIssue({ code: "custom", message: "expected the console's public origin, such as https://quorum.example.com (no path)" });
          return z.NEVER;
        }
        return parsed;
      })
      .optional(),
    ADMIN_USERS: z
      .string()
      .default("")
      .transform((v) =>
        v
          .split(",")
          .map((entry) => entry.trim())
          .filter(Boolean),
      )
      .pipe(
        z.array(
          z
            .string()
            .regex(
              /^(web|slack|discord):\S+$/,
              "expected platform:userId entries separated by commas, e.g. slack:U012AB3CD,discord:80351110224678912",
            ),
        ),
      ),
    HTTP_APIS: jsonArray(httpApiSchema).default([]),
    HTTP_ALLOWED_HOSTS: z
      .string()
      .default("")
      .transform((v) =>
        v
          .split(",")
          .map((host) =>
            host
              .trim()
              .toLowerCase()
              .replace(/^\[(.*)\]$/, "$1"),
          )
          .filter(Boolean),
      ),
    HTTP_TIMEOUT_MS: positiveInt(15_000),
    HTTP_MAX_RESPONSE_BYTES: positiveInt(1_000_000),
    SEARXNG_URL: url("http://127.0.0.1:8080")
      .optional()
      .or(z.literal("").transform(() => undefined)),
    BRAVE_API_KEY: optionalString,
    BRAVE_API_URL: url("https://api.search.brave.com/res/v1/web/search").default("https://api.search.brave.com/res/v1/web/search"),
    TAVILY_API_KEY: optionalString,
    TAVILY_API_URL: url("https://api.tavily.com/search").default("https://api.tavily.com/search"),
    OPEN_METEO_GEOCODING_URL: url("https://geocoding-api.open-meteo.com/v1/search").default(
      "https://geocoding-api.open-meteo.com/v1/search",
    ),
    OPEN_METEO_FORECAST_URL: url("https://api.open-meteo.com/v1/forecast").default("https://api.open-meteo.com/v1/forecast"),
    TOOL_APPROVAL: z
      .enum(approvalSettings, {
        error: "expected external (calls of external tools wait for a person), write (write and external ones do) or none",
      })
      .default("external"),
    MCP_SERVERS: jsonArray(mcpServerSchema)
      .refine((servers) => new Set(servers.map((server) => server.name)).size === servers.length, "MCP server names must be unique")
      .default([]),
    LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
    WORKERS: z.enum(["on", "off"]).default("on"),
    WORKER_CONCURRENCY: positiveInt(4),
    PROJECT_TASK_ATTEMPTS: positiveInt(3),
    PROJECT_RETRY_BACKOFF_MS: positiveInt(2_000),
    PROJECT_TIMEOUT_MS: positiveInt(30 * 60_000),
    JOB_LOCK_MS: positiveInt(30_000),
    PROJECT_STATUS_TICK_MS: positiveInt(10_000),
    SPECIALISTS: jsonArray(specialistSchema).default([]),
    // OpenTelemetry's own names, so collectors' usual settings work unchanged.
    OTEL_EXPORTER_OTLP_ENDPOINT: z
      .string()
      .trim()
      .refine((v) => v === "" || /^https?:$/.test(URL.canParse(v) ? new URL(v).protocol : ""), {
        message: "expected an OTLP/HTTP collector's base URL such as http://127.0.0.1:4318",
      })
      .optional(),
    OTEL_SERVICE_NAME: z.string().trim().min(1).default("quorum"),
  })
  // Loose, so HTTP_APIS can read the variables its auth headers name.
  .loose()
  .transform((env, ctx) => {
    const slack = env.SLACK_BOT_TOKEN !== undefined && env.SLACK_SIGNING_SECRET !== undefined;
    const discord = env.DISCORD_TOKEN !== undefined && env.DISCORD_APPLICATION_ID !== undefined;
    return {
      port: env.PORT,
      host: env.HOST,
      database: env.DATABASE_URL
        ? ({
            kind: "postgres",
            url: env.DATABASE_URL,
            prepare: env.DATABASE_PREPARE === "on",
            statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
          } as const)
        : ({ kind: "pglite", dir: env.PGLITE_DIR } as const),
      redisUrl: env.REDIS_URL,
      /** Namespaces every Redis key and channel, so bots (or tests) can share one Redis. */
      redisPrefix: env.REDIS_PREFIX,
      llm: {
        // A local server (Ollama, llama.cpp) needs a base URL but no key.
        configured: env.OPENAI_API_KEY !== undefined || env.OPENAI_BASE_URL !== undefined,
        apiKey: env.OPENAI_API_KEY ?? "not-needed",
        baseURL: env.OPENAI_BASE_URL,
        model: env.LLM_MODEL,
        timeoutMs: env.LLM_TIMEOUT_MS,
        maxRetries: env.LLM_MAX_RETRIES,
        /** Whether images attached to messages are sent to the model. */
        vision: env.LLM_VISION === "on",
      },
      usage: {
        /** USD per million tokens by model, for cost figures; a model not listed costs 0 (and says so). */
        prices: env.LLM_PRICES,
        /** A channel's tokens per UTC day; undefined: no budget. */
        dailyTokens: env.CHANNEL_DAILY_TOKENS || undefined,
      },
      agent: {
        maxSteps: env.AGENT_MAX_STEPS,
        contextTokenBudget: env.CONTEXT_TOKEN_BUDGET,
        memoryCapacity: env.MEMORY_CAPACITY,
      },
      /** Recall by meaning: unset model means full-text recall alone. The model's server and key unless set apart. */
      embeddings: {
        model: env.EMBEDDING_MODEL,
        baseURL: env.EMBEDDING_BASE_URL ?? env.OPENAI_BASE_URL,
        apiKey: env.EMBEDDING_API_KEY ?? env.OPENAI_API_KEY ?? "not-needed",
      },
      slack: slack
        ? {
            botToken: env.SLACK_BOT_TOKEN as string,
            signingSecret: env.SLACK_SIGNING_SECRET as string,
            appToken: env.SLACK_APP_TOKEN,
            apiUrl: env.SLACK_API_URL,
            ackReaction: env.ACK_REACTION || undefined,
            ackReactionDelayMs: env.ACK_REACTION_DELAY_MS,
          }
        : undefined,
      discord: discord
        ? {
            token: env.DISCORD_TOKEN as string,
            applicationId: env.DISCORD_APPLICATION_ID as string,
            guildId: env.DISCORD_GUILD_ID,
            apiUrl: env.DISCORD_API_URL,
            /** Gateway shards, spread over the processes through Redis leases. */
            shardCount: env.DISCORD_SHARD_COUNT,
          }
        : undefined,
      webConsole: env.WEB_CONSOLE ? env.WEB_CONSOLE === "on" : !slack && !discord,
      adminUsers: env.ADMIN_USERS,
      console: {
        // Unset: a new random token at each start, printed in the login link only.
        token: env.CONSOLE_TOKEN || randomBytes(24).toString("base64url"),
        tokenGenerated: !env.CONSOLE_TOKEN,
        /** A second token that opens GET /metrics alone, for a Prometheus scraper. */
        metricsToken: env.METRICS_TOKEN || undefined,
        /** The console's origin behind a proxy, e.g. https://quorum.example.com. */
        publicUrl: env.PUBLIC_URL,
      },
      /** Where `npm run worker` serves GET /metrics, to METRICS_TOKEN alone; none when unset. */
      workerMetrics: metricsListener(env.METRICS_PORT, env.METRICS_TOKEN, ctx),
      tools: {
        http: {
          apis: env.HTTP_APIS.map(({ auth, ...api }) => {
            if (!auth) return api;
            const secret = env[auth.env];
            if (typeof secret !== "string" || secret.trim() === "")
              ctx.addIssue({
                code: "custom",
                path: ["HTTP_APIS"],
                message: `API "${api.name}" takes its ${auth.header} header from ${auth.env}, which is not set`,
              });
            return { ...api, auth: { header: auth.header, value: `${auth.prefix}${String(secret ?? "").trim()}` } };
          }),
          allowedHosts: env.HTTP_ALLOWED_HOSTS,
          timeoutMs: env.HTTP_TIMEOUT_MS,
          maxResponseBytes: env.HTTP_MAX_RESPONSE_BYTES,
        },
        search: env.SEARXNG_URL
          ? ({ kind: "searxng", url: env.SEARXNG_URL } as const)
          : env.BRAVE_API_KEY
            ? ({ kind: "brave", url: env.BRAVE_API_URL, apiKey: env.BRAVE_API_KEY } as const)
            : env.TAVILY_API_KEY
              ? ({ kind: "tavily", url: env.TAVILY_API_URL, apiKey: env.TAVILY_API_KEY } as const)
              : undefined,
        weather: { geocodingUrl: env.OPEN_METEO_GEOCODING_URL, forecastUrl: env.OPEN_METEO_FORECAST_URL },
        mcpServers: env.MCP_SERVERS,
        /** Which tool risks wait for a person's approval (see `needsApproval`). */
        approval: env.TOOL_APPROVAL,
      },
      logLevel: env.LOG_LEVEL,
      projects: {
        runWorkers: env.WORKERS === "on",
        concurrency: env.WORKER_CONCURRENCY,
        taskAttempts: env.PROJECT_TASK_ATTEMPTS,
        retryBackoffMs: env.PROJECT_RETRY_BACKOFF_MS,
        timeoutMs: env.PROJECT_TIMEOUT_MS,
        lockMs: env.JOB_LOCK_MS,
        /** How often a running project's status message is edited for its elapsed times alone. */
        statusTickMs: env.PROJECT_STATUS_TICK_MS,
        specialists: env.SPECIALISTS,
      },
      /** Spans exported over OTLP/HTTP; unset, no tracing SDK is loaded at all. */
      tracing: env.OTEL_EXPORTER_OTLP_ENDPOINT
        ? { tracesUrl: tracesUrl(env.OTEL_EXPORTER_OTLP_ENDPOINT), serviceName: env.OTEL_SERVICE_NAME }
        : undefined,
    };
  });

export type Config = z.output<typeof configSchema>;

/** Where spans go: the OTLP base endpoint with the signal's path appended, as the OTLP exporter spec says. */
function tracesUrl(endpoint: string): string {
  const url = new URL(endpoint);
  url.pathname = `${url.pathname.replace(/\/$/, "")}/v1/traces`;
  return url.href;
}

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
    // Where inside a JSON setting the problem is, e.g. LLM_PRICES at gpt-4o.input.
    const at = issue.path.length > 1 ? ` (at ${issue.path.slice(1).join(".")})` : "";
    return `  ${name}: got ${shown}; ${issue.message}${at}`;
  });
  throw new ConfigError(`Invalid settings:\n${lines.join("\n")}`);
}

export function isSecret(name: string): boolean {
  // Counts of tokens (CHANNEL_DAILY_TOKENS, CONTEXT_TOKEN_BUDGET) are not access tokens.
  return /KEY|TOKEN(?!S|_BUDGET)|SECRET|PASSWORD/i.test(name);
}

/** Every secret value the settings hold, so that logs can hide them wherever they appear. */
export function secretValues(config: Config, env: NodeJS.ProcessEnv = process.env): string[] {
  const named = (entries: [string, string | undefined][]) => entries.filter(([name]) => isSecret(name)).map(([, value]) => value);
  const found = [
    ...named(Object.entries(env)),
    config.console.token,
    ...config.tools.http.apis.map((api) => ("auth" in api ? api.auth.value : undefined)),
    ...config.tools.mcpServers.flatMap((server) =>
      "url" in server ? Object.values(server.headers) : named(Object.entries(server.env ?? {})),
    ),
  ];
  return found.filter((value): value is string => value !== undefined && value !== "");
}

/** What is missing, and what setting it would enable; printed at start and served by /api/health. */
export function missingSettings(config: Config): string[] {
  const missing: string[] = [];
  if (!config.llm.configured)
    missing.push(
      "LLM: set OPENAI_API_KEY (and OPENAI_BASE_URL, LLM_MODEL for other OpenAI-compatible servers) so the assistant can answer",
    );
  if (!config.slack)
    missing.push("Slack: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (SLACK_APP_TOKEN for Socket Mode) to serve a Slack workspace");
  if (!config.discord) missing.push("Discord: set DISCORD_TOKEN and DISCORD_APPLICATION_ID to serve a Discord server");
  return missing;
}

function metricsListener(
  port: number | undefined,
  token: string | undefined,
  ctx: z.RefinementCtx,
): { port: number; token: string } | undefined {
  if (port === undefined) return undefined;
  if (token) return { port, token };
  // Scrapes show what the bot is doing: never served without a token.
  ctx.addIssue({ code: "custom", path: ["METRICS_PORT"], message: "needs METRICS_TOKEN, the bearer token a scraper sends" });
  return undefined;
}

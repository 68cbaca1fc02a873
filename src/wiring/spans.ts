import { type Attributes, type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { type LlmClient, LlmError, OPENAI_API_URL } from "../agents/llm/types.js";
import type { Bot, HandledMessage } from "../core/bot.js";
import { ToolExecutor } from "../tools/executor.js";
import { outcomeOf } from "./metrics.js";

/**
 * Spans for turns, model calls and tool calls, as thin wrappers around the same seams the metrics
 * use (the bot, the model, the executor), named and attributed after OpenTelemetry's GenAI
 * semantic conventions. Ids, models, token counts, tool names and outcomes only: never what
 * anyone wrote, nor an error's message (it may echo a statement or a URL). Without tracing
 * configured (./tracing.ts) the tracer is the API's no-op one.
 *
 * The tracer is looked up per span, not kept: one kept would stay bound to the first SDK it met,
 * and services closed and opened again in one process (tests, a restart) start a new one.
 */
const tracer = () => trace.getTracer("quorum");

/** The channel's assistant, the one agent a turn invokes. */
const AGENT = "assistant";
/** The OpenAI chat-completions API, whichever compatible server speaks it. */
const PROVIDER = "openai";

/** `bot` with a span per delivery (`invoke_agent assistant`), per decided approval and per command. */
export function tracedBot(bot: Bot): Bot {
  const agent = { "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": AGENT, "gen_ai.provider.name": PROVIDER };
  return {
    handleMessage: (message, poster) =>
      inSpan(
        `invoke_agent ${AGENT}`,
        SpanKind.INTERNAL,
        { ...agent, "quorum.platform": message.platform, "quorum.channel.id": message.channel, "quorum.event.id": message.eventId },
        async (span) => {
          const handled = await bot.handleMessage(message, poster);
          turnEnded(span, handled);
          return handled;
        },
      ),
    // The turn that goes on after a decision is answered later: its span ends with it.
    decideApproval: (decision, poster) =>
      tracer().startActiveSpan(
        `invoke_agent ${AGENT}`,
        { kind: SpanKind.INTERNAL, attributes: { ...agent, "quorum.platform": decision.platform, "quorum.approval.id": decision.id } },
        async (span) => {
          try {
            const result = await bot.decideApproval(decision, poster);
            span.setAttributes({ "quorum.approval.status": result.status, "quorum.approval.approved": decision.approve });
            if (result.status !== "decided") span.end();
            else
              result.turn.then(
                (handled) => {
                  turnEnded(span, handled);
                  span.end();
                },
                (error: unknown) => {
                  failed(span, errorType(error));
                  span.end();
                },
              );
            return result;
          } catch (error) {
            failed(span, errorType(error));
            span.end();
            throw error;
          }
        },
      ),
    handleCommand: (invocation) =>
      inSpan(
        "command",
        SpanKind.INTERNAL,
        { "quorum.platform": invocation.platform, "quorum.channel.id": invocation.channel, "quorum.command": invocation.command },
        () => bot.handleCommand(invocation),
      ),
    knowsThread: (platform, channel, thread) => bot.knowsThread(platform, channel, thread),
    stopTurn: (to) => bot.stopTurn(to),
  };
}

/** `llm` with a client span per call (`chat MODEL`), its tokens and finish reason. */
export function tracedLlm(llm: LlmClient, baseURL: string | undefined): LlmClient {
  const server = new URL(baseURL ?? OPENAI_API_URL);
  const port = Number(server.port || (server.protocol === "https:" ? 443 : 80));
  return {
    get model() {
      return llm.model;
    },
    complete(request) {
      const model = request.model ?? llm.model;
      const attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": PROVIDER,
        "gen_ai.request.model": model,
        // Every call streams (stream_options.include_usage gives the tokens).
        "gen_ai.request.stream": true,
        "server.address": server.hostname,
        "server.port": port,
      };
      return inSpan(`chat ${model}`, SpanKind.CLIENT, attributes, async (span) => {
        const result = await llm.complete(request);
        span.setAttribute("gen_ai.response.finish_reasons", [result.finishReason]);
        if (result.responseModel) span.setAttribute("gen_ai.response.model", result.responseModel);
        if (result.responseId) span.setAttribute("gen_ai.response.id", result.responseId);
        if (result.usage)
          span.setAttributes({
            "gen_ai.usage.input_tokens": result.usage.promptTokens,
            "gen_ai.usage.output_tokens": result.usage.completionTokens,
          });
        return result;
      });
    },
  };
}

/** The tool executor with a span per call (`execute_tool NAME`); a call that failed says so. */
export class TracedToolExecutor extends ToolExecutor {
  override execute(...args: Parameters<ToolExecutor["execute"]>): ReturnType<ToolExecutor["execute"]> {
    const [, call] = args;
    const attributes = {
      "gen_ai.operation.name": "execute_tool",
      "gen_ai.tool.name": call.name,
      "gen_ai.tool.call.id": call.id,
      "gen_ai.tool.type": "function",
    };
    return inSpan(`execute_tool ${call.name}`, SpanKind.INTERNAL, attributes, async (span) => {
      const outcome = await super.execute(...args);
      span.setAttribute("quorum.outcome", outcome.ok ? "ok" : "error");
      if (!outcome.ok) failed(span, "tool_error");
      return outcome;
    });
  }
}

/** Runs `work` as the active span, ended when it settles; a throw marks the span failed. */
function inSpan<T>(name: string, kind: SpanKind, attributes: Attributes, work: (span: Span) => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(name, { kind, attributes }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      failed(span, errorType(error));
      throw error;
    } finally {
      span.end();
    }
  });
}

function turnEnded(span: Span, handled: HandledMessage | undefined): void {
  const outcome = outcomeOf(handled);
  span.setAttribute("quorum.outcome", outcome);
  if (handled) span.setAttribute("gen_ai.conversation.id", handled.thread);
  if (outcome === "failed") failed(span, "turn_failed");
}

function failed(span: Span, type: string): void {
  span.setAttribute("error.type", type);
  span.setStatus({ code: SpanStatusCode.ERROR });
}

/** A low-cardinality name for what went wrong: the model error's kind, or the error's class. */
function errorType(error: unknown): string {
  if (error instanceof LlmError) return error.kind;
  return error instanceof Error ? error.name : "_OTHER";
}

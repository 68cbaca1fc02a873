import { type Context, context, DiagLogLevel, diag, propagation, SpanKind, trace } from "@opentelemetry/api";
import type { ReadableSpan, Span, SpanProcessor } from "@opentelemetry/sdk-trace-node";
import type { Telemetry } from "bullmq";
import type { Config } from "../config.js";
import type { Logger } from "./log.js";

/** The tracing SDK of this process, started from config (OTEL_EXPORTER_OTLP_ENDPOINT). */
export interface Tracing {
  /** BullMQ's hook: a span per job, and the trace context carried from a job to the jobs it queues. */
  jobs: Telemetry<Context>;
  /** Exports the spans in hand and unregisters the SDK, so the process is as it was. */
  close(): Promise<void>;
}

/** BullMQ's tracer: its producer and consumer spans are kept, its housekeeping (polls, stalled checks) is not. */
const JOB_TRACER = "bullmq";

/**
 * Starts exporting spans over OTLP/HTTP (JSON) when tracing is configured. Otherwise nothing is
 * loaded: the spans made through `@opentelemetry/api` stay its no-op ones.
 */
export async function startTracing(settings: Config["tracing"], log: Logger): Promise<Tracing | undefined> {
  if (!settings) return undefined;
  // Loaded here only: the SDK and exporter are a start's cost that an untraced bot never pays.
  const [{ NodeTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, resources, { BullMQOtel }] = await Promise.all([
    import("@opentelemetry/sdk-trace-node"),
    import("@opentelemetry/exporter-trace-otlp-http"),
    import("@opentelemetry/resources"),
    import("bullmq-otel"),
  ]);
  const resource = resources
    .defaultResource()
    // OTEL_RESOURCE_ATTRIBUTES, e.g. deployment.environment.name=production.
    .merge(resources.detectResources({ detectors: [resources.envDetector] }))
    .merge(resources.resourceFromAttributes({ "service.name": settings.serviceName }));
  // Headers (OTEL_EXPORTER_OTLP_HEADERS), timeout and compression come from the environment.
  const exported = new BatchSpanProcessor(new OTLPTraceExporter({ url: settings.tracesUrl }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [withoutJobHousekeeping(exported)] });
  provider.register();
  // A collector that is down or refuses the spans is said in the log (the SDK is silent by default).
  const said = (message: string) => log.warn({ component: "tracing" }, message);
  const quiet = () => undefined;
  diag.setLogger({ error: said, warn: said, info: quiet, debug: quiet, verbose: quiet }, DiagLogLevel.WARN);
  log.info({ collector: new URL(settings.tracesUrl).host, service: settings.serviceName }, "traces exported over OTLP");
  return {
    jobs: new BullMQOtel({ tracerName: JOB_TRACER }),
    async close() {
      // The last batch goes out here; a collector that refuses it must not fail the shutdown.
      await provider.shutdown().catch((error: unknown) => said(`the last spans were not exported: ${messageOf(error)}`));
      diag.disable();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

/**
 * BullMQ traces its own bookkeeping too: every poll for a job and every stalled-job check, a root
 * span each few seconds per worker. Only its producer ("add") and consumer ("process") spans say
 * what the bot did, so its internal ones are not exported.
 */
function withoutJobHousekeeping(next: SpanProcessor): SpanProcessor {
  return {
    onStart: (span: Span, parent: Context) => next.onStart(span, parent),
    onEnd(span: ReadableSpan) {
      if (span.instrumentationScope.name === JOB_TRACER && span.kind === SpanKind.INTERNAL) return;
      next.onEnd(span);
    },
    forceFlush: () => next.forceFlush(),
    shutdown: () => next.shutdown(),
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

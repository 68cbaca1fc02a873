import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";

// OTLP/HTTP with the JSON encoding (ExportTraceServiceRequest): ids as hex, values tagged by type.
const anyValue: z.ZodType<unknown> = z
  .object({
    stringValue: z.string().optional(),
    boolValue: z.boolean().optional(),
    intValue: z.union([z.string(), z.number()]).optional(),
    doubleValue: z.number().optional(),
    arrayValue: z.object({ values: z.array(z.lazy(() => anyValue)).optional() }).optional(),
  })
  .transform((v) => {
    if (v.arrayValue) return v.arrayValue.values ?? [];
    if (v.intValue !== undefined) return Number(v.intValue);
    return v.stringValue ?? v.boolValue ?? v.doubleValue;
  });
const attributes = z
  .array(z.object({ key: z.string(), value: anyValue }))
  .optional()
  .transform((list) => Object.fromEntries((list ?? []).map(({ key, value }) => [key, value])));
const exportRequest = z.object({
  resourceSpans: z.array(
    z.object({
      resource: z.object({ attributes }).optional(),
      scopeSpans: z.array(
        z.object({
          scope: z.object({ name: z.string() }).optional(),
          spans: z.array(
            z.object({
              traceId: z.string(),
              spanId: z.string(),
              parentSpanId: z.string().optional(),
              name: z.string(),
              kind: z.number(),
              attributes,
              status: z.object({ code: z.number().optional() }).optional(),
            }),
          ),
        }),
      ),
    }),
  ),
});

/** One span as received, with its resource's service name and its attributes as plain values. */
export interface ReceivedSpan {
  service: unknown;
  scope: string | undefined;
  traceId: string;
  spanId: string;
  /** Undefined for a root span. */
  parentSpanId: string | undefined;
  name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: Record<string, unknown>;
  /** 2 is an error. */
  statusCode: number;
}

export interface OtlpReceiver {
  /** The base URL to give as OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  spans: ReceivedSpan[];
  /** Every request received, whatever its path. */
  requests: number;
  stop(): Promise<void>;
}

/** A loopback OpenTelemetry collector that accepts POST /v1/traces in OTLP/HTTP JSON and keeps the spans. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const receiver: OtlpReceiver = { url: "", spans: [], requests: 0, stop: async () => undefined };
  const server = createServer((req, res) => {
    receiver.requests += 1;
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      if (req.method !== "POST" || req.url !== "/v1/traces" || !req.headers["content-type"]?.startsWith("application/json")) {
        res.writeHead(404).end();
        return;
      }
      const parsed = exportRequest.parse(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      for (const { resource, scopeSpans } of parsed.resourceSpans)
        for (const { scope, spans } of scopeSpans)
          for (const span of spans)
            receiver.spans.push({
              service: resource?.attributes["service.name"],
              scope: scope?.name,
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId || undefined,
              name: span.name,
              kind: span.kind,
              attributes: span.attributes,
              statusCode: span.status?.code ?? 0,
            });
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  receiver.stop = () => new Promise((resolve) => server.close(() => resolve()));
  return receiver;
}

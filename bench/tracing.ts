import { startOtlpReceiver } from "../test/fakes/otlp-receiver.js";
import type { BenchResult } from "./result.js";
import { chatSideBySide } from "./side-by-side.js";

/**
 * Chat at c=1 untraced against exporting its spans to a loopback OTLP receiver: what tracing
 * costs a message (its spans, their export in batches).
 */
export async function benchTracing(count = 1_000): Promise<BenchResult[]> {
  const receiver = await startOtlpReceiver();
  try {
    return await chatSideBySide({
      name: "tracing (pglite)",
      on: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
      during: () => async () => `${receiver.spans.length} spans received`,
      count,
    });
  } finally {
    await receiver.stop();
  }
}

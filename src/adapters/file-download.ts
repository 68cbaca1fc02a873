import { DownloadError } from "../core/attachment.js";

/**
 * Fetches a file a person attached, from the platform's own file hosts only: every redirect is
 * taken by hand and its target checked, so a file link cannot lead the bot (or its token) anywhere
 * else. The download is capped while it streams and stops at a time limit.
 */

/** Whether a URL is on one of the platform's own file hosts. */
export type HostRule = (url: URL) => boolean;

/**
 * The platform's fixed file hosts (HTTPS only), and the host of its configured API base with that
 * base's scheme and port (a proxy, a government cloud, a test's loopback fake).
 */
export function platformHosts(fixed: readonly string[], apiBase: string | undefined): HostRule {
  const api = apiBase && URL.canParse(apiBase) ? new URL(apiBase) : undefined;
  return (url) =>
    (url.protocol === "https:" && url.port === "" && fixed.includes(url.hostname)) ||
    (api !== undefined && url.protocol === api.protocol && url.host === api.host);
}

export interface DownloadRequest {
  url: string;
  allowed: HostRule;
  /** Sent with every request; only ever to hosts `allowed` accepts. */
  headers?: Record<string, string>;
  maxBytes: number;
  signal?: AbortSignal;
  /** The whole download, redirects included; 10 s by default. */
  timeoutMs?: number;
}

export interface Downloaded {
  bytes: Uint8Array;
  /** The Content-Type the host answered with. */
  contentType?: string;
}

export const DOWNLOAD_TIMEOUT_MS = 10_000;
const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export async function downloadFile(request: DownloadRequest): Promise<Downloaded> {
  const timeoutMs = request.timeoutMs ?? DOWNLOAD_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
  const failed = (error: unknown): Error => {
    if (error instanceof DownloadError) return error;
    if (timeout.aborted) return new DownloadError("timeout", `the download took longer than ${Math.round(timeoutMs / 1000)} s`);
    if (signal.aborted) return signal.reason instanceof Error ? signal.reason : new Error("aborted");
    return new DownloadError("network", "the download failed", { cause: error });
  };
  let url = URL.canParse(request.url) ? new URL(request.url) : undefined;
  for (let hop = 0; ; hop++) {
    if (!url || !request.allowed(url))
      throw new DownloadError(
        "off_host",
        hop === 0 ? "its link is not on the platform's file host" : "its download was redirected away from the platform's file host",
      );
    let response: Response;
    try {
      response = await fetch(url, { headers: request.headers, redirect: "manual", signal });
    } catch (error) {
      throw failed(error);
    }
    if (REDIRECTS.has(response.status)) {
      const location = response.headers.get("location");
      await response.body?.cancel().catch(() => undefined);
      if (location === null || hop >= MAX_REDIRECTS) throw new DownloadError("http_status", "its download was redirected too often");
      url = URL.canParse(location, url.href) ? new URL(location, url) : undefined;
      continue;
    }
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      throw new DownloadError("http_status", `the platform answered ${response.status}`);
    }
    const contentType = response.headers.get("content-type") ?? undefined;
    const declared = Number(response.headers.get("content-length") ?? Number.NaN);
    if (declared > request.maxBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw tooLarge(request.maxBytes);
    }
    try {
      return { bytes: await readCapped(response, request.maxBytes), contentType };
    } catch (error) {
      throw failed(error);
    }
  }
}

/** The body, refusing (and stopping the transfer) as soon as it passes `maxBytes`. */
async function readCapped(response: Response, maxBytes: number): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array();
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

function tooLarge(maxBytes: number): DownloadError {
  return new DownloadError("too_large", `it is over the ${formatLimit(maxBytes)} limit`);
}

function formatLimit(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round(bytes / (1024 * 1024))} MB` : `${Math.round(bytes / 1024)} KB`;
}

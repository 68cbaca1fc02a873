/**
 * A file attached to a person's message, as an adapter found it: what the platform declares about
 * it, and a way to fetch its bytes that the adapter supplies (from the platform's own hosts, with
 * its credentials). Nothing is downloaded until a turn asks; what is read of it is decided in one
 * place (agents/assistant/attachments.ts), not by the adapters.
 */
export interface Attachment {
  name: string;
  /** The media type the platform declared; the bytes are checked before anyone relies on it. */
  mimeType?: string;
  /** The size in bytes the platform declared; a download is capped whatever it says. */
  size?: number;
  /** Set when the platform gives no way to fetch the file (an external or hidden file): why, in a few words. */
  unavailable?: string;
  /**
   * The file's bytes. Rejects with a `DownloadError` past `maxBytes` (the download stops there),
   * after the platform's time limit, on an answer other than 200, or on a redirect off the
   * platform's own file hosts.
   */
  download(options: { maxBytes: number; signal?: AbortSignal }): Promise<Uint8Array>;
}

export type DownloadFailure = "too_large" | "off_host" | "timeout" | "http_status" | "network" | "sign_in";

/** Why a file could not be fetched, in words fit to show (no URL: platforms sign them). */
export class DownloadError extends Error {
  override name = "DownloadError";
  constructor(
    readonly reason: DownloadFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

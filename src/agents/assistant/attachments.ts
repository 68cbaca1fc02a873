import { type Attachment, DownloadError } from "../../core/attachment.js";
import type { ChatImage } from "../llm/types.js";
import { dataBlock } from "./data-blocks.js";
import { baseMimeType, declaredImage, declaredText, decodeText, formatSize, sniffImage } from "./file-types.js";

/**
 * What the model is shown of the files attached to a message, decided here for every platform:
 *
 * - images (PNG, JPEG, GIF, WebP by their bytes, not their declared type), up to MAX_IMAGES of
 *   MAX_IMAGE_BYTES each, go to the model as image parts carrying the bytes as `data:` URLs, unless
 *   vision is off (`LLM_VISION=off`). The stored message keeps an `[image: name, size]` marker, not
 *   the bytes, so a later turn does not send the image again.
 * - text files up to MAX_TEXT_BYTES are inlined as `<file>` data blocks labelled with the file's
 *   name and the person who attached it: their content is data, never instructions.
 * - other files are named, with their type and size.
 *
 * Anything that should have been read and was not (too big, too many, vision off, the download
 * failed or brought something else) is said twice: the model sees why next to the file's name, so
 * it does not answer as if it had seen it, and a note under the answer names it, so the person
 * knows whatever the model says.
 */

export const MAX_IMAGES = 4;
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;
export const MAX_TEXT_BYTES = 100 * 1024;

export interface AttachmentOptions {
  /** Whether the model is sent images (`LLM_VISION`). */
  vision: boolean;
  /** Who attached the files, for the label of their blocks. */
  author: string;
  signal?: AbortSignal;
}

export interface ReadAttachments {
  /** The files as the message shows them to the model and stores them: markers and `<file>` blocks, one per line. */
  text: string;
  /** The images to send with the message. */
  images: ChatImage[];
  /** Each file that was not read, with why: said under the answer. */
  skipped: { name: string; why: string }[];
  /** Bytes downloaded, for the log. */
  bytes: number;
}

type Read = { line: string; image?: ChatImage; skipped?: string; bytes?: number };

export async function readAttachments(attachments: readonly Attachment[], options: AttachmentOptions): Promise<ReadAttachments> {
  let imageSlots = MAX_IMAGES;
  const reads = attachments.map((attachment): Promise<Read> => {
    const name = shownName(attachment.name);
    if (declaredImage(attachment.name, attachment.mimeType)) {
      const marker = `image: ${name}${attachment.size === undefined ? "" : `, ${formatSize(attachment.size)}`}`;
      if (!options.vision) return Promise.resolve(skip(marker, "image input is off for this bot (LLM_VISION=off)"));
      if (imageSlots === 0) return Promise.resolve(skip(marker, `only ${MAX_IMAGES} images are read per message`));
      imageSlots--;
      return readImage(attachment, name, marker, options.signal);
    }
    const declared = baseMimeType(attachment.mimeType);
    const type = declared && /^[\w.+-]+\/[\w.+-]+$/.test(declared) ? declared : "unknown type";
    const marker = `file: ${name}, ${type}${attachment.size === undefined ? "" : `, ${formatSize(attachment.size)}`}`;
    if (declaredText(attachment.name, attachment.mimeType)) return readText(attachment, marker, name, type, options);
    return Promise.resolve({ line: `[${marker}; not opened: only images and text files are read]` });
  });
  const done = await Promise.all(reads);
  return {
    text: done.map((read) => read.line).join("\n"),
    images: done.flatMap((read) => (read.image ? [read.image] : [])),
    skipped: done.flatMap((read, i) => (read.skipped ? [{ name: shownName(attachments[i]!.name), why: read.skipped }] : [])),
    bytes: done.reduce((sum, read) => sum + (read.bytes ?? 0), 0),
  };
}

async function readImage(attachment: Attachment, name: string, marker: string, signal: AbortSignal | undefined): Promise<Read> {
  const limit = `over the ${formatSize(MAX_IMAGE_BYTES)} limit for images`;
  const fetched = await fetchBytes(attachment, MAX_IMAGE_BYTES, limit, signal);
  if ("why" in fetched) return skip(marker, fetched.why);
  const type = sniffImage(fetched.bytes);
  if (!type) return { ...skip(marker, "it is not a PNG, JPEG, GIF or WebP image"), bytes: fetched.bytes.byteLength };
  const url = `data:${type};base64,${Buffer.from(fetched.bytes).toString("base64")}`;
  return { line: `[image: ${name}, ${formatSize(fetched.bytes.byteLength)}]`, image: { url }, bytes: fetched.bytes.byteLength };
}

async function readText(attachment: Attachment, marker: string, name: string, type: string, options: AttachmentOptions): Promise<Read> {
  const fetched = await fetchBytes(
    attachment,
    MAX_TEXT_BYTES,
    `over the ${formatSize(MAX_TEXT_BYTES)} limit for text files`,
    options.signal,
  );
  if ("why" in fetched) return skip(marker, fetched.why);
  const text = sniffImage(fetched.bytes) ? undefined : decodeText(fetched.bytes);
  if (text === undefined) return { ...skip(marker, "it is not UTF-8 text"), bytes: fetched.bytes.byteLength };
  const block = dataBlock("file", { name, author: options.author, type, size: formatSize(fetched.bytes.byteLength) }, text);
  return { line: block, bytes: fetched.bytes.byteLength };
}

/** The bytes, or why there are none; the declared size is believed only to skip a download. */
async function fetchBytes(
  attachment: Attachment,
  maxBytes: number,
  overLimit: string,
  signal: AbortSignal | undefined,
): Promise<{ bytes: Uint8Array } | { why: string }> {
  if (attachment.unavailable) return { why: attachment.unavailable };
  if (attachment.size !== undefined && attachment.size > maxBytes) return { why: overLimit };
  try {
    return { bytes: await attachment.download({ maxBytes, ...(signal ? { signal } : {}) }) };
  } catch (error) {
    if (!(error instanceof DownloadError)) {
      if (signal?.aborted) throw error;
      return { why: "the download failed" };
    }
    if (error.reason === "too_large") return { why: overLimit };
    if (error.reason === "off_host") return { why: `not fetched: ${error.message}` };
    return { why: `the download failed: ${error.message}` };
  }
}

function skip(marker: string, why: string): Read {
  return { line: `[${marker}; not read: ${why}]`, skipped: why };
}

/** A file name as markers and notes show it: one line, no brackets or backticks that could end a marker or a code span, at most 120 characters. */
function shownName(name: string): string {
  const cleaned = name
    .replace(/[\p{Cc}[\]`<>]+/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
  const clipped = cleaned.length > 120 ? `${cleaned.slice(0, 119)}…` : cleaned;
  return clipped === "" ? "unnamed file" : clipped;
}

/** The note under an answer that names the files not read, or undefined when every file was. */
export function skippedNote(skipped: ReadAttachments["skipped"]): string | undefined {
  if (skipped.length === 0) return undefined;
  return `_Not read: ${skipped.map(({ name, why }) => `\`${name}\` (${why})`).join("; ")}._`;
}

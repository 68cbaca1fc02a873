/**
 * What a file is: from what the platform declares (to decide what to fetch), then from its bytes
 * (to decide what to trust). A declared type is a hint; an image is an image when its first bytes
 * say so, and text is text when it decodes as UTF-8 without NUL bytes.
 */

/** The image formats vision models accept. */
export type ImageType = "image/png" | "image/jpeg" | "image/gif" | "image/webp";

const IMAGE_MIME_TYPES = new Set<string>(["image/png", "image/jpeg", "image/jpg", "image/pjpeg", "image/gif", "image/webp"]);
const IMAGE_EXTENSIONS = new Set(["png", "jpg", "jpeg", "jpe", "gif", "webp"]);

const TEXT_MIME_TYPES = new Set([
  "application/json",
  "application/x-ndjson",
  "application/xml",
  "application/yaml",
  "application/x-yaml",
  "application/toml",
  "application/javascript",
  "application/x-javascript",
  "application/typescript",
  "application/x-typescript",
  "application/x-sh",
  "application/x-shellscript",
  "application/sql",
  "application/x-sql",
  "application/graphql",
  "application/x-httpd-php",
  "application/x-python",
  "application/x-tex",
]);

const TEXT_EXTENSIONS = new Set(
  (
    "txt text md markdown rst adoc org tex csv tsv json jsonl ndjson yaml yml toml ini cfg conf properties env log " +
    "xml html htm css scss sass less svg js mjs cjs jsx ts mts cts tsx vue svelte py pyi rb go rs java kt kts scala " +
    "groovy gradle c h cc cpp cxx hpp hh cs fs php pl pm r jl lua swift m mm dart ex exs erl hs clj elm nim zig " +
    "sh bash zsh fish ps1 bat cmd sql graphql gql proto tf hcl diff patch lock dockerfile makefile cmake"
  ).split(" "),
);
const TEXT_NAMES = new Set(["dockerfile", "makefile", "readme", "license", "procfile", "gemfile", "rakefile", "jenkinsfile"]);

/** The media type without parameters, lower case: `text/plain; charset=utf-8` → `text/plain`. */
export function baseMimeType(mimeType: string | undefined): string | undefined {
  const base = mimeType?.split(";")[0]?.trim().toLowerCase();
  return base === "" ? undefined : base;
}

function extension(name: string): string | undefined {
  const dot = name.lastIndexOf(".");
  return dot > 0 && dot < name.length - 1 ? name.slice(dot + 1).toLowerCase() : undefined;
}

/** Declared (by type or name) as a PNG, JPEG, GIF or WebP image. */
export function declaredImage(name: string, mimeType: string | undefined): boolean {
  const base = baseMimeType(mimeType);
  if (base !== undefined && base !== "application/octet-stream") return IMAGE_MIME_TYPES.has(base);
  const ext = extension(name);
  return ext !== undefined && IMAGE_EXTENSIONS.has(ext);
}

/** Declared (by type or name) as text a person reads: plain text, Markdown, CSV, JSON, code, logs… */
export function declaredText(name: string, mimeType: string | undefined): boolean {
  const base = baseMimeType(mimeType);
  if (base?.startsWith("text/") || (base !== undefined && TEXT_MIME_TYPES.has(base))) return true;
  if (base?.endsWith("+json") || base?.endsWith("+xml")) return true;
  if (base !== undefined && base !== "application/octet-stream" && !base.startsWith("application/x-")) return false;
  const ext = extension(name);
  return (ext !== undefined && TEXT_EXTENSIONS.has(ext)) || TEXT_NAMES.has(name.toLowerCase());
}

const startsWith = (bytes: Uint8Array, prefix: readonly number[], at = 0): boolean =>
  bytes.length >= at + prefix.length && prefix.every((byte, i) => bytes[at + i] === byte);

/** The image format the bytes' magic number names, if it is one vision models take. */
export function sniffImage(bytes: Uint8Array): ImageType | undefined {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "image/jpeg";
  // "GIF87a" or "GIF89a".
  if (startsWith(bytes, [0x47, 0x49, 0x46, 0x38]) && (bytes[4] === 0x37 || bytes[4] === 0x39) && bytes[5] === 0x61) return "image/gif";
  // "RIFF" <size> "WEBP".
  if (startsWith(bytes, [0x52, 0x49, 0x46, 0x46]) && startsWith(bytes, [0x57, 0x45, 0x42, 0x50], 8)) return "image/webp";
  return undefined;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** The bytes as text, when they are UTF-8 (a byte-order mark dropped) with no NUL byte; undefined for anything else. */
export function decodeText(bytes: Uint8Array): string | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** A size as people read it: `812 B`, `120 KB`, `6.2 MB`. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  const mb = bytes / (1024 * 1024);
  return `${mb < 10 ? mb.toFixed(1).replace(/\.0$/, "") : Math.round(mb)} MB`;
}

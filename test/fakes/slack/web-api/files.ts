import { randomBytes } from "node:crypto";
import { FileHost } from "../../file-host.js";
import { FAKE_SLACK } from "../ids.js";

/**
 * Slack's file hosting on the fake's own server: `url_private` (and `url_private_download`) under
 * `/files-pri/TEAM-FILEID/NAME`, answered only with the bot token (401 without it), and file
 * objects in the shape of https://docs.slack.dev/reference/objects/file-object to put in a
 * message event's `files`.
 */

export interface HostFileInput {
  name: string;
  bytes: Buffer | string;
  /** Declared type; default from the name (png, jpg, gif, webp, txt, md, csv, json), else octet-stream. */
  mimetype?: string;
  /** What the object says the size is; default the real size. */
  size?: number;
  /** Redirect the file's URLs there (absolute, or a path on the fake) instead of serving the bytes. */
  redirectTo?: string;
  /** The Content-Type served; default the declared type. */
  servedAs?: string;
}

export type SlackFileObject = Record<string, unknown> & { id: string; name: string; url_private: string };

const TYPES: Record<string, [mimetype: string, filetype: string, pretty: string]> = {
  png: ["image/png", "png", "PNG"],
  jpg: ["image/jpeg", "jpg", "JPEG"],
  gif: ["image/gif", "gif", "GIF"],
  webp: ["image/webp", "webp", "WebP"],
  txt: ["text/plain", "text", "Plain Text"],
  md: ["text/markdown", "markdown", "Markdown (raw)"],
  csv: ["text/csv", "csv", "CSV"],
  json: ["application/json", "json", "JSON"],
  pdf: ["application/pdf", "pdf", "PDF"],
};

export class SlackFiles {
  readonly host: FileHost;

  constructor(
    private readonly origin: () => string,
    botToken: string | undefined,
  ) {
    this.host = new FileHost((authorization) => {
      const token = /^Bearer\s+(.+)$/i.exec(authorization ?? "")?.[1];
      return token !== undefined && (botToken ? token === botToken : token.startsWith("xoxb-"));
    });
  }

  /** Hosts the bytes and returns the file object a message event carries. */
  add(input: HostFileInput): SlackFileObject {
    const id = `F${randomBytes(5).toString("hex").toUpperCase()}`;
    const ext = input.name.split(".").pop()?.toLowerCase() ?? "";
    const [mimetype, filetype, pretty] = TYPES[ext] ?? ["application/octet-stream", "binary", "Binary"];
    const declared = input.mimetype ?? mimetype;
    const bytes = typeof input.bytes === "string" ? Buffer.from(input.bytes, "utf8") : input.bytes;
    const base = `/files-pri/${FAKE_SLACK.teamId}-${id}`;
    const name = encodeURIComponent(input.name);
    for (const path of [`${base}/${name}`, `${base}/download/${name}`])
      this.host.host(path, {
        bytes,
        contentType: input.servedAs ?? declared,
        ...(input.redirectTo ? { redirectTo: input.redirectTo } : {}),
      });
    const created = Math.floor(Date.now() / 1000);
    return {
      id,
      created,
      timestamp: created,
      name: input.name,
      title: input.name,
      mimetype: declared,
      filetype,
      pretty_type: pretty,
      user: "U0ADA",
      user_team: FAKE_SLACK.teamId,
      editable: false,
      size: input.size ?? bytes.length,
      mode: "hosted",
      is_external: false,
      external_type: "",
      is_public: true,
      public_url_shared: false,
      display_as_bot: false,
      username: "",
      url_private: `${this.origin()}${base}/${name}`,
      url_private_download: `${this.origin()}${base}/download/${name}`,
      permalink: `https://${FAKE_SLACK.teamDomain}.slack.com/files/U0ADA/${id}/${name}`,
      has_rich_preview: false,
      file_access: "visible",
    };
  }
}

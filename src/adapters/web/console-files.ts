import { readFileSync } from "node:fs";

/** The path under which the console page loads its style sheets. */
export const consolePrefix = "/console/";

const css = "text/css; charset=utf-8";

/** Every file of console/ that the page loads, with its type: the only names served. */
const files: readonly (readonly [name: string, contentType: string])[] = [
  ["base.css", css],
  ["sidebar.css", css],
  ["pane.css", css],
  ["messages.css", css],
];

export interface ConsoleFile {
  body: string;
  contentType: string;
}

/** Read once at start, like the page; looked up by name, never by a path from the request. */
export const consoleFiles: ReadonlyMap<string, ConsoleFile> = new Map(
  files.map(([name, contentType]) => [name, { body: readFileSync(new URL(`./console/${name}`, import.meta.url), "utf8"), contentType }]),
);

import { readFileSync } from "node:fs";

/** The path under which the console page loads its style sheets and scripts. */
export const consolePrefix = "/console/";

const css = "text/css; charset=utf-8";
const js = "text/javascript; charset=utf-8";

/** Every file of console/ that the page loads, with its type: the only names served. */
const files: readonly (readonly [name: string, contentType: string])[] = [
  ["base.css", css],
  ["sidebar.css", css],
  ["pane.css", css],
  ["messages.css", css],
  ["login.css", css],
  ["main.js", js],
  ["actions.js", js],
  ["api.js", js],
  ["approvals.js", js],
  ["dom.js", js],
  ["events.js", js],
  ["format.js", js],
  ["items.js", js],
  ["markdown.js", js],
  ["send.js", js],
  ["sidebar.js", js],
  ["socket.js", js],
  ["state.js", js],
  ["regenerate.js", js],
  ["status.js", js],
  ["stop.js", js],
  ["views.js", js],
];

/**
 * Libraries the page imports, served from node_modules under the names its modules import them by
 * (console/tsconfig.json finds their types by the same names): the server's own copies, no CDN.
 */
const libraries: readonly (readonly [name: string, specifier: string])[] = [
  ["marked.js", "marked"],
  ["purify.es.mjs", "dompurify"],
];

export interface ConsoleFile {
  body: string;
  contentType: string;
}

/** The console page itself, read once at start. */
export const consolePage = readFileSync(new URL("./console.html", import.meta.url), "utf8");

/** Read once at start, like the page; looked up by name, never by a path from the request. */
export const consoleFiles: ReadonlyMap<string, ConsoleFile> = new Map([
  ...files.map(([name, contentType]): [string, ConsoleFile] => [
    name,
    { body: readFileSync(new URL(`./console/${name}`, import.meta.url), "utf8"), contentType },
  ]),
  ...libraries.map(([name, specifier]): [string, ConsoleFile] => [
    name,
    { body: readFileSync(new URL(import.meta.resolve(specifier)), "utf8"), contentType: js },
  ]),
]);

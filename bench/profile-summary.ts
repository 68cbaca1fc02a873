import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

/**
 * Summarises the V8 CPU profiles in a directory (`node --cpu-prof`, e.g. the bot's under a bench
 * with BENCH_APP_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR"): busy time by package, Node's own
 * work (sockets, timers, streams) counted to the nearest package or source file that called it,
 * then the functions with the most self time.
 *
 *   npm run bench:profile -- DIR [ROWS]
 */
const profileSchema = z.object({
  nodes: z.array(
    z.object({
      id: z.number(),
      callFrame: z.object({ functionName: z.string(), url: z.string(), lineNumber: z.number() }),
      children: z.array(z.number()).optional(),
    }),
  ),
  samples: z.array(z.number()),
  timeDeltas: z.array(z.number()),
});
type Frame = z.infer<typeof profileSchema>["nodes"][number]["callFrame"];

/** V8's pseudo-frames: not work of any code. */
const NOT_CODE = new Set(["(idle)", "(program)", "(garbage collector)", "(root)"]);

/** The package (`@scope/name`), our source file (`src/…`), or nothing for Node's and V8's own frames. */
function ownerOf(frame: Frame): string | undefined {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(frame.url);
  if (pkg) return pkg[1];
  const source = /\/((?:src|bench|test)\/.*)$/.exec(frame.url);
  if (source) return source[1];
  return frame.url.startsWith("wasm://") ? "wasm" : undefined;
}

function summarise(file: string, rows: number): void {
  const profile = profileSchema.parse(JSON.parse(readFileSync(file, "utf8")));
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const selfUs = new Map<number, number>();
  for (const [i, id] of profile.samples.entries()) selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));

  const byOwner = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, us: number) => map.set(key, (map.get(key) ?? 0) + us);
  let busy = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const frame = nodes.get(id)!.callFrame;
    if (frame.functionName === "(idle)") {
      idle += us;
      continue;
    }
    if (NOT_CODE.has(frame.functionName)) {
      add(byOwner, frame.functionName, us);
      busy += us;
      continue;
    }
    busy += us;
    let owner: string | undefined;
    for (let at: number | undefined = id; at !== undefined && !owner; at = parents.get(at)) owner = ownerOf(nodes.get(at)!.callFrame);
    add(byOwner, owner ?? "(node, no caller)", us);
    const where = frame.url.replace(/^.*\/node_modules\//, "").replace(/^file:\/\/.*?\/(src|bench|test)\//, "$1/");
    add(byFunction, `${frame.functionName || "(anonymous)"} ${where}:${frame.lineNumber + 1}`, us);
  }

  const print = (title: string, map: Map<string, number>) => {
    console.log(`  ${title}`);
    for (const [key, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, rows))
      console.log(`${(us / 1000).toFixed(0).padStart(8)} ms ${((100 * us) / busy).toFixed(1).padStart(5)}%  ${key}`);
  };
  console.log(`${file}: ${(busy / 1000).toFixed(0)} ms busy, ${(idle / 1000).toFixed(0)} ms idle (% of busy below)`);
  print("by package or source file, Node's own work counted to its caller", byOwner);
  print("by function, self time", byFunction);
}

const [dir, rows = "30"] = process.argv.slice(2);
if (!dir) throw new Error("usage: npm run bench:profile -- DIR [ROWS]");
for (const name of readdirSync(dir).filter((entry) => entry.endsWith(".cpuprofile"))) summarise(join(dir, name), Number(rows));

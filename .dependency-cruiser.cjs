/** The import rules of DESIGN.md's layout; `npm run lint` checks them. */
const layer = (name, forbidden, comment) => ({
  name,
  comment,
  severity: "error",
  from: { path: `^src/${name.split("-")[0]}/` },
  to: { path: `^src/(${forbidden.join("|")})/` },
});

module.exports = {
  forbidden: [
    {
      name: "core-is-leaf",
      comment: "core holds the platform-neutral types; it imports nothing else from src",
      severity: "error",
      from: { path: "^src/core/" },
      to: { path: "^src/", pathNot: "^src/core/" },
    },
    layer(
      "tools-layer",
      ["agents", "adapters", "jobs", "commands", "wiring"],
      "what a tool needs from the assistant comes through an interface of tools or core",
    ),
    layer("agents-layer", ["adapters", "jobs", "commands", "wiring"], "agents meet adapters and jobs in core, never directly"),
    layer("adapters-layer", ["agents", "jobs", "commands", "wiring"], "adapters only translate"),
    layer("jobs-layer", ["adapters", "commands", "wiring"], "jobs use agents, tools, db and core"),
    layer("commands-layer", ["adapters", "wiring"], "commands are platform-neutral"),
    layer("db-layer", ["agents", "adapters", "jobs", "commands", "tools", "wiring"], "the schema and client stand alone"),
    {
      name: "no-entry-imports",
      comment: "main.ts and worker.ts start processes; nothing imports them",
      severity: "error",
      from: {},
      to: { path: "^src/(main|worker)\\.ts$" },
    },
    {
      name: "no-circular",
      severity: "error",
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
  },
};

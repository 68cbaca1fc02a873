import { parse, protocol, type PGlite, type QueryOptions, type Results } from "@electric-sql/pglite";

const { serialize } = protocol;

// Distinct statement texts are few (drizzle's builders); the bound only guards against a caller
// that inlines values into its SQL.
const CACHE_SIZE = 256;

interface Prepared {
  name: string;
  paramTypes: number[];
}

/**
 * The PGlite client with every top-level query a named prepared statement. PGlite's own query()
 * parses, plans and describes each statement afresh, in six passes into WebAssembly; prepared,
 * a statement is parsed once and each run is one pass (bind, describe, execute, sync), which
 * makes the assistant's recall three times faster. Transactions keep PGlite's own path.
 */
export function preparingPglite(client: PGlite): PGlite {
  const statements = new Map<string, Prepared>();
  let counter = 0;

  const prepare = async (text: string): Promise<Prepared> => {
    const name = `quorum_${++counter}`;
    const evicted = statements.size >= CACHE_SIZE ? statements.keys().next().value : undefined;
    const close = evicted === undefined ? [] : [serialize.close({ type: "S", name: statements.get(evicted)!.name })];
    if (evicted !== undefined) statements.delete(evicted);
    const { messages } = await client.execProtocol(joined([...close, serialize.parse({ name, text }), serialize.describe({ type: "S", name }), serialize.sync()]));
    const statement = { name, paramTypes: parse.parseDescribeStatementResults(messages) };
    statements.set(text, statement);
    return statement;
  };

  const query = <T>(text: string, params: unknown[] = [], options?: QueryOptions): Promise<Results<T>> =>
    // The same two locks as PGlite's query(): no other query runs meanwhile, and none inside an open transaction.
    client._runExclusiveTransaction(() =>
      client._runExclusiveQuery(async () => {
        let statement = statements.get(text);
        if (statement) {
          // Most recently used last, so eviction takes the coldest.
          statements.delete(text);
          statements.set(text, statement);
        } else statement = await prepare(text);
        const values = params.map((param, i) => toText(client, param, statement.paramTypes[i], options));
        const { messages } = await client.execProtocol(
          joined([serialize.bind({ statement: statement.name, values }), serialize.describe({ type: "P" }), serialize.execute({}), serialize.sync()]),
        );
        return parse.parseResults(messages, client.parsers, options)[0] as Results<T>;
      }),
    );

  return new Proxy(client, {
    get(target, key) {
      if (key === "query") return query;
      const value: unknown = Reflect.get(target, key, target);
      // PGlite's methods use private fields, so they must run on the client itself.
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** A parameter in Postgres' text format, as PGlite's query() writes it. */
function toText(client: PGlite, param: unknown, type: number | undefined, options?: QueryOptions): string | null {
  if (param === null || param === undefined) return null;
  const serializer = type === undefined ? undefined : (options?.serializers?.[type] ?? client.serializers[type]);
  return serializer ? serializer(param) : String(param);
}

function joined(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((length, part) => length + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

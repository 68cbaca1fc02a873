import { type PGlite, parse, protocol, type QueryOptions, type Results } from "@electric-sql/pglite";
import { LRUCache } from "lru-cache";

const { serialize, messages } = protocol;

// Distinct statement texts are few (drizzle's builders); the bound only guards against a caller
// that inlines values into its SQL.
const CACHE_SIZE = 256;
/** "cached plan must not change result type" (feature_not_supported) and invalid_sql_statement_name. */
const STALE = new Set(["0A000", "26000"]);

interface Prepared {
  name: string;
  paramTypes: number[];
  /** The result's columns, known from the statement's description, so a run need not describe itself. */
  fields: { name: string; dataTypeID: number }[];
}

/**
 * The PGlite client with every top-level query a named prepared statement. PGlite's own query()
 * parses, plans and describes each statement afresh, in six passes into WebAssembly; prepared,
 * a statement is parsed once and each run is one pass (bind, execute, sync), which makes the
 * assistant's recall three times faster. Transactions keep PGlite's own path.
 */
export function preparingPglite(client: PGlite): PGlite {
  // Statements the cache let go of that are still open in PGlite: the next prepare closes them.
  const unclosed: string[] = [];
  const statements = new LRUCache<string, Prepared>({
    max: CACHE_SIZE,
    dispose: (statement, _text, reason) => {
      if (reason === "evict") unclosed.push(statement.name);
    },
  });
  let counter = 0;

  const prepare = async (text: string): Promise<Prepared> => {
    const name = `quorum_${++counter}`;
    // Room first, so that no more than CACHE_SIZE statements are ever open: the coldest goes.
    if (statements.size >= CACHE_SIZE) statements.pop();
    const close = unclosed.splice(0).map((evicted) => serialize.close({ type: "S", name: evicted }));
    const described = await client.execProtocol(
      joined([...close, serialize.parse({ name, text }), serialize.describe({ type: "S", name }), serialize.sync()]),
    );
    const columns = described.messages.find((message) => message instanceof messages.RowDescriptionMessage);
    const statement = {
      name,
      paramTypes: parse.parseDescribeStatementResults(described.messages),
      fields: columns?.fields.map(({ name, dataTypeID }) => ({ name, dataTypeID })) ?? [],
    };
    statements.set(text, statement);
    return statement;
  };

  const run = async <T>(text: string, params: unknown[], options: QueryOptions | undefined, retried = false): Promise<Results<T>> => {
    const statement = statements.get(text) ?? (await prepare(text));
    const values = params.map((param, i) => toText(client, param, statement.paramTypes[i], options));
    try {
      const ran = await client.execProtocol(
        joined([serialize.bind({ statement: statement.name, values }), serialize.execute({}), serialize.sync()]),
      );
      return results<T>(client, statement, ran.messages, options);
    } catch (error) {
      if (retried || !STALE.has(String((error as { code?: unknown }).code))) throw error;
      // Its plan no longer fits the tables (a migration changed a column it returns), or it is gone.
      statements.delete(text);
      await client.execProtocol(joined([serialize.close({ type: "S", name: statement.name }), serialize.sync()]));
      return run(text, params, options, true);
    }
  };

  const query = async <T>(text: string, params: unknown[] = [], options?: QueryOptions): Promise<Results<T>> => {
    // What prepared statements cannot honour as PGlite does goes its own way.
    if (options?.paramTypes || options?.onNotice || options?.blob) return client.query<T>(text, params, options);
    await client._checkReady();
    // The same two locks as PGlite's query(): no other query runs meanwhile, and none inside an open transaction.
    return client._runExclusiveTransaction(() => client._runExclusiveQuery(() => run<T>(text, params, options)));
  };

  return new Proxy(client, {
    get(target, key) {
      if (key === "query") return query;
      const value: unknown = Reflect.get(target, key, target);
      // PGlite's methods use private fields, so they must run on the client itself.
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/**
 * The rows and counts as PGlite's query() gives them. Its own parseResults copies every parser
 * there is into a new object for each result when the caller overrides any (drizzle always does).
 */
function results<T>(client: PGlite, statement: Prepared, received: { name: string }[], options?: QueryOptions): Results<T> {
  const parsers = statement.fields.map(({ dataTypeID }) => options?.parsers?.[dataTypeID] ?? client.parsers[dataTypeID]);
  const value = (text: string | null, i: number) => {
    const parser = parsers[i];
    return text === null || !parser ? text : parser(text, statement.fields[i]!.dataTypeID);
  };
  const rows: unknown[] = [];
  const result: Results<T> = { rows: rows as Results<T>["rows"], fields: statement.fields, affectedRows: 0 };
  for (const message of received) {
    if (message instanceof messages.DataRowMessage) {
      const values = message.fields.map(value);
      rows.push(options?.rowMode === "array" ? values : Object.fromEntries(statement.fields.map((field, i) => [field.name, values[i]])));
    } else if (message instanceof messages.CommandCompleteMessage) {
      // A tag that carries a count ends in it ("SELECT 2", "INSERT 0 5"); others end in a word.
      const words = message.text.split(" ");
      const count = Number.parseInt(words.at(-1)!, 10);
      result.command = words[0];
      if (!Number.isNaN(count)) result.rowCount = count;
      if (["INSERT", "UPDATE", "DELETE", "COPY", "MERGE"].includes(words[0]!)) result.affectedRows = count;
    }
  }
  return result;
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

import type postgres from "postgres";
import { withinDeadline } from "../core/unavailable.js";

export interface StatementOptions {
  /** Prepare every statement (see below); off for poolers that cannot keep them. */
  prepare: boolean;
  /** A statement not answered by then fails (UnavailableError); absent: statements wait. */
  deadlineMs?: number;
}

/**
 * The client as drizzle should use it. Prepared: postgres.js sends a parameterised statement
 * that is not prepared in two round trips (it asks for the parameter types first), and drizzle
 * prepares only what it is told to; prepared, a statement costs that once per connection and is
 * then one round trip that Postgres need not parse again. With a deadline: a server that stops
 * answering (a hung host, a partition) fails requests in bounded time instead of holding them;
 * the server's own statement_timeout stops the statement where the server still works. Transactions and
 * savepoints get the same treatment.
 */
export function tunedClient<T extends postgres.Sql | postgres.TransactionSql>(sql: T, options: StatementOptions): T {
  return new Proxy(sql, {
    get(target, key, receiver) {
      if (key === "unsafe")
        return (query: string, params?: postgres.ParameterOrJSON<never>[], queryOptions?: postgres.UnsafeQueryOptions) => {
          const pending = target.unsafe(query, params, options.prepare ? { ...queryOptions, prepare: true } : queryOptions);
          return options.deadlineMs === undefined ? pending : bounded(pending, options.deadlineMs);
        };
      if (key === "begin" || key === "savepoint")
        return (...args: unknown[]) => {
          const callback = args.pop() as (tx: postgres.TransactionSql) => unknown;
          const open = Reflect.get(target, key) as (...rest: unknown[]) => Promise<unknown>;
          return open.call(target, ...args, (tx: postgres.TransactionSql) => callback(tunedClient(tx, options)));
        };
      return Reflect.get(target, key, receiver);
    },
  });
}

interface Pending extends PromiseLike<unknown> {
  values(): unknown;
}

/** The pending query, awaited (as is or through `.values()`) with a deadline. */
function bounded<Q extends Pending>(pending: Q, ms: number): Q {
  // No client-side cancel: postgres.js drops the promise of its cancel request, so a server that
  // refuses it would leave a rejection nobody handles. The server's statement_timeout (client.ts)
  // stops the statement where the server still works; here the request just stops waiting.
  const race = (work: PromiseLike<unknown>) => withinDeadline(work, ms, "The database");
  return new Proxy(pending, {
    get(target, key) {
      if (key === "then") {
        const raced = race(target);
        return raced.then.bind(raced);
      }
      if (key === "values") return () => bounded(target.values() as Q, ms);
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { preparingPglite } from "../../src/db/pglite-prepared.js";
import { rawPglite } from "../support/databases.js";

describe("PGlite with prepared statements", () => {
  let raw: PGlite;
  let prepared: PGlite;

  beforeAll(async () => {
    raw = await rawPglite();
    prepared = preparingPglite(raw);
    await raw.exec("create table notes (id serial primary key, body text not null, tags text[], meta jsonb, at timestamptz default now())");
  }, 60_000);
  afterAll(async () => {
    await raw?.close();
  });

  const insert = "insert into notes (body, tags, meta) values ($1, $2, $3) returning id, body, tags, meta, at";

  it("returns what PGlite's own query returns, for every kind of value and both row modes", async () => {
    const params = ["it's", ["a", "b,c"], { nested: { n: 1 } }];
    const mine = await prepared.query(insert, params);
    const theirs = await raw.query(insert, params);
    expect({ ...mine, rows: [] }).toEqual({ ...theirs, rows: [] });
    expect(mine).toMatchObject({ command: "INSERT", rowCount: 1, affectedRows: 1 });
    expect({ ...(mine.rows[0] as object), id: 0, at: 0 }).toEqual({ ...(theirs.rows[0] as object), id: 0, at: 0 });
    expect((mine.rows[0] as { at: unknown }).at).toBeInstanceOf(Date);
    const arrays = await prepared.query("select body, $1::int + 1 as next from notes where id = $2", [41, 1], { rowMode: "array" });
    expect(arrays.rows).toEqual([["it's", 42]]);
    const nulls = await prepared.query<{ tags: unknown }>("select $1::text[] as tags", [null]);
    expect(nulls.rows).toEqual([{ tags: null }]);
    const update = "update notes set body = body where id > $1";
    expect(await prepared.query(update, [0])).toEqual(await raw.query(update, [0]));
    const select = "select id, body from notes where id > $1 order by id";
    expect(await prepared.query(select, [0], { rowMode: "array" })).toEqual(await raw.query(select, [0], { rowMode: "array" }));
  });

  it("throws the database's error and goes on working, prepared or not yet", async () => {
    await expect(prepared.query("select * from no_such_table")).rejects.toThrow(/no_such_table/);
    await expect(prepared.query("select $1::int as n", ["not a number"])).rejects.toThrow(/invalid input syntax/);
    expect((await prepared.query("select $1::int as n", [7])).rows).toEqual([{ n: 7 }]);
  });

  it("keeps working past its cache of statements", async () => {
    for (let i = 0; i < 300; i++) expect((await prepared.query(`select ${i} as n, $1::text as t`, ["x"])).rows).toEqual([{ n: i, t: "x" }]);
    expect((await prepared.query("select $1::int as n", [8])).rows).toEqual([{ n: 8 }]);
    const open = await raw.query<{ n: number }>("select count(*)::int as n from pg_prepared_statements");
    expect(open.rows[0]!.n).toBeLessThanOrEqual(256);
  });

  it("waits for an open transaction instead of running inside it", async () => {
    let release!: () => void;
    let inserted!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const written = new Promise<void>((resolve) => (inserted = resolve));
    const transaction = prepared.transaction(async (tx) => {
      await tx.query("insert into notes (body) values ('in tx')");
      inserted();
      await held;
      await tx.rollback();
    });
    await written;
    const outside = prepared.query<{ n: number }>("select count(*)::int as n from notes where body = $1", ["in tx"]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    release();
    await transaction;
    expect((await outside).rows).toEqual([{ n: 0 }]);
  });

  it("prepares again a statement whose plan a migration outdated, or that was deallocated", async () => {
    await raw.exec("create table shapes (id int)");
    await prepared.query("insert into shapes values ($1)", [1]);
    const all = "select * from shapes";
    expect((await prepared.query(all)).rows).toEqual([{ id: 1 }]);
    await raw.exec("alter table shapes add column label text default 'new'");
    expect((await prepared.query(all)).rows).toEqual([{ id: 1, label: "new" }]);
    await raw.exec("deallocate all");
    expect((await prepared.query(all)).rows).toEqual([{ id: 1, label: "new" }]);
  });

  it("passes what a prepared statement cannot honour to PGlite, and refuses to run once closed", async () => {
    const notices: string[] = [];
    await prepared.query("do $$ begin raise notice 'hello'; end $$", [], { onNotice: (notice) => void notices.push(notice.message ?? "") });
    expect(notices).toEqual(["hello"]);
    const typed = await prepared.query("select $1 as n", ["5"], { paramTypes: [23] });
    expect(typed.rows).toEqual([{ n: 5 }]);
    const other = await rawPglite();
    await other.close();
    await expect(preparingPglite(other).query("select 1")).rejects.toThrow(
      await other.query("select 1").catch((error: Error) => error.message),
    );
  });
});

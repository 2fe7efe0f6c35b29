/**
 * The store's statement cache (`StatementCache` in src/fleet/store/sql-store.ts): a statement built by Kysely once per
 * shape and run again with fresh values sends the database exactly the SQL and parameters Kysely would
 * have; a statement whose parameters are not plainly the values given, or with a value left out, is built
 * by Kysely every time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql, type CompiledQuery } from 'kysely';
import { StatementCache } from '../../src/fleet/store/sql-store.js';

interface Db {
  t: { id: string; n: number | null; s: string | null };
}

function open(): { db: Kysely<Db>; sent: CompiledQuery[] } {
  const raw = new Database(':memory:');
  raw.exec('create table t (id text primary key, n integer, s text)');
  const sent: CompiledQuery[] = [];
  const db = new Kysely<Db>({
    dialect: new SqliteDialect({ database: raw }),
    log: (event) => void sent.push(event.query),
  });
  return { db, sent };
}

const COLUMNS = ['id', 'n', 's'] as const;
const rowsOf = (v: readonly unknown[]): Db['t'][] => {
  const out: Db['t'][] = [];
  for (let i = 0; i < v.length; i += 3)
    out.push({ id: v[i] as string, n: v[i + 1] as number, s: v[i + 2] as string });
  return out;
};

test('a cached statement sends the same SQL and parameters as Kysely, with each call’s values', async () => {
  const { db, sent } = open();
  const cache = new StatementCache();
  const upsert = (v: readonly unknown[]) =>
    db
      .insertInto('t')
      .values(rowsOf(v))
      .onConflict((oc) =>
        oc.column('id').doUpdateSet({
          n: sql<number>`case when excluded.n > t.n then excluded.n else t.n end`,
          s: (eb) => eb.ref('excluded.s'),
        }),
      );
  for (const values of [
    ['a', 1, 'x', 'b', null, null],
    ['c', 3, null, 'a', 7, 'y'],
    ['d', 0, 'z', 'e', 5, ''],
  ]) {
    sent.length = 0;
    await cache.run(db, `upsert:${values.length / COLUMNS.length}`, values, upsert);
    const expected = upsert(values).compile();
    assert.equal(sent.length, 1);
    assert.equal(sent[0]?.sql, expected.sql);
    assert.deepEqual(sent[0]?.parameters, expected.parameters);
  }
  // A value used twice in the statement, and rows read back.
  const select = (v: readonly unknown[]) =>
    db
      .selectFrom('t')
      .selectAll()
      .where('id', 'in', v.slice(1) as string[])
      .where((eb) => eb.or([eb('n', '<', v[0] as number), eb('n', '=', v[0] as number)]))
      .orderBy('id');
  for (const values of [
    [5, 'a', 'b', 'c'],
    [7, 'a', 'e', 'd'],
  ]) {
    sent.length = 0;
    const { rows } = await cache.run(db, 'select:3', values, select);
    const expected = select(values).compile();
    assert.equal(sent[0]?.sql, expected.sql);
    assert.deepEqual(sent[0]?.parameters, expected.parameters);
    assert.deepEqual(rows, await select(values).execute());
  }
  assert.deepEqual(await db.selectFrom('t').selectAll().orderBy('id').execute(), [
    { id: 'a', n: 7, s: 'y' },
    { id: 'b', n: null, s: null },
    { id: 'c', n: 3, s: null },
    { id: 'd', n: 0, s: 'z' },
    { id: 'e', n: 5, s: '' },
  ]);
  await db.destroy();
});

test('a statement whose parameters are not the values given, or with a value left out, is built every time', async () => {
  const { db, sent } = open();
  const cache = new StatementCache();
  await db.insertInto('t').values({ id: 'a', n: 1, s: 'x' }).execute();
  // The value is transformed before it reaches the statement: not a template.
  const shifted = (v: readonly unknown[]) =>
    db
      .updateTable('t')
      .set({ s: `${String(v[0])}!` })
      .where('id', '=', v[1] as string);
  for (const s of ['p', 'q']) {
    sent.length = 0;
    await cache.run(db, 'shifted:1', [s, 'a'], shifted);
    assert.deepEqual(sent[0]?.parameters, [`${s}!`, 'a']);
  }
  assert.equal((await db.selectFrom('t').select('s').executeTakeFirst())?.s, 'q!');
  // An undefined value is a column Kysely leaves out: built by Kysely, not from the kept SQL.
  const insert = (v: readonly unknown[]) => db.insertInto('t').values(rowsOf(v));
  await cache.run(db, 'insert:1', ['b', 2, 'y'], insert);
  sent.length = 0;
  await cache.run(db, 'insert:1', ['c', 3, undefined], insert);
  assert.equal(sent[0]?.sql, insert(['c', 3, undefined]).compile().sql);
  assert.doesNotMatch(sent[0]?.sql ?? '', /"s"/);
  await db.destroy();
});

/**
 * Migration 2 on a store made by migration 1 (a SQLite file from the first release): the data stays, the
 * listing's filter indexes end in the default order's keys (docs/fleet.md "Store").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { KNOWN_VERSION, MIGRATIONS } from '../../src/fleet/store/migrations.js';
import { sqliteStore } from '../../src/fleet/store/sqlite.js';

test('a version 1 store migrates to the listing indexes, its devices kept', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-migrate-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'fleet.db');
  const first = sqliteStore(path, { migrations: MIGRATIONS.filter((m) => m.version === 1) });
  assert.deepEqual(await first.migrate(), { kind: 'current', version: 1 });
  await first.close();
  const raw = new Database(path);
  raw
    .prepare("insert into devices (id, board, version, first_seen, last_seen) values (?, 'b', '1.0.0', 1, 2)")
    .run('aa:bb:cc:dd:ee:01');
  raw.close();

  const current = sqliteStore(path);
  assert.deepEqual(await current.migrate(), { kind: 'current', version: KNOWN_VERSION });
  await current.close();

  const check = new Database(path, { readonly: true });
  t.after(() => check.close());
  const columns = (index: string): string[] =>
    (check.prepare(`pragma index_info(${index})`).all() as { name: string }[]).map((c) => c.name);
  assert.deepEqual(columns('devices_board'), ['board', 'last_seen', 'id']);
  assert.deepEqual(columns('devices_chip'), ['chip', 'last_seen', 'id']);
  assert.deepEqual(columns('devices_attempt_state'), ['attempt_state', 'last_seen', 'id']);
  assert.equal((check.prepare('select count(*) as n from devices').get() as { n: number }).n, 1);
});

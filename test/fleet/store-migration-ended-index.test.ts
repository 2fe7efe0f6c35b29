/**
 * Migration 3 on a store made by migration 2: only ended attempts are indexed by `ended_at`, so the open
 * attempts of a settle's devices and a sync's pages of open attempts are read through the one-open-per-
 * device index, never by scanning (and sorting) every open attempt. Before it, a boot storm of 100,000
 * devices went quadratic: each settle of 100 devices and each page of a sync read every open attempt
 * (docs/fleet.md "Store"). The statements below are the store's (`sql-store.ts`: `settle`, `snapshot`,
 * `retain`) as Kysely writes them for SQLite, planned with statistics that show one entry for every attempt
 * (as in a fleet offered one image).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { KNOWN_VERSION, MIGRATIONS } from '../../src/fleet/store/migrations.js';
import { sqliteStore } from '../../src/fleet/store/sqlite.js';

test('a version 2 store migrates: open attempts are found by device, ended ones by time', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-migrate-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'fleet.db');
  const before = sqliteStore(path, { migrations: MIGRATIONS.filter((m) => m.version <= 2) });
  assert.deepEqual(await before.migrate(), { kind: 'current', version: 2 });
  await before.close();
  const raw = new Database(path);
  const insert = raw.prepare(
    `insert into attempts (id, device, entry_id, board, from_version, to_version, file, forced, url_kind,
       number, offered_at, offered_by, activation, download_bytes, reported_to_version, last_event_at, state,
       counted, ended_at)
     values (?, ?, 'e', 'b', '1.0.0', '1.1.0', 'f.bin', 0, 'proxy', 1, 1, 'r', 0, 0, 0, 1, ?, 0, ?)`,
  );
  for (let i = 0; i < 50; i++)
    insert.run(`d${i}@1`, `d${i}`, i % 2 ? 'offered' : 'installed', i % 2 ? null : 5);
  raw.close();

  const current = sqliteStore(path);
  assert.deepEqual(await current.migrate(), { kind: 'current', version: KNOWN_VERSION });
  await current.close();

  const check = new Database(path);
  t.after(() => check.close());
  check.exec('analyze');
  const count = (where: string): number =>
    (check.prepare(`select count(*) as n from attempts where ${where}`).get() as { n: number }).n;
  assert.equal(count('ended_at is null'), 25);
  assert.equal(count('ended_at is not null'), 25);
  const plan = (statement: string, ...params: unknown[]): string =>
    (check.prepare(`explain query plan ${statement}`).all(...params) as { detail: string }[])
      .map((r) => r.detail)
      .join('; ');
  const devices = Array.from({ length: 100 }, (_, i) => `d${i}`);
  const open = plan(
    `select * from "attempts" where "device" in (${devices.map(() => '?').join(', ')}) and "ended_at" is null`,
    ...devices,
  );
  assert.equal(open, 'SEARCH attempts USING INDEX attempts_one_open (device=?)');
  const page = plan(
    'select * from "attempts" where "ended_at" is null and "device" > ? order by "device" limit ?',
    'd1',
    2000,
  );
  assert.equal(page, 'SEARCH attempts USING INDEX attempts_one_open (device>?)');
  const retained = plan('delete from "attempts" where "ended_at" is not null and "ended_at" < ?', 10);
  assert.match(retained, /USING INDEX attempts_ended/);
});

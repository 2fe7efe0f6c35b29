/**
 * The SQLite adapter (better-sqlite3). better-sqlite3 is synchronous: statements run on the event loop,
 * so callers keep each transaction small (the service writes in chunks and yields between them). A file
 * another process holds (the CLI) is never waited for synchronously: a busy database is retried after a
 * timer instead.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql, type SqliteDatabase } from 'kysely';
import { MIGRATIONS, type Migration } from './migrations.js';
import type { FleetDatabase } from './schema.js';
import { sqlStore, type SqlBackend } from './sql-store.js';
import type { FleetStore } from './types.js';

/** The page cache's bound, KiB. */
const CACHE_KIB = 64 * 1024;

/** Prepared statements kept per database, by SQL text (most used first out: see `preparedOnce`). */
const STATEMENT_CACHE = 256;

/** How long a busy file is retried before the write fails (the service retries the batch later). */
const BUSY_RETRY_MS = 5000;

export function sqliteStore(
  path: string,
  { kind = 'sqlite' as 'sqlite' | 'memory', migrations = MIGRATIONS as readonly Migration[] } = {},
): FleetStore {
  const raw = openDatabase(path);
  const db = new Kysely<FleetDatabase>({ dialect: new SqliteDialect({ database: preparedOnce(raw) }) });

  const transaction = async <T>(
    begin: 'begin immediate' | 'begin',
    fn: (trx: Kysely<FleetDatabase>) => Promise<T>,
  ): Promise<T> => {
    const deadline = Date.now() + BUSY_RETRY_MS;
    for (let wait = 5; ; wait = Math.min(wait * 2, 200)) {
      try {
        return await db.connection().execute(async (conn) => {
          await sql.raw(begin).execute(conn);
          try {
            const result = await fn(conn);
            await sql.raw('commit').execute(conn);
            return result;
          } catch (error) {
            if (raw.inTransaction) await sql.raw('rollback').execute(conn);
            throw error;
          }
        });
      } catch (error) {
        if (!isBusy(error) || Date.now() + wait > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  };

  const backend: SqlBackend = {
    kind,
    dialect: 'sqlite',
    db,
    write: (fn) => transaction('begin immediate', fn),
    read: (fn) => transaction('begin', fn),
    // A write transaction is SQLite's lock: a second process migrating waits for the first.
    migrateLocked: (fn) => transaction('begin immediate', fn),
    // SQLite's clock is this machine's.
    now: () => Promise.resolve(Date.now()),
    close: () => db.destroy(),
  };
  return sqlStore(backend, migrations);
}

/**
 * The database file as the store opens it, pragmas and all (the benchmark's store floor opens it the same
 * way).
 */
export function openDatabase(path: string): Database.Database {
  // The data folder of a fresh install (the shipped `../data/fleet.db`) is made here, once, at start.
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  // timeout 0: a locked file throws SQLITE_BUSY at once instead of blocking the event loop.
  const raw = new Database(path, { timeout: 0 });
  if (path !== ':memory:') raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  // SQLite's default page cache is 2 MiB; 100,000 devices with their indexes and attempts take about 120
  // MiB, and every write of a boot storm lands on a random page of each index: with the default most of
  // them are read back from the OS for each write. The cache grows only as pages are used.
  raw.pragma(`cache_size = -${CACHE_KIB}`);
  // Statistics for the query planner, refreshed where stale (bounded work: SQLite caps the sample): without
  // them a filter matching most devices (one chip) is read through its own index and sorted whole,
  // instead of walking the sort's index (docs/fleet.md "Store"). A file another process holds is skipped.
  if (path !== ':memory:') {
    try {
      raw.pragma('optimize = 0x10002');
    } catch (error) {
      if (!isBusy(error)) throw error;
    }
  }
  return raw;
}

/**
 * The database as Kysely's SQLite driver sees it, with each statement prepared once: the driver prepares
 * every query it runs, and in a boot storm preparing cost as much as running (SQLite parses and plans
 * the text each time). Kept by SQL text, least recently used dropped past `STATEMENT_CACHE` (a chunk's
 * row count is part of its text); a statement still being iterated is not handed out twice.
 */
function preparedOnce(raw: Database.Database): SqliteDatabase {
  const cache = new Map<string, Database.Statement>();
  return {
    close: () => raw.close(),
    prepare(text) {
      const known = cache.get(text);
      if (known !== undefined && !known.busy) {
        cache.delete(text);
        cache.set(text, known);
        return known;
      }
      const statement = raw.prepare(text);
      cache.set(text, statement);
      if (cache.size > STATEMENT_CACHE) cache.delete(cache.keys().next().value as string);
      return statement;
    },
  };
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code === 'SQLITE_BUSY_SNAPSHOT';
}

/**
 * Fleet stores for tests: memory, a temporary SQLite file, and a PostgreSQL database created for the run
 * (`fleet_test_<pid>_<random>`) and dropped after. PostgreSQL is 127.0.0.1:5432 unless FLEET_TEST_PG says
 * otherwise; under CI=true a missing server fails the suite, elsewhere its tests are skipped loudly.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import pg from 'pg';
import { memoryStore } from '../../src/fleet/store/memory.js';
import { postgresStore } from '../../src/fleet/store/postgres.js';
import { sqliteStore } from '../../src/fleet/store/sqlite.js';
import type { Migration } from '../../src/fleet/store/migrations.js';
import type { FleetStore } from '../../src/fleet/store/types.js';
import { startRelay, type Relay } from './tcp-relay.js';

export const PG_ADMIN_URL = process.env.FLEET_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  readonly url: string;
  /** Host and port, for a relay in front of it. */
  readonly host: string;
  readonly port: number;
  readonly name: string;
  drop(): Promise<void>;
}

/** A fresh database, or the reason there is none (thrown under CI=true). */
export async function createPostgresDatabase(): Promise<TestDatabase | string> {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (error) {
    const why = `PostgreSQL at ${PG_ADMIN_URL} is not answering (${(error as Error).message})`;
    if (process.env.CI === 'true') throw new Error(`${why}: CI=true requires it (.ci/run starts it)`);
    console.error(`\n!!! SKIPPING the PostgreSQL fleet tests: ${why} !!!\n`);
    return why;
  }
  const name = `fleet_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin.query(`create database ${name}`);
  await admin.end();
  const base = new URL(PG_ADMIN_URL);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    host: base.hostname,
    port: Number(base.port || 5432),
    name,
    async drop() {
      const client = new pg.Client({ connectionString: PG_ADMIN_URL });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

export interface OpenedStore {
  readonly store: FleetStore;
  cleanup(): Promise<void>;
  /** Another store on the same database (a second replica, or a newer release); `null` for memory. */
  sibling(options?: { readonly migrations?: readonly Migration[] }): FleetStore | null;
}

export interface StoreKindUnderTest {
  readonly name: 'memory' | 'sqlite' | 'postgres';
  /** A new, empty store (its own database or file), or a reason to skip. */
  open(): Promise<OpenedStore | string>;
}

export const STORE_KINDS: readonly StoreKindUnderTest[] = [
  {
    name: 'memory',
    async open() {
      const store = memoryStore();
      return { store, cleanup: () => store.close(), sibling: () => null };
    },
  },
  {
    name: 'sqlite',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'fleet-sqlite-'));
      const path = join(dir, 'fleet.db');
      const store = sqliteStore(path);
      return {
        store,
        sibling: (options = {}) => sqliteStore(path, options),
        async cleanup() {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'postgres',
    async open() {
      const db = await createPostgresDatabase();
      if (typeof db === 'string') return db;
      const store = postgresStore(db.url);
      return {
        store,
        sibling: (options = {}) => postgresStore(db.url, options),
        async cleanup() {
          await store.close();
          await db.drop();
        },
      };
    },
  },
];

/**
 * A database of the test's own, dropped after it; `cleanups` run first, the last added first (a service
 * before the relay in front of the database). `null` when the test was skipped (no PostgreSQL, not in CI).
 */
export async function postgresForTest(
  t: TestContext,
): Promise<{ readonly db: TestDatabase; readonly cleanups: (() => Promise<unknown>)[] } | null> {
  const db = await createPostgresDatabase();
  if (typeof db === 'string') {
    t.skip(db);
    return null;
  }
  const cleanups: (() => Promise<unknown>)[] = [];
  t.after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await db.drop();
  });
  return { db, cleanups };
}

/** The database behind a TCP relay the test cuts (the shared server is never stopped), and its URL through it. */
export async function behindRelay(
  db: TestDatabase,
): Promise<{ readonly relay: Relay; readonly url: string }> {
  const relay = await startRelay(db.host, db.port);
  const url = new URL(db.url);
  url.hostname = '127.0.0.1';
  url.port = String(relay.port);
  return { relay, url: url.toString() };
}

/**
 * The fleet schema's versioned migrations, one list for SQLite and PostgreSQL (docs/fleet.md "Store"),
 * applied at start under a lock: an advisory lock on PostgreSQL, a write (`BEGIN IMMEDIATE`) transaction
 * on SQLite. A store whose version is newer than this list is left alone and reported.
 */
import { sql, type Kysely } from 'kysely';
import type { FleetDatabase } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Migration {
  readonly version: number;
  readonly name: string;
  up(db: Kysely<FleetDatabase>, dialect: Dialect): Promise<void>;
}

/** Whether the store's schema is one this code knows. */
export type SchemaStatus =
  | { readonly kind: 'current'; readonly version: number }
  | { readonly kind: 'newer'; readonly found: number; readonly known: number };

/** Bytewise order for ids and addresses on PostgreSQL, as SQLite compares (keyset cursors agree). */
function bytewise(dialect: Dialect) {
  return dialect === 'postgres' ? sql`collate "C"` : sql``;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'fleet',
    async up(db, dialect) {
      const c = bytewise(dialect);
      await db.schema
        .createTable('devices')
        .addColumn('id', 'text', (col) => col.primaryKey().modifyEnd(c))
        .addColumn('client_id', 'text')
        .addColumn('board', 'text', (col) => col.modifyEnd(c))
        .addColumn('board_type', 'text')
        .addColumn('chip', 'text')
        .addColumn('version', 'text', (col) => col.notNull().defaultTo('').modifyEnd(c))
        .addColumn('ota_label', 'text')
        .addColumn('slot_ota0', 'bigint')
        .addColumn('slot_ota1', 'bigint')
        .addColumn('flash_size', 'bigint')
        .addColumn('language', 'text')
        .addColumn('first_seen', 'bigint', (col) => col.notNull())
        .addColumn('last_seen', 'bigint', (col) => col.notNull())
        .addColumn('last_address', 'text', (col) => col.modifyEnd(c))
        .addColumn('checks', 'bigint', (col) => col.notNull().defaultTo(0))
        .addColumn('last_status', 'integer')
        .addColumn('last_outcome', 'text')
        .addColumn('transport', 'text')
        .addColumn('voice_online', 'integer', (col) => col.notNull().defaultTo(0))
        .addColumn('voice_last_seen', 'bigint')
        .addColumn('activation_pending', 'integer', (col) => col.notNull().defaultTo(0))
        .addColumn('last_exchange', 'text')
        .addColumn('attempt_state', 'text')
        .addColumn('folded_to', 'bigint', (col) => col.notNull().defaultTo(0))
        .execute();
      // The devices listing: each sort with its keyset, and the equality filters.
      await db.schema.createIndex('devices_last_seen').on('devices').columns(['last_seen', 'id']).execute();
      await db.schema.createIndex('devices_version').on('devices').columns(['version', 'id']).execute();
      await db.schema.createIndex('devices_board').on('devices').columns(['board', 'last_seen']).execute();
      await db.schema.createIndex('devices_chip').on('devices').columns(['chip']).execute();
      await db.schema.createIndex('devices_address').on('devices').columns(['last_address']).execute();
      await db.schema.createIndex('devices_attempt_state').on('devices').columns(['attempt_state']).execute();

      await db.schema
        .createTable('attempts')
        .addColumn('id', 'text', (col) => col.primaryKey().modifyEnd(c))
        .addColumn('device', 'text', (col) => col.notNull().modifyEnd(c))
        .addColumn('entry_id', 'text', (col) => col.notNull())
        .addColumn('board', 'text', (col) => col.notNull())
        .addColumn('from_version', 'text', (col) => col.notNull())
        .addColumn('to_version', 'text', (col) => col.notNull())
        .addColumn('file', 'text', (col) => col.notNull())
        .addColumn('forced', 'integer', (col) => col.notNull())
        .addColumn('url_kind', 'text', (col) => col.notNull())
        .addColumn('number', 'integer', (col) => col.notNull())
        .addColumn('offered_at', 'bigint', (col) => col.notNull())
        .addColumn('offered_by', 'text', (col) => col.notNull())
        .addColumn('activation', 'integer', (col) => col.notNull())
        .addColumn('download_started_at', 'bigint')
        .addColumn('download_bytes', 'bigint', (col) => col.notNull())
        .addColumn('download_completed_at', 'bigint')
        .addColumn('download_by', 'text')
        .addColumn('reported_to_version', 'integer', (col) => col.notNull())
        .addColumn('last_check_at', 'bigint')
        .addColumn('last_event_at', 'bigint', (col) => col.notNull())
        .addColumn('state', 'text', (col) => col.notNull())
        .addColumn('reason', 'text')
        .addColumn('counted', 'integer', (col) => col.notNull())
        .addColumn('ended_at', 'bigint')
        .addColumn('ended_by', 'text')
        .execute();
      // At most one open attempt per device, enforced by the store (docs/fleet.md "Update attempts").
      await db.schema
        .createIndex('attempts_one_open')
        .on('attempts')
        .column('device')
        .unique()
        .where(sql.ref('ended_at'), 'is', null)
        .execute();
      await db.schema
        .createIndex('attempts_device')
        .on('attempts')
        .columns(['device', 'offered_at'])
        .execute();
      await db.schema
        .createIndex('attempts_entry')
        .on('attempts')
        .columns(['entry_id', 'ended_at'])
        .execute();
      await db.schema.createIndex('attempts_ended').on('attempts').columns(['ended_at']).execute();

      await db.schema
        .createTable('events')
        .addColumn('id', 'text', (col) => col.primaryKey().modifyEnd(c))
        .addColumn('device', 'text', (col) => col.notNull().modifyEnd(c))
        .addColumn('at', 'bigint', (col) => col.notNull())
        .addColumn('kind', 'text', (col) => col.notNull())
        .addColumn('replica', 'text', (col) => col.notNull())
        .addColumn('data', 'text', (col) => col.notNull())
        .execute();
      await db.schema.createIndex('events_device').on('events').columns(['device', 'at']).execute();

      await db.schema
        .createTable('device_entries')
        .addColumn('device', 'text', (col) => col.notNull().modifyEnd(c))
        .addColumn('entry_id', 'text', (col) => col.notNull())
        .addColumn('board', 'text', (col) => col.notNull())
        .addColumn('version', 'text', (col) => col.notNull())
        .addColumn('attempts', 'integer', (col) => col.notNull())
        .addColumn('failures', 'integer', (col) => col.notNull())
        .addColumn('last_reason', 'text')
        .addColumn('blocked_since', 'bigint')
        .addColumn('window_start', 'bigint', (col) => col.notNull())
        .addColumn('window_outcome', 'text')
        .addPrimaryKeyConstraint('device_entries_pk', ['device', 'entry_id'])
        .execute();
      await db.schema
        .createIndex('device_entries_failing')
        .on('device_entries')
        .columns(['device'])
        .where(sql<boolean>`failures > 0 or window_outcome = 'failed'`)
        .execute();

      await db.schema
        .createTable('rollouts')
        .addColumn('entry_id', 'text', (col) => col.primaryKey())
        .addColumn('board', 'text', (col) => col.notNull())
        .addColumn('version', 'text', (col) => col.notNull())
        .addColumn('window_start', 'bigint', (col) => col.notNull())
        .addColumn('failed_devices', 'integer', (col) => col.notNull())
        .addColumn('installed_devices', 'integer', (col) => col.notNull())
        .addColumn('halted_at', 'bigint')
        .addColumn('halted_by', 'text')
        .addColumn('halt_reason', 'text')
        .addColumn('halt_failed', 'integer')
        .addColumn('halt_installed', 'integer')
        .execute();

      await (
        dialect === 'postgres'
          ? db.schema.createTable('audit').addColumn('seq', 'bigserial', (col) => col.primaryKey())
          : db.schema
              .createTable('audit')
              .addColumn('seq', 'integer', (col) => col.primaryKey().autoIncrement())
      )
        .addColumn('at', 'bigint', (col) => col.notNull())
        .addColumn('action', 'text', (col) => col.notNull())
        .addColumn('target', 'text', (col) => col.notNull())
        .addColumn('means', 'text', (col) => col.notNull())
        .addColumn('address', 'text')
        .addColumn('detail', 'text', (col) => col.notNull())
        .execute();

      await db.schema
        .createTable('settings')
        .addColumn('key', 'text', (col) => col.primaryKey())
        .addColumn('value', 'text', (col) => col.notNull())
        .execute();
    },
  },
  {
    version: 2,
    name: 'listing indexes',
    async up(db) {
      // The devices listing's default order is `last_seen desc, id desc`: an equality filter's index that
      // ends in both keys serves a page (and its keyset cursor) without sorting every match — the board
      // filter over 100,000 devices of one board read them all. Replaces the narrower indexes one for one,
      // so a device's write updates as many indexes as before.
      for (const column of ['board', 'chip', 'attempt_state'] as const) {
        await db.schema.dropIndex(`devices_${column}`).execute();
        await db.schema
          .createIndex(`devices_${column}`)
          .on('devices')
          .columns([column, 'last_seen', 'id'])
          .execute();
      }
    },
  },
  {
    version: 3,
    name: 'attempt indexes, change times, replica watermarks',
    async up(db) {
      // Open attempts have no `ended_at`: indexed whole, the column made `ended_at IS NULL` look like a
      // selective lookup, and SQLite read every open attempt through it — to find the open attempts of
      // 100 devices in a settle, and again (then sorted) for each page of a sync. A boot storm of
      // 100,000 devices went quadratic. Only ended attempts are indexed now (retention deletes by
      // `ended_at`); open ones are found by device (`attempts_one_open`, `attempts_device`).
      // `attempts_entry (entry_id, ended_at)` served no query, and with statistics showing one entry
      // SQLite skip-scanned it for `ended_at IS NULL` the same way: gone too.
      await db.schema.dropIndex('attempts_ended').execute();
      await db.schema.dropIndex('attempts_entry').execute();
      await db.schema
        .createIndex('attempts_ended')
        .on('attempts')
        .column('ended_at')
        .where(sql.ref('ended_at'), 'is not', null)
        .execute();
      // When a settle last wrote each attempt (the store's clock): a sync reads the attempts that changed
      // since its last read instead of every open attempt each time (docs/fleet.md "Replicas"). Rows from
      // before have none; the full read every few syncs still finds them.
      await db.schema.alterTable('attempts').addColumn('changed_at', 'bigint').execute();
      await db.schema.createIndex('attempts_changed').on('attempts').column('changed_at').execute();
      // Each replica's write watermark: a settle folds no further than every live replica has written
      // (docs/fleet.md "Replicas"), so a replica whose writes lag has its events folded in their order.
      await db.schema
        .createTable('replicas')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('written_to', 'bigint', (col) => col.notNull())
        .addColumn('seen_at', 'bigint', (col) => col.notNull())
        .execute();
    },
  },
];

export const KNOWN_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);

/** The store's schema version (0 = none yet). */
export async function readVersion(db: Kysely<FleetDatabase>): Promise<number> {
  await db.schema
    .createTable('fleet_schema')
    .ifNotExists()
    .addColumn('version', 'integer', (col) => col.notNull())
    .execute();
  const row = await db.selectFrom('fleet_schema').select(db.fn.max('version').as('v')).executeTakeFirst();
  return Number(row?.v ?? 0);
}

/**
 * Applies the migrations the store lacks, inside one transaction the caller holds the lock for, and
 * reports a newer store without touching it.
 */
export async function migrate(
  trx: Kysely<FleetDatabase>,
  dialect: Dialect,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<SchemaStatus> {
  const known = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  const found = await readVersion(trx);
  if (found > known) return { kind: 'newer', found, known };
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (migration.version <= found) continue;
    await migration.up(trx, dialect);
    await trx.insertInto('fleet_schema').values({ version: migration.version }).execute();
  }
  return { kind: 'current', version: known };
}

/** The advisory lock key for migrations on PostgreSQL (any constant; "fleet" in ASCII). */
export const MIGRATION_LOCK_KEY = 0x666c656574;

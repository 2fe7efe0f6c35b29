/**
 * The fleet store's SQL, written once with Kysely for SQLite and PostgreSQL (docs/contributing.md §22). The adapters
 * (sqlite.ts, postgres.ts, memory.ts) only make the connection, the locks and the clock.
 */
import {
  CompiledQuery,
  sql,
  type Compilable,
  type Expression,
  type Kysely,
  type QueryResult,
  type SqlBool,
  type Transaction,
} from 'kysely';
import type { DeviceEvent } from '../device-fold.js';
import type { SeenUpdate } from '../observations.js';
import type { SyncSnapshot } from '../replica-view.js';
import type { SettleDevice, SettleOutput } from '../settle.js';
import type {
  Attempt,
  AttemptState,
  AuditEntry,
  AuditMeans,
  EndReason,
  EntryRecord,
  FailureReason,
  Halt,
  Rollout,
  SentOffer,
  UrlKind,
} from '../types.js';
import {
  MIGRATIONS,
  migrate,
  readVersion,
  type Dialect,
  type Migration,
  type SchemaStatus,
} from './migrations.js';
import type {
  AttemptsTable,
  DeviceEntriesTable,
  DevicesTable,
  FleetDatabase,
  RolloutsTable,
} from './schema.js';
import type {
  AttemptCounts,
  DevicePage,
  DeviceQuery,
  DeviceRecord,
  DeviceTargetFacts,
  FleetStore,
  NewAudit,
  StoreKind,
} from './types.js';

type Db = Kysely<FleetDatabase>;

/** What an adapter provides: the connection, its locks and its clock. */
export interface SqlBackend {
  readonly kind: StoreKind;
  readonly dialect: Dialect;
  readonly db: Db;
  /** Runs `fn` in a transaction that holds the write lock (SQLite) or a row/advisory lock scope (PostgreSQL). */
  write<T>(fn: (trx: Db) => Promise<T>): Promise<T>;
  /** Runs `fn` in a transaction that sees one consistent state. */
  read<T>(fn: (trx: Db) => Promise<T>): Promise<T>;
  /** Runs the migrations under the migration lock. */
  migrateLocked(fn: (trx: Db) => Promise<SchemaStatus>): Promise<SchemaStatus>;
  now(): Promise<number>;
  close(): Promise<void>;
}

/** Rows per statement: far below SQLite's 32766 bound variables with ~25 columns. */
const ROWS_PER_STATEMENT = 200;
/** Rows per page when reading big tables (the event loop gets a turn between pages). */
const PAGE = 2000;

/** `migrations` is the list this code knows (tests pass a longer one to play a newer release). */
export function sqlStore(backend: SqlBackend, migrations: readonly Migration[] = MIGRATIONS): FleetStore {
  const { db, dialect } = backend;
  const pg = dialect === 'postgres';
  const known = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  // A flush's and a settle's statements, compiled once per row count (`StatementCache`).
  const statements = new StatementCache();

  return {
    kind: backend.kind,
    migrate: () => backend.migrateLocked((trx) => migrate(trx, dialect, migrations)),
    async schemaStatus() {
      const found = await readVersion(db);
      return found > known ? { kind: 'newer', found, known } : { kind: 'current', version: found };
    },
    now: () => backend.now(),

    async tokenSecret(candidate) {
      return backend.write(async (trx) => {
        await trx
          .insertInto('settings')
          .values({ key: 'token_secret', value: candidate })
          .onConflict((oc) => oc.column('key').doNothing())
          .execute();
        const row = await trx
          .selectFrom('settings')
          .select('value')
          .where('key', '=', 'token_secret')
          .executeTakeFirstOrThrow();
        return row.value;
      });
    },

    async write(batch) {
      await backend.write(async (trx) => {
        const checks = batch.seen.filter((s) => s.check !== null);
        for (const rows of chunks(checks, ROWS_PER_STATEMENT)) await upsertChecks(trx, statements, rows);
        const voices = batch.seen.filter((s) => s.voice !== null);
        for (const rows of chunks(voices, ROWS_PER_STATEMENT)) await upsertVoices(trx, rows);
        for (const rows of chunks(batch.events, ROWS_PER_STATEMENT)) {
          await statements.run(
            trx,
            `events:${rows.length}`,
            flatten(rows.map(eventRow), EVENT_COLUMNS),
            (v) =>
              trx
                .insertInto('events')
                .values(unflatten(v, EVENT_COLUMNS))
                .onConflict((oc) => oc.column('id').doNothing()),
          );
        }
      });
    },

    async markWritten(replica, writtenTo) {
      await backend.write(async (trx) => {
        const seenAt = await nowIn(trx, pg);
        await trx
          .insertInto('replicas')
          .values({ id: replica, written_to: writtenTo, seen_at: seenAt })
          .onConflict((oc) =>
            oc.column('id').doUpdateSet((eb) => ({
              // A watermark never moves back (a flush that started earlier may finish later).
              written_to: sql<number>`case when ${eb.ref('excluded.written_to')} > replicas.written_to then ${eb.ref('excluded.written_to')} else replicas.written_to end`,
              seen_at: eb.ref('excluded.seen_at'),
            })),
          )
          .execute();
      });
    },

    async forgetReplica(replica) {
      await backend.write((trx) => trx.deleteFrom('replicas').where('id', '=', replica).execute());
    },

    async snapshot(changedSince = null) {
      return backend.read(async (trx) => {
        const storeNow = await nowIn(trx, pg);
        // Every open attempt, paged by device (the key of their own index, one per device: no sort); or
        // the ones a settle wrote since `changedSince`, paged by id.
        const key = changedSince === null ? 'device' : 'id';
        const rows = await paged(
          PAGE,
          (after, limit) => {
            let q = trx.selectFrom('attempts').selectAll();
            q =
              changedSince === null
                ? q.where('ended_at', 'is', null)
                : q.where('changed_at', '>=', changedSince);
            if (after !== null) q = q.where(key, '>', after);
            return q.orderBy(key).limit(limit).execute();
          },
          (r) => r[key],
        );
        const attempts: SyncSnapshot['attempts'] =
          changedSince === null
            ? { kind: 'open', open: rows.map(attemptFrom) }
            : { kind: 'changed', since: changedSince, changed: rows.map(attemptFrom) };
        const records = (
          await paged(
            PAGE,
            (after, limit) => {
              let q = trx
                .selectFrom('device_entries')
                .selectAll()
                .where((eb) => eb.or([eb('failures', '>', 0), eb('window_outcome', '=', 'failed')]));
              if (after !== null) q = q.where(sql<SqlBool>`device || '|' || entry_id > ${after}`);
              return q.orderBy('device').orderBy('entry_id').limit(limit).execute();
            },
            (r) => `${r.device}|${r.entry_id}`,
          )
        ).map(recordFrom);
        const rollouts = (await trx.selectFrom('rollouts').selectAll().execute()).map(rolloutFrom);
        const events = (
          await paged(
            PAGE,
            (after, limit) => {
              let q = trx.selectFrom('events').selectAll();
              if (after !== null) q = q.where('id', '>', after);
              return q.orderBy('id').limit(limit).execute();
            },
            (r) => r.id,
          )
        ).map(eventFrom);
        const replicas = (await trx.selectFrom('replicas').selectAll().execute()).map((r) => ({
          id: r.id,
          writtenTo: Number(r.written_to),
          seenAt: Number(r.seen_at),
        }));
        return { storeNow, attempts, records, rollouts, events, replicas } satisfies SyncSnapshot;
      });
    },

    async settle(devices, cutoff, fold) {
      return backend.write(async (trx) => {
        const claimed: string[] = [];
        for (const ids of chunks(devices, ROWS_PER_STATEMENT)) {
          const { rows } = await statements.run(trx, `claim:${ids.length}`, [cutoff, ...ids], (v) =>
            trx
              .updateTable('devices')
              .set({ folded_to: v[0] as number })
              .where('id', 'in', v.slice(1) as string[])
              .where('folded_to', '<', v[0] as number)
              .returning('id'),
          );
          for (const row of rows) claimed.push(row.id);
        }
        if (claimed.length === 0) return EMPTY_SETTLE;
        const open = new Map<string, Attempt>();
        const records = new Map<string, EntryRecord[]>();
        const events = new Map<string, DeviceEvent[]>();
        for (const ids of chunks(claimed, ROWS_PER_STATEMENT)) {
          const n = ids.length;
          const openRows = await statements.run(trx, `open-of:${n}`, ids, (v) =>
            trx
              .selectFrom('attempts')
              .selectAll()
              .where('device', 'in', v as string[])
              .where('ended_at', 'is', null),
          );
          for (const row of openRows.rows) open.set(row.device, attemptFrom(row));
          const recordRows = await statements.run(trx, `records-of:${n}`, ids, (v) =>
            trx
              .selectFrom('device_entries')
              .selectAll()
              .where('device', 'in', v as string[]),
          );
          for (const row of recordRows.rows) push(records, row.device, recordFrom(row));
          const eventRows = await statements.run(trx, `events-of:${n}`, [cutoff, ...ids], (v) =>
            trx
              .selectFrom('events')
              .selectAll()
              .where('device', 'in', v.slice(1) as string[])
              .where('at', '<=', v[0] as number),
          );
          for (const row of eventRows.rows) push(events, row.device, eventFrom(row));
        }
        let rolloutQuery = trx.selectFrom('rollouts').selectAll();
        // Operator halts and resumes must not be lost to a settle writing the same row.
        if (pg) rolloutQuery = rolloutQuery.forUpdate();
        const rollouts = new Map((await rolloutQuery.execute()).map((r) => [r.entry_id, rolloutFrom(r)]));
        const input: SettleDevice[] = claimed.map((device) => ({
          device,
          open: open.get(device) ?? null,
          records: records.get(device) ?? [],
          events: events.get(device) ?? [],
        }));
        const out = fold({ devices: input, rollouts });
        // Endings first: at most one open attempt per device (attempts_one_open).
        const changedAt = await nowIn(trx, pg);
        for (const rows of chunks(out.ended, ROWS_PER_STATEMENT))
          await upsertAttempts(trx, statements, rows, changedAt);
        for (const rows of chunks(out.open, ROWS_PER_STATEMENT))
          await upsertAttempts(trx, statements, rows, changedAt);
        for (const rows of chunks(out.records, ROWS_PER_STATEMENT)) {
          await statements.run(
            trx,
            `records:${rows.length}`,
            flatten(rows.map(recordRow), RECORD_COLUMNS),
            (v) =>
              trx
                .insertInto('device_entries')
                .values(unflatten(v, RECORD_COLUMNS))
                .onConflict((oc) =>
                  oc.columns(['device', 'entry_id']).doUpdateSet((eb) => ({
                    attempts: eb.ref('excluded.attempts'),
                    failures: eb.ref('excluded.failures'),
                    last_reason: eb.ref('excluded.last_reason'),
                    blocked_since: eb.ref('excluded.blocked_since'),
                    window_start: eb.ref('excluded.window_start'),
                    window_outcome: eb.ref('excluded.window_outcome'),
                  })),
                ),
          );
        }
        for (const rollout of out.rollouts) {
          await trx
            .insertInto('rollouts')
            .values(rolloutRow(rollout))
            .onConflict((oc) =>
              oc.column('entry_id').doUpdateSet((eb) => ({
                failed_devices: eb.ref('excluded.failed_devices'),
                installed_devices: eb.ref('excluded.installed_devices'),
                halted_at: eb.ref('excluded.halted_at'),
                halted_by: eb.ref('excluded.halted_by'),
                halt_reason: eb.ref('excluded.halt_reason'),
                halt_failed: eb.ref('excluded.halt_failed'),
                halt_installed: eb.ref('excluded.halt_installed'),
              })),
            )
            .execute();
        }
        for (const { rollout, halt } of out.halts) {
          await trx
            .insertInto('audit')
            .values(
              auditRow({
                at: halt.at,
                action: 'rollout.halt',
                target: rollout.entryId,
                means: 'fleet',
                address: null,
                detail: {
                  board: rollout.board,
                  version: rollout.version,
                  reason: halt.reason,
                  failed: halt.failed,
                  installed: halt.installed,
                },
              }),
            )
            .execute();
        }
        // One statement per state rather than per device: a boot storm settles thousands at a time.
        const byState = new Map<string, string[]>();
        for (const { device, state } of out.states) push(byState, state, device);
        for (const [state, devicesInState] of byState)
          for (const ids of chunks(devicesInState, ROWS_PER_STATEMENT))
            await statements.run(trx, `state:${ids.length}`, [state, ...ids], (v) =>
              trx
                .updateTable('devices')
                .set({ attempt_state: v[0] as string })
                .where('id', 'in', v.slice(1) as string[]),
            );
        // Exactly the events folded: under READ COMMITTED another replica's write can commit an event
        // for these devices (and under the cutoff) between the read above and this statement; deleting
        // by time would lose it unfolded. It stays for the next fold instead.
        const folded = [...events.values()].flat().map((e) => e.id);
        for (const ids of chunks(folded, ROWS_PER_STATEMENT))
          await statements.run(trx, `delete-events:${ids.length}`, ids, (v) =>
            trx.deleteFrom('events').where('id', 'in', v as string[]),
          );
        return out;
      });
    },

    async listDevices(query) {
      return backend.read(async (trx) => {
        const filtered = trx.selectFrom('devices').where((eb) => {
          const conditions: Expression<SqlBool>[] = [];
          if (query.board !== undefined) conditions.push(eb('board', '=', query.board));
          if (query.version !== undefined) conditions.push(eb('version', '=', query.version));
          if (query.chip !== undefined) conditions.push(eb('chip', '=', query.chip));
          if (query.seenSince !== undefined) conditions.push(eb('last_seen', '>=', query.seenSince));
          if (query.state !== undefined) conditions.push(eb('attempt_state', '=', query.state));
          if (query.q !== undefined && query.q !== '') {
            const { id, address } = prefixes(query.q);
            conditions.push(
              eb.or([
                eb.and([eb('id', '>=', id), eb('id', '<', `${id}\uffff`)]),
                eb.and([eb('last_address', '>=', address), eb('last_address', '<', `${address}\uffff`)]),
              ]),
            );
          }
          if (query.blocked !== undefined) {
            // Few devices are blocked: the set is read through its partial index, then matched by id.
            const blocked = eb
              .selectFrom('device_entries')
              .select('device_entries.device')
              .where('device_entries.failures', '>=', query.maxFailedAttempts);
            conditions.push(query.blocked ? eb('id', 'in', blocked) : eb('id', 'not in', blocked));
          }
          return eb.and(conditions);
        });
        const totalRow = await filtered.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
        const cursor = decodeCursor(query.cursor, query.sort);
        let page = filtered.selectAll('devices');
        switch (query.sort) {
          case 'last_seen':
            if (cursor !== null)
              page = page.where((eb) =>
                eb(eb.refTuple('last_seen', 'id'), '<', eb.tuple(Number(cursor.value), cursor.id)),
              );
            page = page.orderBy('last_seen', 'desc').orderBy('id', 'desc');
            break;
          case 'id':
            if (cursor !== null) page = page.where('id', '>', cursor.id);
            page = page.orderBy('id');
            break;
          case 'version':
            if (cursor !== null)
              page = page.where((eb) =>
                eb(eb.refTuple('version', 'id'), '>', eb.tuple(String(cursor.value), cursor.id)),
              );
            page = page.orderBy('version').orderBy('id');
            break;
          default: {
            const never: never = query.sort;
            throw new Error(`unknown sort ${String(never)}`);
          }
        }
        const rows = await page.limit(query.limit + 1).execute();
        const more = rows.length > query.limit;
        const shown = more ? rows.slice(0, query.limit) : rows;
        const entries = await entriesOf(
          trx,
          shown.map((r) => r.id),
        );
        const last = shown[shown.length - 1];
        return {
          total: Number(totalRow?.n ?? 0),
          items: shown.map((row) => deviceFrom(row, entries.get(row.id) ?? [])),
          next: more && last !== undefined ? encodeCursor(query.sort, last) : null,
        } satisfies DevicePage;
      });
    },

    async device(id) {
      return backend.read(async (trx) => {
        const row = await trx.selectFrom('devices').selectAll().where('id', '=', id).executeTakeFirst();
        if (row === undefined) return null;
        const entries = await entriesOf(trx, [id]);
        const attempts = await trx
          .selectFrom('attempts')
          .selectAll()
          .where('device', '=', id)
          .orderBy('offered_at', 'desc')
          .orderBy('id', 'desc')
          .execute();
        return { record: deviceFrom(row, entries.get(id) ?? []), attempts: attempts.map(attemptFrom) };
      });
    },

    async unblock(device, entryId) {
      return backend.write(async (trx) => {
        let q = trx
          .selectFrom('device_entries')
          .selectAll()
          .where('device', '=', device)
          .where((eb) => eb.or([eb('failures', '>', 0), eb('attempts', '>', 0)]));
        if (entryId !== null) q = q.where('entry_id', '=', entryId);
        const cleared = (await q.execute()).map(recordFrom);
        let u = trx
          .updateTable('device_entries')
          .set({ failures: 0, attempts: 0, last_reason: null, blocked_since: null })
          .where('device', '=', device);
        if (entryId !== null) u = u.where('entry_id', '=', entryId);
        await u.execute();
        return cleared;
      });
    },

    async rollouts() {
      return (await db.selectFrom('rollouts').selectAll().orderBy('entry_id').execute()).map(rolloutFrom);
    },

    async halt(entry, halt) {
      return backend.write(async (trx) => {
        const rows = await trx
          .insertInto('rollouts')
          .values({
            ...rolloutRow({
              entryId: entry.entryId,
              board: entry.board,
              version: entry.version,
              windowStart: 0,
              failedDevices: 0,
              installedDevices: 0,
              halt,
            }),
          })
          .onConflict((oc) =>
            oc
              .column('entry_id')
              .doUpdateSet((eb) => ({
                halted_at: eb.ref('excluded.halted_at'),
                halted_by: eb.ref('excluded.halted_by'),
                halt_reason: eb.ref('excluded.halt_reason'),
                halt_failed: eb.ref('rollouts.failed_devices'),
                halt_installed: eb.ref('rollouts.installed_devices'),
              }))
              .where('rollouts.halted_at', 'is', null),
          )
          .returning('entry_id')
          .execute();
        return rows.length > 0;
      });
    },

    async resume(entryId, at) {
      return backend.write(async (trx) => {
        const rows = await trx
          .updateTable('rollouts')
          .set({
            halted_at: null,
            halted_by: null,
            halt_reason: null,
            halt_failed: null,
            halt_installed: null,
            window_start: at,
            failed_devices: 0,
            installed_devices: 0,
          })
          .where('entry_id', '=', entryId)
          .where('halted_at', 'is not', null)
          .returning('entry_id')
          .execute();
        return rows.length > 0;
      });
    },

    async attemptCounts() {
      const rows = await db
        .selectFrom('attempts as a')
        .leftJoin('rollouts as r', 'r.entry_id', 'a.entry_id')
        .select(['a.entry_id', 'a.state', 'a.reason', (eb) => eb.fn.countAll<number>().as('n')])
        .where((eb) =>
          eb.or([
            eb('a.ended_at', 'is', null),
            eb('a.ended_at', '>=', eb.fn.coalesce('r.window_start', sql<number>`0`)),
          ]),
        )
        .groupBy(['a.entry_id', 'a.state', 'a.reason'])
        .execute();
      const byEntry = new Map<
        string,
        { open: Record<string, number>; installed: number; failed: Record<string, number>; silent: number }
      >();
      for (const row of rows) {
        let counts = byEntry.get(row.entry_id);
        if (counts === undefined)
          byEntry.set(row.entry_id, (counts = { open: {}, installed: 0, failed: {}, silent: 0 }));
        const n = Number(row.n);
        if (row.state === 'offered' || row.state === 'downloading' || row.state === 'downloaded')
          counts.open[row.state] = (counts.open[row.state] ?? 0) + n;
        else if (row.state === 'installed') counts.installed += n;
        else if (row.state === 'failed')
          counts.failed[row.reason ?? 'unknown'] = (counts.failed[row.reason ?? 'unknown'] ?? 0) + n;
        else if (row.state === 'silent') {
          if (row.reason === 'silent') counts.failed.silent = (counts.failed.silent ?? 0) + n;
          counts.silent += n;
        }
      }
      return [...byEntry].map(([entryId, c]) => ({ entryId, ...c }) satisfies AttemptCounts);
    },

    async deviceFacts(after, limit) {
      let q = db
        .selectFrom('devices')
        .select(['id', 'board', 'chip', 'version', 'ota_label', 'slot_ota0', 'slot_ota1']);
      if (after !== null) q = q.where('id', '>', after);
      const rows = await q.orderBy('id').limit(limit).execute();
      return rows.map((r): DeviceTargetFacts => ({
        id: r.id,
        board: r.board,
        chip: r.chip,
        version: r.version === '' ? null : r.version,
        otaLabel: r.ota_label,
        slotOta0: num(r.slot_ota0),
        slotOta1: num(r.slot_ota1),
      }));
    },

    async deviceCounts() {
      const rows = await db
        .selectFrom('devices')
        .select(['board', 'version', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy(['board', 'version'])
        .execute();
      return rows.map((r) => ({
        board: r.board,
        version: r.version === '' ? null : r.version,
        devices: Number(r.n),
      }));
    },

    async appendAudit(entry) {
      await backend.write((trx) => trx.insertInto('audit').values(auditRow(entry)).execute());
    },

    async audit(limit, before) {
      let q = db.selectFrom('audit').selectAll();
      if (before !== null) q = q.where('seq', '<', before);
      const rows = await q.orderBy('seq', 'desc').limit(limit).execute();
      return rows.map((r): AuditEntry => ({
        seq: Number(r.seq),
        at: Number(r.at),
        action: r.action,
        target: r.target,
        means: r.means as AuditMeans,
        address: r.address,
        detail: JSON.parse(r.detail) as Record<string, unknown>,
      }));
    },

    async retain(before, maxDevices) {
      let devices = 0;
      let attempts = 0;
      const forget = async (ids: readonly string[]): Promise<void> => {
        await backend.write(async (trx) => {
          await trx.deleteFrom('attempts').where('device', 'in', ids).execute();
          await trx.deleteFrom('device_entries').where('device', 'in', ids).execute();
          await trx.deleteFrom('events').where('device', 'in', ids).execute();
          const r = await trx.deleteFrom('devices').where('id', 'in', ids).executeTakeFirst();
          devices += Number(r.numDeletedRows);
        });
      };
      for (;;) {
        const rows = await db
          .selectFrom('devices')
          .select('id')
          .where('last_seen', '<', before)
          .orderBy('last_seen')
          .limit(ROWS_PER_STATEMENT)
          .execute();
        if (rows.length === 0) break;
        await forget(rows.map((r) => r.id));
        await yieldTurn();
      }
      const r = await backend.write((trx) =>
        trx
          .deleteFrom('attempts')
          .where('ended_at', 'is not', null)
          .where('ended_at', '<', before)
          .executeTakeFirst(),
      );
      attempts += Number(r.numDeletedRows);
      const count = await db
        .selectFrom('devices')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirst();
      let excess = Number(count?.n ?? 0) - maxDevices;
      while (excess > 0) {
        const rows = await db
          .selectFrom('devices')
          .select('id')
          .orderBy('last_seen')
          .orderBy('id')
          .limit(Math.min(excess, ROWS_PER_STATEMENT))
          .execute();
        if (rows.length === 0) break;
        await forget(rows.map((row) => row.id));
        excess -= rows.length;
        await yieldTurn();
      }
      return { devices, attempts };
    },

    close: () => backend.close(),
  };
}

const EMPTY_SETTLE: SettleOutput = {
  ended: [],
  open: [],
  records: [],
  rollouts: [],
  endings: [],
  halts: [],
  states: [],
};

async function nowIn(trx: Db, pg: boolean): Promise<number> {
  const q = pg
    ? sql<{ now: number }>`select (extract(epoch from clock_timestamp()) * 1000)::float8 as now`
    : sql<{ now: number }>`select (julianday('now') - 2440587.5) * 86400000.0 as now`;
  const row = (await q.execute(trx)).rows[0];
  return Math.round(Number(row?.now ?? Date.now()));
}

/** Reads a big table a page at a time, giving the event loop a turn between pages. */
async function paged<T>(
  size: number,
  page: (after: string | null, limit: number) => Promise<T[]>,
  keyOf: (row: T) => string,
): Promise<T[]> {
  const out: T[] = [];
  let after: string | null = null;
  for (;;) {
    const rows = await page(after, size);
    out.push(...rows);
    const last = rows[rows.length - 1];
    if (rows.length < size || last === undefined) return out;
    after = keyOf(last);
    await yieldTurn();
  }
}

function yieldTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function* chunks<T>(items: readonly T[], size: number): Generator<readonly T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

function num(value: number | string | null): number | null {
  return value === null ? null : Number(value);
}

/** Newer facts win: a batch written late (after an outage) never overwrites a newer check's. */
async function upsertChecks(trx: Db, statements: StatementCache, rows: readonly SeenUpdate[]): Promise<void> {
  const newer = sql<SqlBool>`excluded.last_seen >= devices.last_seen`;
  // Typed loosely: the CASE yields the column's own type.
  const pick = (column: keyof DevicesTable) =>
    sql<never>`case when ${newer} then ${sql.ref(`excluded.${column}`)} else ${sql.ref(`devices.${column}`)} end`;
  const values = flatten(
    rows.map((s): DevicesTable => {
      const c = s.check;
      if (c === null) throw new Error('check row without a check');
      return {
        id: s.device,
        client_id: c.clientId,
        board: c.board,
        board_type: c.boardType,
        chip: c.chip,
        version: c.version ?? '',
        ota_label: c.otaLabel,
        slot_ota0: c.slotOta0,
        slot_ota1: c.slotOta1,
        flash_size: c.flashSize,
        language: c.language,
        first_seen: s.firstAt,
        last_seen: s.lastAt,
        last_address: c.address,
        checks: s.checks,
        last_status: c.status,
        last_outcome: c.outcome,
        transport: c.transport,
        voice_online: 0,
        voice_last_seen: null,
        activation_pending: c.activationPending ? 1 : 0,
        last_exchange: c.exchange === null ? null : JSON.stringify(c.exchange),
        attempt_state: null,
        folded_to: 0,
      };
    }),
    CHECK_COLUMNS,
  );
  await statements.run(trx, `checks:${rows.length}`, values, (v) =>
    trx
      .insertInto('devices')
      .values(unflatten(v, CHECK_COLUMNS))
      .onConflict((oc) =>
        oc.column('id').doUpdateSet({
          client_id: pick('client_id'),
          board: pick('board'),
          board_type: pick('board_type'),
          chip: pick('chip'),
          version: pick('version'),
          ota_label: pick('ota_label'),
          slot_ota0: pick('slot_ota0'),
          slot_ota1: pick('slot_ota1'),
          flash_size: pick('flash_size'),
          language: pick('language'),
          last_address: pick('last_address'),
          last_status: pick('last_status'),
          last_outcome: pick('last_outcome'),
          transport: pick('transport'),
          activation_pending: pick('activation_pending'),
          last_exchange: pick('last_exchange'),
          first_seen: sql<number>`case when excluded.first_seen < devices.first_seen then excluded.first_seen else devices.first_seen end`,
          last_seen: sql<number>`case when ${newer} then excluded.last_seen else devices.last_seen end`,
          checks: sql<number>`devices.checks + excluded.checks`,
        }),
      ),
  );
}

/** A voice session's open or close; a device first seen by its voice session gets a record too. */
async function upsertVoices(trx: Db, rows: readonly SeenUpdate[]): Promise<void> {
  const newer = sql<SqlBool>`excluded.voice_last_seen >= coalesce(devices.voice_last_seen, 0)`;
  await trx
    .insertInto('devices')
    .values(
      rows.map((s) => {
        const v = s.voice;
        if (v === null) throw new Error('voice row without voice');
        return {
          id: s.device,
          first_seen: s.firstAt,
          last_seen: s.lastAt,
          checks: 0,
          voice_online: v.online ? 1 : 0,
          voice_last_seen: v.at,
          activation_pending: 0,
          folded_to: 0,
          version: '',
        };
      }),
    )
    .onConflict((oc) =>
      oc.column('id').doUpdateSet({
        voice_online: sql<number>`case when ${newer} then excluded.voice_online else devices.voice_online end`,
        voice_last_seen: sql<number>`case when ${newer} then excluded.voice_last_seen else devices.voice_last_seen end`,
      }),
    )
    .execute();
}

async function upsertAttempts(
  trx: Db,
  statements: StatementCache,
  rows: readonly Attempt[],
  changedAt: number,
): Promise<void> {
  if (rows.length === 0) return;
  const values = flatten(
    rows.map((a) => attemptRow(a, changedAt)),
    ATTEMPT_COLUMNS,
  );
  await statements.run(trx, `attempts:${rows.length}`, values, (v) =>
    trx
      .insertInto('attempts')
      .values(unflatten(v, ATTEMPT_COLUMNS))
      .onConflict((oc) =>
        oc.column('id').doUpdateSet((eb) => {
          const set: Record<string, unknown> = {};
          for (const column of ATTEMPT_UPDATE_COLUMNS) set[column] = eb.ref(`excluded.${column}`);
          return set as Partial<AttemptsTable>;
        }),
      ),
  );
}

/** Rows' values in `columns` order, row after row (`StatementCache`). */
function flatten<T>(rows: readonly T[], columns: readonly (keyof T)[]): unknown[] {
  const out = new Array<unknown>(rows.length * columns.length);
  let i = 0;
  for (const row of rows) for (const column of columns) out[i++] = row[column];
  return out;
}

/** `flatten` undone: the row objects Kysely inserts. */
function unflatten<T>(values: readonly unknown[], columns: readonly (keyof T)[]): T[] {
  const rows: T[] = [];
  for (let i = 0; i < values.length; i += columns.length) {
    const row: Partial<Record<keyof T, unknown>> = {};
    columns.forEach((column, j) => (row[column] = values[i + j]));
    rows.push(row as T);
  }
  return rows;
}

const CHECK_COLUMNS = [
  'id',
  'client_id',
  'board',
  'board_type',
  'chip',
  'version',
  'ota_label',
  'slot_ota0',
  'slot_ota1',
  'flash_size',
  'language',
  'first_seen',
  'last_seen',
  'last_address',
  'checks',
  'last_status',
  'last_outcome',
  'transport',
  'voice_online',
  'voice_last_seen',
  'activation_pending',
  'last_exchange',
  'attempt_state',
  'folded_to',
] as const satisfies readonly (keyof DevicesTable)[];

const ATTEMPT_COLUMNS = [
  'changed_at',
  'id',
  'device',
  'entry_id',
  'board',
  'from_version',
  'to_version',
  'file',
  'forced',
  'url_kind',
  'number',
  'offered_at',
  'offered_by',
  'activation',
  'download_started_at',
  'download_bytes',
  'download_completed_at',
  'download_by',
  'reported_to_version',
  'last_check_at',
  'last_event_at',
  'state',
  'reason',
  'counted',
  'ended_at',
  'ended_by',
] as const satisfies readonly (keyof AttemptsTable)[];

const RECORD_COLUMNS = [
  'device',
  'entry_id',
  'board',
  'version',
  'attempts',
  'failures',
  'last_reason',
  'blocked_since',
  'window_start',
  'window_outcome',
] as const satisfies readonly (keyof DeviceEntriesTable)[];

const EVENT_COLUMNS = ['id', 'device', 'at', 'kind', 'replica', 'data'] as const;

const ATTEMPT_UPDATE_COLUMNS = [
  'activation',
  'download_started_at',
  'download_bytes',
  'download_completed_at',
  'download_by',
  'reported_to_version',
  'last_check_at',
  'last_event_at',
  'state',
  'reason',
  'counted',
  'ended_at',
  'ended_by',
  'changed_at',
] as const satisfies readonly (keyof AttemptsTable)[];

async function entriesOf(trx: Db, ids: readonly string[]): Promise<Map<string, EntryRecord[]>> {
  const out = new Map<string, EntryRecord[]>();
  if (ids.length === 0) return out;
  const rows = await trx
    .selectFrom('device_entries')
    .selectAll()
    .where('device', 'in', ids)
    .where('failures', '>', 0)
    .orderBy('entry_id')
    .execute();
  for (const row of rows) push(out, row.device, recordFrom(row));
  return out;
}

function prefixes(q: string): { id: string; address: string } {
  const text = q.trim().toLowerCase();
  let id = text.replace(/-/g, ':');
  // A bare hex prefix (`aabbcc`) is an id written without separators.
  if (/^[0-9a-f]{1,12}$/.test(id)) id = (id.match(/.{1,2}/g) ?? []).join(':');
  return { id, address: text };
}

interface Cursor {
  readonly value: string | number | null;
  readonly id: string;
}

function encodeCursor(
  sort: DeviceQuery['sort'],
  row: { id: string; last_seen: number; version: string },
): string {
  const value = sort === 'last_seen' ? Number(row.last_seen) : sort === 'version' ? row.version : null;
  return Buffer.from(JSON.stringify([sort, value, row.id]), 'utf8').toString('base64url');
}

/** A cursor from another sort, or not one of ours, starts from the beginning. */
function decodeCursor(text: string | null, sort: DeviceQuery['sort']): Cursor | null {
  if (text === null || text === '') return null;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed) || parsed.length !== 3 || parsed[0] !== sort || typeof parsed[2] !== 'string')
      return null;
    const value: unknown = parsed[1];
    if (sort === 'last_seen' && typeof value !== 'number') return null;
    if (sort === 'version' && typeof value !== 'string') return null;
    return { value: value as string | number | null, id: parsed[2] };
  } catch {
    return null;
  }
}

function deviceFrom(row: DevicesTable, entries: readonly EntryRecord[]): DeviceRecord {
  return {
    id: row.id,
    clientId: row.client_id,
    board: row.board,
    boardType: row.board_type,
    chip: row.chip,
    version: row.version === '' ? null : row.version,
    otaLabel: row.ota_label,
    slotBytes: { ota0: num(row.slot_ota0), ota1: num(row.slot_ota1) },
    flashSize: num(row.flash_size),
    language: row.language,
    firstSeen: Number(row.first_seen),
    lastSeen: Number(row.last_seen),
    lastAddress: row.last_address,
    checks: Number(row.checks),
    lastStatus: row.last_status,
    lastOutcome: row.last_outcome,
    transport: row.transport,
    voiceOnline: Number(row.voice_online) === 1,
    voiceLastSeen: num(row.voice_last_seen),
    activationPending: Number(row.activation_pending) === 1,
    attemptState: row.attempt_state as AttemptState | null,
    lastExchange:
      row.last_exchange === null ? null : (JSON.parse(row.last_exchange) as Record<string, unknown>),
    entries,
  };
}

function attemptRow(a: Attempt, changedAt: number): AttemptsTable {
  return {
    changed_at: changedAt,
    id: a.id,
    device: a.device,
    entry_id: a.entryId,
    board: a.board,
    from_version: a.fromVersion,
    to_version: a.toVersion,
    file: a.file,
    forced: a.forced ? 1 : 0,
    url_kind: a.urlKind,
    number: a.number,
    offered_at: a.offeredAt,
    offered_by: a.offeredBy,
    activation: a.activation ? 1 : 0,
    download_started_at: a.downloadStartedAt,
    download_bytes: a.downloadBytes,
    download_completed_at: a.downloadCompletedAt,
    download_by: a.downloadBy,
    reported_to_version: a.reportedToVersion ? 1 : 0,
    last_check_at: a.lastCheckAt,
    last_event_at: a.lastEventAt,
    state: a.state,
    reason: a.reason,
    counted: a.counted ? 1 : 0,
    ended_at: a.endedAt,
    ended_by: a.endedBy,
  };
}

function attemptFrom(r: AttemptsTable): Attempt {
  return {
    id: r.id,
    device: r.device,
    entryId: r.entry_id,
    board: r.board,
    fromVersion: r.from_version,
    toVersion: r.to_version,
    file: r.file,
    forced: Number(r.forced) === 1,
    urlKind: r.url_kind as UrlKind,
    number: Number(r.number),
    offeredAt: Number(r.offered_at),
    offeredBy: r.offered_by,
    activation: Number(r.activation) === 1,
    downloadStartedAt: num(r.download_started_at),
    downloadBytes: Number(r.download_bytes),
    downloadCompletedAt: num(r.download_completed_at),
    downloadBy: r.download_by,
    reportedToVersion: Number(r.reported_to_version) === 1,
    lastCheckAt: num(r.last_check_at),
    lastEventAt: Number(r.last_event_at),
    state: r.state as AttemptState,
    reason: r.reason as EndReason | null,
    counted: Number(r.counted) === 1,
    endedAt: num(r.ended_at),
    endedBy: r.ended_by,
  };
}

function recordRow(r: EntryRecord): DeviceEntriesTable {
  return {
    device: r.device,
    entry_id: r.entryId,
    board: r.board,
    version: r.version,
    attempts: r.attempts,
    failures: r.failures,
    last_reason: r.lastReason,
    blocked_since: r.blockedSince,
    window_start: r.windowStart,
    window_outcome: r.windowOutcome,
  };
}

function recordFrom(r: DeviceEntriesTable): EntryRecord {
  return {
    device: r.device,
    entryId: r.entry_id,
    board: r.board,
    version: r.version,
    attempts: Number(r.attempts),
    failures: Number(r.failures),
    lastReason: r.last_reason as FailureReason | null,
    blockedSince: num(r.blocked_since),
    windowStart: Number(r.window_start),
    windowOutcome: r.window_outcome as EntryRecord['windowOutcome'],
  };
}

function rolloutRow(r: Rollout): RolloutsTable {
  return {
    entry_id: r.entryId,
    board: r.board,
    version: r.version,
    window_start: r.windowStart,
    failed_devices: r.failedDevices,
    installed_devices: r.installedDevices,
    halted_at: r.halt?.at ?? null,
    halted_by: r.halt?.by ?? null,
    halt_reason: r.halt?.reason ?? null,
    halt_failed: r.halt?.failed ?? null,
    halt_installed: r.halt?.installed ?? null,
  };
}

function rolloutFrom(r: RolloutsTable): Rollout {
  const halt: Halt | null =
    r.halted_at === null
      ? null
      : {
          at: Number(r.halted_at),
          by: r.halted_by === 'operator' ? 'operator' : 'fleet',
          reason: r.halt_reason ?? '',
          failed: Number(r.halt_failed ?? 0),
          installed: Number(r.halt_installed ?? 0),
        };
  return {
    entryId: r.entry_id,
    board: r.board,
    version: r.version,
    windowStart: Number(r.window_start),
    failedDevices: Number(r.failed_devices),
    installedDevices: Number(r.installed_devices),
    halt,
  };
}

function auditRow(e: NewAudit) {
  return {
    at: e.at,
    action: e.action,
    target: e.target,
    means: e.means,
    address: e.address,
    detail: JSON.stringify(e.detail),
  };
}

function eventRow(e: DeviceEvent) {
  const data =
    e.kind === 'check'
      ? {
          version: e.version,
          status: e.status,
          candidate: e.candidate,
          activation: e.activation,
          offer: e.offer,
        }
      : { file: e.file, phase: e.phase, bytes: e.bytes };
  return {
    id: e.id,
    device: e.device,
    at: e.at,
    kind: e.kind,
    replica: e.replica,
    data: JSON.stringify(data),
  };
}

function eventFrom(r: {
  id: string;
  device: string;
  at: number;
  kind: string;
  replica: string;
  data: string;
}): DeviceEvent {
  const data = JSON.parse(r.data) as Record<string, unknown>;
  // Written out, not `{ ...base, kind, … }`: in Node 20 a spread followed by new keys costs about 10 µs an
  // object (a slow path), and a sync and a settle read every unfolded event.
  if (r.kind === 'check') {
    return {
      id: r.id,
      device: r.device,
      at: Number(r.at),
      replica: r.replica,
      kind: 'check',
      version: (data.version as string | null) ?? null,
      status: Number(data.status),
      candidate: (data.candidate as string | null) ?? null,
      activation: data.activation === true,
      offer: (data.offer as SentOffer | null) ?? null,
    };
  }
  return {
    id: r.id,
    device: r.device,
    at: Number(r.at),
    replica: r.replica,
    kind: 'download',
    file: String(data.file),
    phase: data.phase as 'started' | 'completed' | 'aborted',
    bytes: Number(data.bytes),
  };
}

/** Kept SQL and, per parameter, the index of the value that goes there; `null`: not templatable. */
type Template = { readonly sql: string; readonly slots: readonly number[] } | null;

/** Kept templates per cache; a shape past this is built by Kysely (shapes are row counts: about 200 each). */
const MAX_TEMPLATES = 2000;

/**
 * The store's hot statements (a flush's rows, a settle's), built by Kysely once per shape and then run
 * with fresh parameters. Kysely builds and compiles a query's whole tree on every call: for a chunk of 200
 * rows of 25 columns that is thousands of nodes, every flush, for SQL text that only the row count
 * changes. A statement is built once with a marker in place of each value; its compiled SQL is kept when
 * every parameter is one of the markers (so each parameter's source is known), else it is built by
 * Kysely every time as before. Running the kept SQL with the values in the markers' places sends the
 * database exactly what Kysely would have.
 */
export class StatementCache {
  readonly #templates = new Map<string, Template>();

  /**
   * Runs `build(values)` on `db`. `shape` names the statement and everything but the values that its SQL
   * depends on (e.g. `attempts:<rows>`); `values` are every value the statement binds. A value `undefined`
   * (a column Kysely would leave out) runs the statement through Kysely.
   */
  async run<DB, R>(
    db: Kysely<DB>,
    shape: string,
    values: readonly unknown[],
    build: (values: readonly unknown[]) => Compilable<R>,
  ): Promise<QueryResult<R>> {
    let template = this.#templates.get(shape);
    if (template === undefined) {
      template = templateOf(values.length, build);
      if (this.#templates.size < MAX_TEMPLATES) this.#templates.set(shape, template);
    }
    if (template === null || values.includes(undefined)) return db.executeQuery(build(values));
    const parameters = new Array<unknown>(template.slots.length);
    for (let i = 0; i < parameters.length; i++) parameters[i] = values[template.slots[i] as number];
    return db.executeQuery<R>(CompiledQuery.raw(template.sql, parameters) as CompiledQuery<R>);
  }
}

/** Compiles the statement with a unique marker per value; `null` when a parameter is not one of them. */
function templateOf<R>(count: number, build: (values: readonly unknown[]) => Compilable<R>): Template {
  const markers = Array.from({ length: count }, (_, i) => `\u0000statement-cache:${i}\u0000`);
  const index = new Map(markers.map((m, i) => [m, i]));
  const compiled = build(markers).compile();
  const slots: number[] = [];
  for (const parameter of compiled.parameters) {
    const at = typeof parameter === 'string' ? index.get(parameter) : undefined;
    if (at === undefined) return null;
    slots.push(at);
  }
  // Every value must reach the statement: a marker missing from the parameters was left out (or inlined).
  if (new Set(slots).size !== count) return null;
  return { sql: compiled.sql, slots };
}

export type { Transaction };
